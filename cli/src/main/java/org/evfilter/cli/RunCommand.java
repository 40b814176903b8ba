package org.evfilter.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.cgroup.CgroupException;
import org.evfilter.lsm.cgroup.SocketLeaf;
import org.evfilter.lsm.ebpf.EbpfException;
import org.evfilter.lsm.landlock.LandlockPlan;
import org.evfilter.lsm.landlock.LandlockRuleset;
import org.evfilter.lsm.plan.EnforcementPlan;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.LandlockAudit;
import org.evfilter.lsm.supervise.LandlockReport;
import org.evfilter.lsm.supervise.RunCache;
import org.evfilter.lsm.supervise.Sandbox;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.PolicyBinder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code evfilter run}: a command under a policy, enforced by the kernel and the supervisor. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run a command under a policy, enforced by seccomp and the supervisor.",
      "Default deny: the policy is compiled to seccomp BPF and installed"
          + " by a small launcher on itself right before it execs the command (never on this JVM). What"
          + " BPF cannot decide (labels, paths) comes to this process, the object manager: it reads the"
          + " path from the command's memory, opens the object, labels it (xattr, then file_contexts),"
          + " decides through the AVC and hands the command the descriptor it opened, or the rule's"
          + " errno. The exit status is the command's (128 + signal when it was killed).",
      "Where the policy's label rules name directory trees and files (file_contexts entries such as"
          + " /usr(/.*)? or /etc/passwd) and Landlock can decide them exactly, a Landlock ruleset built"
          + " from those trees decides them inside the kernel instead, and those syscalls never reach the"
          + " supervisor (`evfilter explain` says which rules). Landlock refuses with EACCES; its refusals"
          + " are reported like the supervisor's, read from the kernel's audit records, when auditing is on"
          + " (--enable-audit; otherwise run says once that they cannot be; --landlock=off has the supervisor"
          + " decide and report everything).",
      ""
    },
    footer = {"", "Examples:",
      "  evfilter run --policy samples/policies/valid/openat-labels.evf -- cat /etc/hostname",
      "  evfilter run --policy P.evf --audit audit.jsonl -- python3 script.py",
      "", "Environment: EVFILTER_RUN_CACHE=1 (./evfilter only) starts the command from the program an earlier"
          + " identical run compiled: at once when nothing is supervised, after the JVM has checked it otherwise"
          + " (see the README: Fast start).",
      "", "Exit status: the command's; 1 a bad policy; 2 the kernel or the launcher refused."})
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--policy", required = true, paramLabel = "FILE.evf", description = "The policy.")
  Path policyFile;

  @Mixin LabelsOption labelsOption;

  @Option(names = "--audit", paramLabel = "FILE", description = "Write every supervised decision here as JSON Lines.")
  Path auditFile;

  @Option(names = {"-q", "--quiet"}, description = "Do not report denials on stderr.")
  boolean quiet;

  @Option(names = "--dry-run", description = "Compile and say what would be enforced and supervised, run nothing.")
  boolean dryRun;

  @Option(names = "--landlock", paramLabel = "MODE", defaultValue = "auto",
      description = "auto: lower what Landlock can decide to a ruleset (default); off: the supervisor decides every label rule.")
  LandlockMode landlock;

  @Option(names = "--enable-audit", description = {"Switch the kernel's auditing on while the command runs, if it is off,"
      + " so Landlock's refusals can be reported. It is machine-wide: everything the kernel audits meanwhile goes to"
      + " the audit daemon or the kernel log. Switched back off when run ends (auditctl -e 0 if run was killed with SIGKILL)."})
  boolean enableAudit;

  @Option(names = "--landlock-abi", paramLabel = "N", description = "Use Landlock ABI N at most (what an older kernel has).")
  Integer landlockAbi;

  enum LandlockMode { auto, off }

  @Option(names = "--socket-hooks", paramLabel = "MODE", defaultValue = "auto",
      description = "auto: socket rules cgroup eBPF programs can decide are decided at the cgroup hooks of a leaf made for the"
          + " run (default); off: the supervisor decides every socket rule.")
  HooksMode socketHooks;

  enum HooksMode { auto, off }

  @Option(names = "--avc-size", paramLabel = "N", defaultValue = "16384", description = "Decisions the AVC keeps (default: ${DEFAULT-VALUE}).")
  long avcSize;

  @Parameters(paramLabel = "CMD", arity = "1..*", description = "The command and its arguments (after --).")
  List<String> command;

  // Set by evfilter-launch --cached, which started the command already under the cached program.
  @Option(names = "--attach-listener", hidden = true)
  Integer attachListener;

  @Option(names = "--attach-pid", hidden = true)
  Integer attachPid;

  @Option(names = "--attach-program-fd", hidden = true)
  Integer attachProgramFd;

  @Option(names = "--attach-go-fd", hidden = true)
  Integer attachGoFd;

  // Set by evfilter-launch --cached on a miss: where to leave the compiled program, under which key.
  @Option(names = "--cache-entry", hidden = true)
  String cacheEntry;

  @Option(names = "--cache-key", hidden = true)
  String cacheKey;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    long readFrom = System.currentTimeMillis();
    RunPlanning.Outcome read = RunPlanning.load(policyFile, labelsOption.files);
    RunPlanning.Outcome planned = read instanceof RunPlanning.Loaded l
        ? RunPlanning.plan(l.sources(), policyFile, attachPid == null && landlock == LandlockMode.auto, landlockAbi,
            attachPid == null && socketHooks == HooksMode.auto) : read;
    if (planned instanceof RunPlanning.Failed f) {
      if (attachPid != null) {
        killAttached(); // the policy changed under the cache since the launcher checked it
      }
      err.print(f.message());
      err.flush();
      return f.status();
    }
    RunPlanning.Planned p = (RunPlanning.Planned) planned;
    PolicyBinder.Loaded sources = p.sources();
    Optional<BoundPolicy> loaded = Optional.of(sources.policy());
    EnforcementPlan plan = p.plan();
    SeccompCompiler.Compilation c = plan.compilation();
    if (attachPid != null) {
      return startAttached(loaded.get(), c, err);
    }
    String warnings = p.warnings();
    err.print(warnings);
    err.flush();
    if (dryRun) {
      dryRun(plan, err);
      return 0;
    }
    if (plan.ruleset().isEmpty() && plan.sockets().programs().isEmpty()) {
      // The next identical run starts the command before a JVM exists (see evfilter-launch --cached);
      // the launcher does not build Landlock rulesets nor cgroup leaves, so a run with one is not cached.
      RunCache.store(cacheEntry, cacheKey, sources.sources(), c.notifies(), warnings, c.program(), readFrom);
    }
    SeccompCompiler.Compilation compiled = c;
    Optional<byte[]> rules = plan.ruleset().map(LandlockRuleset::serialise);
    java.util.Set<List<Long>> anchors = plan.ruleset().map(LandlockRuleset::anchors).orElse(java.util.Set.of());
    if (plan.sockets().programs().isEmpty()) {
      return supervise(loaded.get(), anchors, plan.landlockDecides(), () -> Sandbox.start(compiled.program(), compiled.notifies(), rules, command), err);
    }
    SocketLeaf leaf;
    try {
      leaf = SocketLeaf.attach(plan.sockets().programs());
    } catch (CgroupException e) {
      err.println("evfilter run: cannot make the run's cgroup for its socket programs: " + e.error().message()
          + " (--socket-hooks=off has the supervisor decide socket rules)");
      return Main.ENVIRONMENT_ERROR;
    } catch (EbpfException e) {
      err.println("evfilter run: " + policyFile + ": a socket program was refused: " + e.getMessage());
      return Main.INTERNAL_ERROR;
    }
    try (leaf) {
      return supervise(loaded.get(), anchors, plan.landlockDecides(),
          () -> Sandbox.start(compiled.program(), compiled.notifies(), rules, Optional.of(leaf.path()), command, null), err);
    }
  }

  // The launcher started the command under the cached program and said what there was to say;
  // the program must still be the one this policy compiles to (a file may have changed since).
  private int startAttached(BoundPolicy policy, SeccompCompiler.Compilation c, PrintWriter err) throws IOException {
    if (attachProgramFd == null || attachGoFd == null || !RunCache.installed(attachProgramFd, c.program())) {
      killAttached();
      err.println("evfilter run: the cached program is not the one " + policyFile + " compiles to (it changed, or the cache"
          + " was tampered with): the command was stopped before it ran; run it again");
      return Main.ENVIRONMENT_ERROR;
    }
    // The command waits in the launcher's code for this word: only now does it run.
    try {
      Sandbox.release(attachGoFd);
    } catch (java.io.IOException e) {
      killAttached();
      err.println("evfilter run: cannot start the command: " + e.getMessage());
      return Main.ENVIRONMENT_ERROR;
    }
    return supervise(policy, java.util.Set.of(), Optional.empty(), () -> Sandbox.attach(attachListener, attachPid), err);
  }

  // What would be enforced where: said instead of running.
  private void dryRun(EnforcementPlan plan, PrintWriter err) {
    SeccompCompiler.Compilation c = plan.compilation();
    err.printf("evfilter run: %s: %d instructions; %d rules need labels or paths%n", policyFile, c.stats().length(),
        c.stats().deferredRules());
    Enforcement.printSockets(err, "  ", plan.sockets());
    if (plan.landlock().isPresent()) {
      List<LandlockPlan.Placement> placements = plan.landlock().get().placements();
      for (int i = 0; i < placements.size(); i++) {
        LandlockPlan.Placement pl = placements.get(i);
        if (pl.deferred()) {
          err.printf("  %s: %s: %s: %s%n", Enforcement.where(plan.where(i)), pl.origin(), pl.action(), pl.filter());
        }
      }
      Enforcement.print(err, "  ", plan.landlock().get(), plan.reasons(), plan.ruleset());
    } else {
      c.rules().stream().filter(SeccompCompiler.RuleLowering::deferred).forEach(r ->
          err.printf("  supervisor: %s: %s: %s%n", r.origin(), r.action(), r.filter()));
    }
    err.println("  would run: " + String.join(" ", command));
  }

  // Landlock's refusals, reported from the kernel's audit records, or why they cannot be: said once,
  // before the command runs. Null when Landlock decides nothing or the records cannot be read.
  private LandlockAudit landlockAudit(BoundPolicy policy, LandlockPlan plan, AuditLog audit, PrintWriter err) {
    String decides = "evfilter run: Landlock decides the labels of " + Enforcement.syscalls(plan.lowered().keySet()) + " in the kernel";
    LandlockReport report = new LandlockReport(policy, plan, policy.labelResolver(16384, LinuxXattrs.reader()), audit,
        quiet ? Optional.empty() : Optional.of(line -> {
          err.println("evfilter run: " + line);
          err.flush();
        }));
    LandlockAudit.Opening opening = LandlockAudit.open(report, enableAudit);
    if (opening instanceof LandlockAudit.Reading r) {
      if (!quiet) {
        err.println(decides + "; its refusals are reported from the kernel's audit records");
        err.flush();
      }
      return r.audit();
    }
    err.println(decides + "; its refusals are EACCES and cannot be reported here: " + ((LandlockAudit.Unreadable) opening).why()
        + " (--enable-audit switches auditing on while the command runs; --landlock=off has the supervisor decide and report them)");
    err.flush();
    return null;
  }

  private interface Start {
    Sandbox start() throws IOException;
  }

  private void killAttached() {
    ProcessHandle.of(attachPid).ifPresent(ProcessHandle::destroyForcibly);
  }

  private int supervise(BoundPolicy policy, java.util.Set<List<Long>> anchors, Optional<LandlockPlan> landlockDecides, Start start,
      PrintWriter err) throws IOException {
    OutputStream auditOut = auditFile == null ? null : Files.newOutputStream(auditFile);
    try (AuditLog audit = auditOut == null ? AuditLog.none() : AuditLog.to(auditOut);
        LandlockAudit refusals = landlockDecides.map(p -> landlockAudit(policy, p, audit, err)).orElse(null)) {
      Sandbox sandbox;
      try {
        sandbox = start.start();
      } catch (IOException e) {
        if (attachPid != null) {
          killAttached();
        }
        err.println("evfilter run: " + e.getMessage());
        return Main.ENVIRONMENT_ERROR;
      }
      if (refusals != null) {
        refusals.watch(sandbox.pid());
      }
      try (sandbox) {
        Supervisor.Summary summary = null;
        if (sandbox.listener().isPresent()) {
          Supervisor supervisor = RunPlanning.supervisor(policy, anchors, audit, avcSize);
          if (!quiet) {
            supervisor.reportDenials(line -> {
              err.println("evfilter run: " + line);
              err.flush();
            });
          }
          summary = supervisor.serve(sandbox.listener().get());
        }
        int status = sandbox.waitFor();
        if (refusals != null) {
          refusals.finish(); // the records still on their way, reported before the summary
          refusals.failure().ifPresent(f -> err.println("evfilter run: Landlock's refusals may be missing: " + f));
        }
        if (status > 128 && status < 128 + 65) {
          int signal = status - 128;
          err.println("evfilter run: " + command.get(0) + " was killed by signal " + signal
              + (signal == 31 ? " (SIGSYS: the policy's kill or trap action)" : ""));
        }
        if (summary != null) {
          err.println(RunPlanning.summary(summary));
          err.flush();
        }
        return status;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Main.INTERNAL_ERROR;
      }
    }
  }
}
