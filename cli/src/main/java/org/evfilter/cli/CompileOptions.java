package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.trace.TraceReader;
import org.evfilter.events.trace.Traces;
import org.evfilter.grammar.FilterException;
import org.evfilter.lsm.bpf.BpfException;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.plan.EnforcementPlan;
import org.evfilter.lsm.plan.Kernel;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of commands that compile a policy to BPF, and the compiling itself. */
final class CompileOptions {
  @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "x86_64",
      description = "The ABI the program is for: x86_64, i386 or aarch64 (default: ${DEFAULT-VALUE}). Syscall"
          + " names, numbers, argument layouts and open flags are that ABI's.")
  String arch;

  @Option(names = "--frequencies", paramLabel = "TRACE",
      description = "A trace (strace, TSV or JSONL) whose syscall counts shape the dispatch tree: frequent syscalls"
          + " get short paths, none deeper than a balanced tree.")
  Path frequencies;

  @Option(names = "--extra-depth", paramLabel = "N",
      description = "With --frequencies: how many comparisons longer than a balanced tree's the worst path may"
          + " grow so frequent syscalls get shorter paths (default: 1).")
  int extraDepth = 1;

  @Option(names = "--enosys-unknown",
      description = "Answer errno(ENOSYS) for numbers the syscall table does not know, instead of the default"
          + " (so programs fall back from syscalls newer than the policy).")
  boolean enosys;

  @Option(names = "--bad-arch", paramLabel = "ACTION", defaultValue = "kill_process",
      description = "What a syscall of another ABI (x32 included) gets, e.g. kill_process, errno(EPERM)."
          + " Default: ${DEFAULT-VALUE}.")
  String badArch;

  @Option(names = "--no-optimise", description = "Skip the optimiser (to see what it does).")
  boolean noOptimise;

  @Mixin LabelsOption labelsOption;

  @Option(names = "--landlock-abi", paramLabel = "N",
      description = "The program that runs next to a Landlock ruleset of ABI N, as `evfilter run` installs it (label"
          + " rules Landlock decides return ALLOW); says where each rule is enforced. 0: no Landlock.")
  Integer landlockAbi;

  /** The enforcement plan of the last compile (with a Landlock lowering when --landlock-abi was given). */
  EnforcementPlan plan;

  /** The arch asked for. */
  Optional<Arch> arch() {
    return Arch.of(arch);
  }

  /** The compiled policy, or empty after printing why not. */
  Optional<SeccompCompiler.Compilation> compile(String command, Path policy, PrintWriter err) {
    if (extraDepth < 0) {
      err.println("evfilter " + command + ": --extra-depth " + extraDepth + ": must be 0 or more");
      return Optional.empty();
    }
    Optional<Arch> a = arch();
    if (a.isEmpty() || a.get() == Arch.X32) {
      err.println("evfilter " + command + ": --arch " + arch + ": not one of x86_64, i386, aarch64"
          + (a.isPresent() ? " (x32 shares x86_64's audit arch: compile for x86_64)" : ""));
      return Optional.empty();
    }
    BoundPolicy.Verdict bad;
    try {
      bad = PolicyBinder.bind("--bad-arch", "default " + badArch + "\n", KernelFacts.of(1, Map.of())).defaultAction();
    } catch (FilterException e) {
      err.println("evfilter " + command + ": --bad-arch " + badArch + ": not an action (kill_process, errno(EPERM), trap...)");
      return Optional.empty();
    }
    Optional<BoundPolicy> loaded = PolicyFiles.load(command, policy, labelsOption.files, a.get(), err);
    if (loaded.isEmpty()) {
      return Optional.empty();
    }
    Map<Integer, Long> counts = new HashMap<>();
    if (frequencies != null) {
      try (TraceReader r = Traces.open(frequencies)) {
        Optional<SyscallEvent> e;
        while ((e = r.read()).isPresent()) {
          counts.merge(e.get().nr(), 1L, Long::sum);
        }
      } catch (IOException ex) {
        err.println("evfilter " + command + ": cannot read " + frequencies + ": " + ex.getMessage());
        return Optional.empty();
      }
    }
    try {
      SeccompCompiler.Options options = new SeccompCompiler.Options(a.get(), bad, enosys, counts, !noOptimise, extraDepth);
      plan = EnforcementPlan.of(loaded.get(), Kernel.assuming(landlockAbi == null ? 0 : landlockAbi, a.get()),
          new EnforcementPlan.Options(options, landlockAbi == null ? EnforcementPlan.Landlock.OFF : EnforcementPlan.Landlock.PLAN, false));
      return Optional.of(plan.compilation());
    } catch (IOException ex) {
      err.println("evfilter " + command + ": " + policy + ": " + ex.getMessage()); // only building a ruleset reads files
      return Optional.empty();
    } catch (BpfException ex) {
      err.println("evfilter " + command + ": " + policy + ": " + ex.getMessage());
      return Optional.empty();
    }
  }
}
