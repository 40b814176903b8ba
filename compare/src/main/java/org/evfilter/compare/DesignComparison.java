package org.evfilter.compare;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.bpf.ActionCache;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.compile.SeccompActions;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.AvcStats;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.DecisionCache;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;

/**
 * The same events through both designs: Ingo Molnar's event filters (the predicate engine, with
 * and without its AVC) and the seccomp BPF program the policy compiles to (in the kernel-exact
 * interpreter, plus the supervisor's evaluation where the program defers). Every event's two
 * verdicts are compared; a difference is a disagreement unless the program deferred the event to
 * user space (labels, paths), which is counted as deferred. Costs are measured in the same JVM on
 * the same events: predicates evaluated against instructions executed, and nanoseconds per event.
 */
public final class DesignComparison {
  private DesignComparison() {}

  /** One event the designs decided differently. */
  public record Disagreement(SyscallEvent event, Verdict engine, Verdict bpf) {}

  /** What each design did for one syscall's events. */
  public record SyscallCost(String syscall, long events, long predicates, long instructions, long deferred) {
    public double predicatesPerEvent() {
      return events == 0 ? 0 : (double) predicates / events;
    }

    public double instructionsPerEvent() {
      return events == 0 ? 0 : (double) instructions / events;
    }
  }

  /** Nanoseconds per event, median of the measured rounds. */
  public record Timing(double engineNs, double engineWithAvcNs, double bpfNs, int events, int rounds) {}

  /** The comparison of one policy over a list of events. */
  public record Result(long events, long agreed, long deferred, long disagreements, List<Disagreement> firstDisagreements,
      double predicatesPerEvent, double instructionsPerEvent, double instructionsWithActionCache, Timing timing, AvcStats avc,
      int programLength, int rulesLowered, int rulesDeferred, int cacheableSyscalls, List<SyscallCost> perSyscall) {
    public Result {
      firstDisagreements = List.copyOf(firstDisagreements);
      perSyscall = List.copyOf(perSyscall);
      Objects.requireNonNull(timing, "timing");
      Objects.requireNonNull(avc, "avc");
    }

    /** Whether the designs agree on every event they both decide. */
    public boolean agrees() {
      return disagreements == 0;
    }
  }

  /**
   * Compares the designs over {@code events}, whose label sets are {@code labels} (one per event,
   * 0 where the event names no object).
   *
   * @param compilation the program and how the policy was lowered; its program may be any program
   *     (a broken lowering is what this comparison exists to catch)
   * @param timedEvents how many events the timings run over (the first ones); 0 for no timing
   */
  public static Result compare(BoundPolicy policy, SeccompCompiler.Compilation compilation, BpfProgram program, List<SyscallEvent> events,
      long[] labels, int keepDisagreements, int timedEvents, long avcSize) {
    Arch arch = policy.arch();
    PolicyEngine engine = PolicyEngine.compile(policy, arch);
    SyscallTable table = SyscallTable.of(arch);
    BitSet cacheable = ActionCache.allowed(program, (int) arch.auditArch(), table.maxNumber());
    SeccompView view = new SeccompView();
    CompiledFilter.Counter counter = new CompiledFilter.Counter();
    Map<Integer, long[]> bySyscall = new TreeMap<>();
    List<Disagreement> first = new ArrayList<>();
    long agreed = 0;
    long deferred = 0;
    long disagreements = 0;
    long instructions = 0;
    long instructionsCached = 0;
    for (int i = 0; i < events.size(); i++) {
      SyscallEvent e = events.get(i);
      long before = counter.predicates;
      Verdict ev = engine.decide(view.set(e, labels[i]), counter);
      long predicates = counter.predicates - before;
      BpfProgram.Result r = program.run(data(e));
      Verdict bv = SeccompActions.verdict(r.value());
      instructions += r.executed();
      boolean hit = e.auditArch() == arch.auditArch() && e.nr() >= 0 && cacheable.get(e.nr());
      instructionsCached += hit ? 0 : r.executed();
      boolean isDeferred = bv.kind() == ActionKind.USER_NOTIF && ev.kind() != ActionKind.USER_NOTIF;
      if (isDeferred) {
        deferred++; // the supervisor's evaluation is the engine's verdict, labels included
      } else if (same(ev, bv)) {
        agreed++;
      } else {
        disagreements++;
        if (first.size() < keepDisagreements) {
          first.add(new Disagreement(e, ev, bv));
        }
      }
      long[] c = bySyscall.computeIfAbsent(e.auditArch() == arch.auditArch() ? e.nr() : -1, k -> new long[4]);
      c[0]++;
      c[1] += predicates;
      c[2] += r.executed();
      c[3] += isDeferred ? 1 : 0;
    }
    List<SyscallCost> perSyscall = new ArrayList<>();
    bySyscall.forEach((nr, c) -> perSyscall.add(new SyscallCost(nr < 0 ? "(other ABI)"
        : table.byNumber(nr).map(Syscall::name).orElse("syscall " + nr), c[0], c[1], c[2], c[3])));
    perSyscall.sort(Comparator.comparingLong(SyscallCost::events).reversed());
    Timed t = time(engine, program, events, labels, Math.min(timedEvents, events.size()), avcSize);
    int rulesDeferred = (int) compilation.rules().stream().filter(SeccompCompiler.RuleLowering::deferred).count();
    int rulesLowered = compilation.rules().size() - rulesDeferred;
    long n = events.size();
    return new Result(n, agreed, deferred, disagreements, first, n == 0 ? 0 : (double) counter.predicates / n,
        n == 0 ? 0 : (double) instructions / n, n == 0 ? 0 : (double) instructionsCached / n, t.timing, t.avc, program.length(),
        rulesLowered, rulesDeferred, cacheable.cardinality(), perSyscall);
  }

  // Kind and data where the kernel keeps data (errno, trace); a trap's data is the filter's own.
  private static boolean same(Verdict engine, Verdict bpf) {
    if (engine.kind() != bpf.kind()) {
      return false;
    }
    return engine.kind() != ActionKind.ERRNO && engine.kind() != ActionKind.TRACE || (engine.data() & 0xffff) == (bpf.data() & 0xffff);
  }

  private static SeccompData data(SyscallEvent e) {
    return new SeccompData(e.nr(), (int) e.auditArch(), e.instructionPointer(), e.args());
  }

  private record Timed(Timing timing, AvcStats avc) {}

  private static final int WARMUP_ROUNDS = 3;
  private static final int ROUNDS = 5;
  private static final int MIN_EVALUATIONS_PER_ROUND = 200_000;

  // The three designs' loops over the same events, timed by Rounds (interleaved, median of ROUNDS).
  private static Timed time(PolicyEngine engine, BpfProgram program, List<SyscallEvent> events, long[] labels, int n, long avcSize) {
    DecisionCache avc = new DecisionCache(engine, avcSize);
    if (n == 0) {
      return new Timed(new Timing(0, 0, 0, 0, 0), avc.stats());
    }
    SeccompData[] data = new SeccompData[n];
    for (int i = 0; i < n; i++) {
      data[i] = data(events.get(i));
    }
    SeccompView view = new SeccompView();
    CompiledFilter.Counter counter = new CompiledFilter.Counter();
    // Small traces are gone through several times a round, so a round is long enough to time.
    int passes = Math.max(1, MIN_EVALUATIONS_PER_ROUND / n);
    // Three loops written out, not one loop over a function: each body is compiled with its own
    // call inlined, so no design pays an indirect call per event that the others do not.
    Rounds.Loop engineLoop = sink -> {
      for (int p = 0; p < passes; p++) {
        for (int i = 0; i < n; i++) {
          sink.consume(engine.decide(view.set(events.get(i), labels[i]), counter).data());
        }
      }
    };
    Rounds.Loop avcLoop = sink -> {
      for (int p = 0; p < passes; p++) {
        for (int i = 0; i < n; i++) {
          sink.consume(avc.decide(view.set(events.get(i), labels[i]), counter).data());
        }
      }
    };
    Rounds.Loop bpfLoop = sink -> {
      for (int p = 0; p < passes; p++) {
        for (int i = 0; i < n; i++) {
          sink.consume(program.run(data[i]).value());
        }
      }
    };
    double[] ns = Rounds.nsPerOperation(List.of(engineLoop, avcLoop, bpfLoop), WARMUP_ROUNDS, ROUNDS, (long) passes * n);
    return new Timed(new Timing(ns[0], ns[1], ns[2], n, ROUNDS), avc.stats());
  }
}
