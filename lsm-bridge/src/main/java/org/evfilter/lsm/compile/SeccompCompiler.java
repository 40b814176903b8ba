package org.evfilter.lsm.compile;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Errno;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.bpf.ActionCache;
import org.evfilter.lsm.bpf.Assembler;
import org.evfilter.lsm.bpf.Assembler.Label;
import org.evfilter.lsm.bpf.BpfException;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.BranchProgram;
import org.evfilter.lsm.bpf.Opcodes;
import org.evfilter.lsm.bpf.Optimizer;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.bpf.SeccompReturn;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.PolicyEngine;

/**
 * Lowers a bound policy to a default-deny seccomp cBPF program that decides every syscall exactly
 * as {@link PolicyEngine} does: the arch check first, then a comparison tree over ranges of syscall
 * numbers with the same decision, then each range's rules with arguments compared at their real
 * width. What BPF cannot decide (labels, strings) returns {@code SECCOMP_RET_USER_NOTIF} for the
 * syscalls and argument values concerned, so user space decides exactly those.
 */
public final class SeccompCompiler {
  /**
   * How to compile.
   *
   * @param badArch what a syscall of another ABI gets (x32 numbers on x86_64 included)
   * @param enosysForUnknown whether numbers the syscall table does not know answer ENOSYS instead
   *     of the policy's default, as container runtimes want for syscalls newer than the policy
   * @param frequencies how often each syscall number is called (empty: all alike); frequent
   *     ranges get short paths, never deeper than a balanced tree
   * @param optimise whether to run the {@link Optimizer}
   * @param extraDepth how many comparisons longer than a balanced tree's the worst path may grow so
   *     frequent syscalls get shorter paths (only with frequencies)
   * @param refuseListeners whether, in a program that defers syscalls to a supervisor, {@code
   *     seccomp()} asking for a notification listener fails with EPERM whatever the policy says: a
   *     task that outlived its supervisor could otherwise install its own listener and answer its own
   *     notifications
   * @param landlocked syscalls whose label rules a Landlock ruleset decides: where their decision
   *     depends on a label the program returns ALLOW (Landlock then decides on the object) instead
   *     of USER_NOTIF, except for the calls their {@link LandlockGate} keeps for the supervisor
   */
  public record Options(Arch arch, Verdict badArch, boolean enosysForUnknown, Map<Integer, Long> frequencies, boolean optimise,
      int extraDepth, boolean refuseListeners, Map<Integer, LandlockGate> landlocked) {
    public Options {
      Objects.requireNonNull(arch, "arch");
      Objects.requireNonNull(badArch, "badArch");
      frequencies = Map.copyOf(frequencies);
      landlocked = Map.copyOf(landlocked);
      if (extraDepth < 0) {
        throw new IllegalArgumentException("extraDepth must be 0 or more, not " + extraDepth);
      }
    }

    public Options(Arch arch, Verdict badArch, boolean enosysForUnknown, Map<Integer, Long> frequencies, boolean optimise) {
      this(arch, badArch, enosysForUnknown, frequencies, optimise, frequencies.isEmpty() ? 0 : 1, false, Map.of());
    }

    public Options(Arch arch, Verdict badArch, boolean enosysForUnknown, Map<Integer, Long> frequencies, boolean optimise,
        int extraDepth) {
      this(arch, badArch, enosysForUnknown, frequencies, optimise, extraDepth, false, Map.of());
    }

    public Options withRefusedListeners(boolean on) {
      return new Options(arch, badArch, enosysForUnknown, frequencies, optimise, extraDepth, on, landlocked);
    }

    public static Options defaults() {
      return new Options(Arch.X86_64, PolicyEngine.BAD_ARCH, false, Map.of(), true);
    }

    public Options withFrequencies(Map<Integer, Long> f) {
      return new Options(arch, badArch, enosysForUnknown, f, optimise, f.isEmpty() ? 0 : Math.max(1, extraDepth), refuseListeners, landlocked);
    }

    public Options withEnosysForUnknown(boolean on) {
      return new Options(arch, badArch, on, frequencies, optimise, extraDepth, refuseListeners, landlocked);
    }

    public Options withArch(Arch a) {
      return new Options(a, badArch, enosysForUnknown, frequencies, optimise, extraDepth, refuseListeners, landlocked);
    }

    public Options withOptimise(boolean on) {
      return new Options(arch, badArch, enosysForUnknown, frequencies, on, extraDepth, refuseListeners, landlocked);
    }

    /**
     * These options with the syscalls {@code nrs} decided in the kernel elsewhere (cgroup eBPF
     * programs at socket hooks): where their decision depends on what BPF cannot read, the program
     * returns ALLOW, as for {@link LandlockGate#NONE}.
     */
    public Options withDecidedElsewhere(Set<Integer> nrs) {
      Map<Integer, LandlockGate> gates = new java.util.HashMap<>(landlocked);
      nrs.forEach(nr -> gates.put(nr, LandlockGate.NONE));
      return withLandlocked(gates);
    }

    /** These options with {@code gates} as the syscalls a Landlock ruleset decides labels for. */
    public Options withLandlocked(Map<Integer, LandlockGate> gates) {
      return new Options(arch, badArch, enosysForUnknown, frequencies, optimise, extraDepth, refuseListeners, gates);
    }
  }

  /** How a rule was lowered: entirely in BPF, or with a part deferred to user space. */
  public record RuleLowering(String origin, Verdict action, Set<Integer> syscalls, String filter, boolean deferred) {}

  /**
   * Figures of a compiled program.
   *
   * @param treeDepth comparisons on the longest path of the syscall-number tree
   * @param ranges ranges of syscall numbers with one decision
   * @param cacheable numbers of the arch's table the kernel's action cache allows without running
   *     the filter
   */
  public record Stats(int length, int treeDepth, int ranges, int cacheable, int deferredRules) {}

  /** A compiled policy: the program, before optimisation too, and how it came about. */
  public record Compilation(BpfProgram program, BranchProgram unoptimised, Stats stats, List<RuleLowering> rules) {
    /** Whether some rules defer to user space (labels, paths). */
    public boolean defers() {
      return stats.deferredRules > 0;
    }

    /** Whether the program returns USER_NOTIF anywhere, so it needs a listener. */
    public boolean notifies() {
      return program.instructions().stream().anyMatch(i -> i.code() == (Opcodes.RET | Opcodes.K)
          && (i.k() & SeccompReturn.ACTION) == SeccompReturn.USER_NOTIF);
    }
  }

  private static final Verdict ENOSYS = new Verdict(ActionKind.ERRNO, Errno.ENOSYS);
  // Where bit 30 (x32) changes, and -1 alone: a tracer's "skip this syscall", never x32.
  private static final long[] ABI_BOUNDARIES = {0x40000000L, 0x80000000L, 0xc0000000L, 0xffffffffL};

  private final BoundPolicy policy;
  private final Options options;
  private final PolicyEngine engine;
  private final SyscallTable table;
  private final int auditArch;
  private final Map<BoundPolicy.Rule, Condition> conditions = new IdentityHashMap<>();
  // Whether the program defers syscalls and refuses the task listeners of its own.
  private boolean supervised;

  private SeccompCompiler(BoundPolicy policy, Options options) {
    this.policy = policy;
    this.options = options;
    this.engine = PolicyEngine.compile(policy, options.arch());
    this.table = SyscallTable.of(options.arch());
    this.auditArch = (int) options.arch().auditArch();
  }

  /**
   * Compiles {@code policy}.
   *
   * @throws BpfException when the program would not fit the kernel's 4096 instructions, naming
   *     what takes the room
   */
  public static Compilation compile(BoundPolicy policy, Options options) {
    if (options.arch() == Arch.X32) {
      throw new IllegalArgumentException("x32 programs are not compiled: x32 shares x86_64's audit arch, compile for x86_64");
    }
    if (options.arch() != policy.arch()) {
      throw new IllegalArgumentException("the policy was bound with " + policy.arch().id() + " syscall numbers, not "
          + options.arch().id() + "'s: bind it for the arch it is compiled for");
    }
    return new SeccompCompiler(policy, options).run();
  }

  // gate: for a syscall Landlock decides labels for, which calls still go to the supervisor (null:
  // every label-dependent call does).
  private record Decision(List<Ladder.Rung> entries, int fallback, Condition gate) {
    Decision(List<Ladder.Rung> entries, int fallback) {
      this(entries, fallback, null);
    }
  }

  private record Range(long lo, long hi, Decision decision, long weight) {}

  /**
   * Whether {@code policy}'s program sends syscalls to a supervisor: some rules cannot be decided
   * in BPF (labels, paths), or a rule or the default says user_notif.
   */
  public static boolean supervised(BoundPolicy policy) {
    return new SeccompCompiler(policy, Options.defaults().withArch(policy.arch())).notifiesSupervisor();
  }

  private boolean notifiesSupervisor() {
    return policy.defaultAction().kind() == ActionKind.USER_NOTIF
        || policy.rules().stream().anyMatch(r -> r.action().kind() == ActionKind.USER_NOTIF || condition(r).defers());
  }

  private Compilation run() {
    // A task's own listener would answer the notifications of its own filter before ours.
    supervised = options.refuseListeners() && notifiesSupervisor();
    List<Range> ranges = ranges();
    Assembler asm = new Assembler();
    ProgramWriter w = new ProgramWriter(asm);
    Map<Decision, Label> blocks = new LinkedHashMap<>();
    Decision bad = new Decision(List.of(), SeccompActions.value(options.badArch()));
    Label badLabel = asm.label();
    blocks.put(bad, badLabel);
    Label numbers = asm.label();
    asm.stmt(Opcodes.LD | Opcodes.W | Opcodes.ABS, SeccompData.ARCH);
    asm.jump(Opcodes.JMP | Opcodes.JEQ | Opcodes.K, auditArch, numbers, badLabel);
    asm.bind(numbers);
    List<Long> starts = new ArrayList<>();
    List<Label> leaves = new ArrayList<>();
    List<Long> weights = new ArrayList<>();
    for (Range r : ranges) {
      Label l = blocks.computeIfAbsent(r.decision, d -> asm.label());
      if (!leaves.isEmpty() && leaves.get(leaves.size() - 1) == l) {
        weights.set(weights.size() - 1, weights.get(weights.size() - 1) + r.weight);
        continue;
      }
      starts.add(r.lo);
      leaves.add(l);
      weights.add(r.weight);
    }
    Segments segments = Segments.merged(starts, leaves);
    Map<Label, Integer> costs = new IdentityHashMap<>();
    blocks.forEach((d, l) -> costs.put(l, worstPath(d)));
    int[] slack = new int[segments.size()];
    for (int i = 0; i < slack.length; i++) {
      slack[i] = costs.get(segments.leaf(i)) - 1;
    }
    int depth = w.dispatch(SeccompData.NR, -1, segments, weights.stream().mapToLong(Long::longValue).toArray(),
        ProgramWriter.ceilLog2(segments.size()) + (options.frequencies().isEmpty() ? 0 : options.extraDepth()), slack);
    Label deferred = asm.label();
    for (Map.Entry<Decision, Label> b : blocks.entrySet()) {
      if (b.getKey() == bad && !leaves.contains(badLabel)) {
        // The arch check is its only user: emit it last, below.
        continue;
      }
      asm.bind(b.getValue());
      decision(w, b.getKey(), deferred);
    }
    if (!leaves.contains(badLabel)) {
      asm.bind(badLabel);
      w.ret(bad.fallback);
    }
    if (w.deferredUsed()) {
      asm.bind(deferred);
      w.ret(SeccompReturn.USER_NOTIF);
    }
    BranchProgram unoptimised = asm.branchProgram();
    BranchProgram chosen = options.optimise() ? Optimizer.optimise(unoptimised) : unoptimised;
    BpfProgram program = fits(chosen, segments.size());
    int cacheable = ActionCache.allowed(program, auditArch, table.maxNumber()).cardinality();
    List<RuleLowering> lowered = new ArrayList<>();
    int deferredRules = 0;
    for (BoundPolicy.Rule r : policy.rules()) {
      boolean defers = condition(r).defers();
      deferredRules += defers ? 1 : 0;
      lowered.add(new RuleLowering(r.origin(), r.action(), r.syscalls(), r.filterText().orElse(""), defers));
    }
    return new Compilation(program, unoptimised,
        new Stats(program.length(), depth, segments.size(), cacheable, deferredRules), lowered);
  }

  // The most instructions a decision's code runs, return included.
  private int worstPath(Decision d) {
    Assembler asm = new Assembler();
    ProgramWriter w = new ProgramWriter(asm);
    Label deferred = asm.label();
    decision(w, d, deferred);
    if (w.deferredUsed()) {
      asm.bind(deferred);
      w.ret(SeccompReturn.USER_NOTIF);
    }
    BranchProgram p = Optimizer.optimise(asm.branchProgram());
    int[] longest = new int[p.size()];
    for (int pc = p.size() - 1; pc >= 0; pc--) {
      BranchProgram.Op o = p.op(pc);
      int next = o.isReturn() ? 0 : o.isJa() ? longest[o.jt()] : o.isJump() ? Math.max(longest[o.jt()], longest[o.jf()]) : longest[pc + 1];
      longest[pc] = 1 + next;
    }
    return longest[0];
  }

  private BpfProgram fits(BranchProgram p, int ranges) {
    List<org.evfilter.lsm.bpf.Instruction> insns = p.encode();
    if (insns.size() > Opcodes.MAX_INSNS) {
      throw new BpfException(-1, "the policy needs " + insns.size() + " instructions, more than the kernel's "
          + Opcodes.MAX_INSNS + ": " + ranges + " ranges of syscall numbers and " + policy.rules().size()
          + " rules; split it into stacked policies or simplify the largest filters");
    }
    return BpfProgram.of(insns);
  }

  // A decision's rules in order; the first that holds returns its action, the fallback ends it. A
  // rule that only user space can decide does not give up at once: the rest runs "pending" its
  // action, and returns it wherever the rest would have decided the same anyway (so user space is
  // asked only when the answer really depends on the label). One pending chain per action.
  private void decision(ProgramWriter w, Decision d, Label deferred) {
    Assembler asm = w.assembler();
    if (d.gate != null && d.entries.stream().anyMatch(e -> e.condition().defers())) {
      // Where the label decides, Landlock does (ALLOW here), but for the calls it cannot see.
      Label landlock = asm.label();
      decisionBody(w, d, landlock);
      asm.bind(landlock);
      Label notify = asm.label();
      Label allow = asm.label();
      w.condition(d.gate, notify, allow, notify);
      asm.bind(notify);
      w.ret(SeccompReturn.USER_NOTIF);
      asm.bind(allow);
      w.ret(SeccompReturn.ALLOW);
      return;
    }
    decisionBody(w, d, deferred);
  }

  private void decisionBody(ProgramWriter w, Decision d, Label deferred) {
    Assembler asm = w.assembler();
    List<Ladder.Rung> es = d.entries;
    int n = es.size();
    Map<Integer, Label[]> pending = new LinkedHashMap<>();
    Map<Integer, Integer> firstPending = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      Ladder.Rung e = es.get(i);
      Label unsure = deferred;
      if (e.condition().defers() && (d.fallback == e.action() || es.subList(i + 1, n).stream().anyMatch(x -> x.action() == e.action()))) {
        Label[] chain = pending.computeIfAbsent(e.action(), k -> labels(asm, n + 1));
        firstPending.merge(e.action(), i + 1, Math::min);
        unsure = chain[i + 1];
      }
      Label yes = asm.label();
      Label no = asm.label();
      w.condition(e.condition(), yes, no, unsure);
      asm.bind(yes);
      w.ret(e.action());
      asm.bind(no);
    }
    w.ret(d.fallback);
    for (Map.Entry<Integer, Label[]> p : pending.entrySet()) {
      int action = p.getKey();
      Label[] chain = p.getValue();
      Label same = asm.label();
      for (int j = firstPending.get(action); j < n; j++) {
        asm.bind(chain[j]);
        Ladder.Rung e = es.get(j);
        w.condition(e.condition(), e.action() == action ? same : deferred, chain[j + 1], deferred);
      }
      asm.bind(chain[n]);
      if (d.fallback == action) {
        w.ret(action);
      } else {
        asm.ja(deferred);
      }
      asm.bind(same);
      w.ret(action);
    }
  }

  private static Label[] labels(Assembler asm, int count) {
    Label[] out = new Label[count];
    for (int i = 0; i < count; i++) {
      out[i] = asm.label();
    }
    return out;
  }

  // The decision of every syscall number, as ranges over the whole 32-bit space.
  private List<Range> ranges() {
    int exact = table.maxNumber();
    for (BoundPolicy.Rule r : policy.rules()) {
      for (int nr : r.syscalls()) {
        exact = Math.max(exact, nr);
      }
    }
    List<Range> out = new ArrayList<>();
    for (int nr = 0; nr <= exact; nr++) {
      out.add(new Range(nr, nr, decision(nr, nr), weight(nr, nr)));
    }
    TreeSet<Long> cuts = new TreeSet<>();
    cuts.add(exact + 1L);
    for (long b : ABI_BOUNDARIES) {
      cuts.add(b);
    }
    for (BoundPolicy.Rule r : policy.rules()) {
      if (r.syscalls().isEmpty()) {
        numberBounds(condition(r), cuts);
      }
    }
    List<Long> points = new ArrayList<>(cuts.tailSet(exact + 1L));
    for (int i = 0; i < points.size(); i++) {
      long lo = points.get(i);
      long hi = i + 1 < points.size() ? points.get(i + 1) - 1 : 0xffffffffL;
      if (lo > 0xffffffffL) {
        break;
      }
      boolean foreign = options.arch() == Arch.X86_64 && (lo & Arch.X32_SYSCALL_BIT) != 0 && lo != 0xffffffffL;
      Decision d = foreign ? new Decision(List.of(), SeccompActions.value(options.badArch())) : decision(lo, hi);
      out.add(new Range(lo, hi, d, weight(lo, hi)));
    }
    return out;
  }

  // Where the outcome of comparisons of nr changes.
  private static void numberBounds(Condition c, TreeSet<Long> cuts) {
    if (c instanceof Condition.Compare cmp && cmp.offset() == SeccompData.NR) {
      for (int i = 0; i < cmp.set().size(); i++) {
        cuts.add(cmp.set().lo(i));
        cuts.add(cmp.set().hi(i) + 1);
      }
    } else if (c instanceof Condition.All a) {
      a.operands().forEach(o -> numberBounds(o, cuts));
    } else if (c instanceof Condition.Any a) {
      a.operands().forEach(o -> numberBounds(o, cuts));
    } else if (c instanceof Condition.Not n) {
      numberBounds(n.operand(), cuts);
    }
  }

  private long weight(long lo, long hi) {
    long w = 1;
    for (Map.Entry<Integer, Long> f : options.frequencies().entrySet()) {
      long nr = f.getKey() & 0xffffffffL;
      if (nr >= lo && nr <= hi) {
        // Scaled so one call outweighs any number of syscalls never seen.
        w += f.getValue() * 1_000_000L;
      }
    }
    return w;
  }

  private Condition condition(BoundPolicy.Rule r) {
    return conditions.computeIfAbsent(r, k -> k.filter().map(Condition::of).orElse(Condition.TRUE));
  }

  // The rules of the numbers lo..hi (one rule list for all of them), specialised to what the
  // dispatch knows there: the number range and the arch.
  private Decision decision(long lo, long hi) {
    boolean known = lo <= table.maxNumber() && table.byNumber(lo).isPresent();
    int fallback = SeccompActions.value(!known && options.enosysForUnknown() ? ENOSYS : policy.defaultAction());
    List<Ladder.Rung> rungs = new ArrayList<>();
    if (supervised && lo == hi && table.byName("seccomp").map(x -> x.nr() == lo).orElse(false)) {
      // seccomp(SECCOMP_SET_MODE_FILTER, flags & SECCOMP_FILTER_FLAG_NEW_LISTENER, ...)
      rungs.add(new Ladder.Rung(SeccompActions.value(new Verdict(ActionKind.ERRNO, Errno.EPERM)), new Condition.All(List.of(
          new Condition.Compare(SeccompData.argLow(0), 4, 0xffffffffL, IntervalSet.unsigned(32, 1, 1)),
          new Condition.AnyBit(SeccompData.argLow(1), 4, 8)))));
    }
    for (PolicyEngine.CompiledRule cr : engine.rules((int) lo)) {
      // A rule on every syscall keeps its bit tests of nr ("nr & 1"): folded per number they would
      // split the number space into hundreds of ranges, where one jset does.
      boolean everySyscall = cr.rule().syscalls().isEmpty();
      Condition c = Condition.specialise(condition(cr.rule()), t -> fold(t, lo, hi, !everySyscall));
      rungs.add(new Ladder.Rung(SeccompActions.value(cr.rule().action()), c));
    }
    Ladder ladder = new Ladder(rungs, fallback).simplified();
    LandlockGate gate = lo == hi ? options.landlocked().get((int) lo) : null;
    return new Decision(ladder.rungs(), ladder.fallback(), gate == null ? null : gate.condition());
  }

  // What a test of nr or arch is known to be for the numbers lo..hi (null: not known); bit tests of
  // nr are folded for one number only when foldBits.
  private Boolean fold(Condition t, long lo, long hi, boolean foldBits) {
    int offset = t instanceof Condition.Compare c ? c.offset() : ((Condition.AnyBit) t).offset();
    if (offset == SeccompData.ARCH) {
      return Condition.holds(t, auditArch & 0xffffffffL);
    }
    if (offset != SeccompData.NR) {
      return null;
    }
    if (t instanceof Condition.Compare c && c.mask() == 0xffffffffL) {
      return c.set().covers(lo, hi);
    }
    return lo == hi && foldBits ? Condition.holds(t, lo) : null;
  }
}
