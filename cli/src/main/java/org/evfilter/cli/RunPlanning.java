package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.natives.LandlockAbi;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.plan.EnforcementPlan;
import org.evfilter.lsm.plan.Kernel;
import org.evfilter.lsm.plan.Reason;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.PolicyBinder;

/**
 * How {@code run} turns a policy into what it enforces, and what it says about it: shared by
 * {@code run} itself and the runs {@code serve} plans for the launcher, so both load, plan, warn,
 * supervise and summarise alike.
 */
final class RunPlanning {
  private RunPlanning() {}

  /** What loading or planning gave. */
  sealed interface Outcome {}

  /** The policy as read, with the files it came from. */
  record Loaded(PolicyBinder.Loaded sources) implements Outcome {}

  /** The plan, and the warnings {@code run} says before the command starts. */
  record Planned(PolicyBinder.Loaded sources, EnforcementPlan plan, String warnings) implements Outcome {}

  /** Why not: what {@code run} prints (whole lines) and its exit status. */
  record Failed(int status, String message) implements Outcome {}

  /** The policy and its labels files read and bound, or why not. */
  static Outcome load(Path policyFile, List<Path> labels) {
    StringWriter why = new StringWriter();
    PrintWriter err = new PrintWriter(why);
    Optional<PolicyBinder.Loaded> sources = PolicyFiles.loadWithSources("run", policyFile, labels, Arch.X86_64, err);
    err.flush();
    return sources.<Outcome>map(Loaded::new).orElseGet(() -> new Failed(Main.INPUT_ERROR, why.toString()));
  }

  /**
   * The enforcement plan of a loaded policy: supervised, the task may never take over the
   * notifications, even after the supervisor died, and the supervisor hears of the syscalls that
   * change what it keeps of a thread's credentials. With {@code landlock}, the rules Landlock can
   * decide are lowered to a ruleset for this kernel (its ABI, at most {@code landlockAbi}). With
   * {@code cgroupSockets}, the socket rules cgroup eBPF programs can decide go to programs for the
   * run's cgroup leaf.
   */
  static Outcome plan(PolicyBinder.Loaded sources, Path policyFile, boolean landlock, Integer landlockAbi, boolean cgroupSockets) {
    BoundPolicy policy = sources.policy();
    EnforcementPlan plan;
    try {
      plan = EnforcementPlan.of(policy, kernel(landlock, landlockAbi), new EnforcementPlan.Options(
          SeccompCompiler.Options.defaults().withRefusedListeners(true),
          landlock ? EnforcementPlan.Landlock.BUILD : EnforcementPlan.Landlock.OFF, true, cgroupSockets));
    } catch (IOException e) {
      return new Failed(Main.ENVIRONMENT_ERROR, "evfilter run: cannot build the Landlock ruleset: " + e.getMessage()
          + " (--landlock=off runs without it)\n");
    } catch (org.evfilter.lsm.bpf.BpfException e) {
      return new Failed(Main.INPUT_ERROR, "evfilter run: " + policyFile + ": " + e.getMessage() + "\n");
    }
    return new Planned(sources, plan, warnings(policy, plan));
  }

  // The kernel planned for: this one's Landlock ABI, at most landlockAbi; none when Landlock is off.
  private static Kernel kernel(boolean landlock, Integer landlockAbi) {
    if (!landlock) {
      return Kernel.assuming(0, Arch.X86_64);
    }
    int abi = LandlockAbi.version();
    return Kernel.assuming(landlockAbi == null ? abi : Math.min(abi, landlockAbi), Arch.X86_64);
  }

  // What lets the command around the policy's own label and path rules: said before it runs.
  private static String warnings(BoundPolicy policy, EnforcementPlan plan) {
    StringBuilder warnings = new StringBuilder();
    org.evfilter.predicates.eval.PolicyAnalysis.analyse(org.evfilter.predicates.eval.PolicyEngine.compile(policy, Arch.X86_64)).stream()
        .filter(f -> f.kind() == org.evfilter.predicates.eval.PolicyAnalysis.Kind.BYPASS
            || f.kind() == org.evfilter.predicates.eval.PolicyAnalysis.Kind.LABEL_HOLE)
        .forEach(f -> warnings.append("evfilter run: warning: ").append(Findings.line(f)).append('\n'));
    // Socket rules the supervisor decides for want of cgroup v2 or a hook here: said, never silently.
    plan.reasons().stream().filter(r -> r instanceof Reason.NoCgroupV2 || r instanceof Reason.HookMissing)
        .forEach(r -> warnings.append("evfilter run: warning: ").append(r.text()).append('\n'));
    if (plan.landlock().isPresent() && SeccompCompiler.supervised(policy)) {
      // Degraded, never silently: what keeps Landlock from deciding here (no Landlock, an older
      // ABI, then what the launch found: an xattr, hard links, a bind mount) is said; what the
      // policy's own shape keeps from it, `explain` says.
      plan.reasons().stream().filter(r -> r instanceof Reason.OfKernel && !(r instanceof Reason.FoundAtLaunch)
          && !(r instanceof Reason.NoCgroupV2) && !(r instanceof Reason.HookMissing))
          .forEach(r -> warnings.append("evfilter run: warning: ").append(r.text()).append('\n'));
      plan.reasons().stream().filter(r -> r instanceof Reason.FoundAtLaunch)
          .forEach(r -> warnings.append("evfilter run: warning: ").append(r.text()).append('\n'));
    }
    return warnings.toString();
  }

  /** The supervisor of one command: its own labels cache and AVC, renames kept off the ruleset's {@code anchors}. */
  static Supervisor supervisor(BoundPolicy policy, Set<List<Long>> anchors, AuditLog audit, long avcSize) {
    return new Supervisor(policy, policy.labelResolver(16384, LinuxXattrs.reader()), audit, avcSize).keepInPlace(anchors);
  }

  /** The line {@code run} ends a supervised command with. */
  static String summary(Supervisor.Summary s) {
    return String.format("evfilter run: %d supervised syscalls: %d allowed, %d denied; AVC %d lookups, %.1f%% hits",
        s.notifications(), s.allowed(), s.denied(), s.avc().lookups(), 100 * s.avc().hitRate());
  }
}
