package org.evfilter.lsm.landlock;

import static org.evfilter.events.syscalls.Errno.EACCES;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.bpf.SeccompReturn;
import org.evfilter.lsm.compile.LandlockGate;
import org.evfilter.lsm.compile.SeccompActions;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.plan.Kernel;
import org.evfilter.lsm.plan.Reason;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.predicates.labels.FileContexts;

/**
 * Lowers the label rules Landlock can express to a Landlock ruleset, next to the seccomp program.
 *
 * <p>A syscall is lowered when its whole decision is a function Landlock computes: its rules read
 * only labels and bits of its flags; every label it allows is given by file_contexts entries that
 * name directory trees or files; wherever entries of different labels may meet, the label that wins
 * there is granted at least what the other is (Landlock adds up the rights of a path's ancestors);
 * and the decision, checked call by call (every combination of the flag bits the rules and the
 * rights depend on, every situation: existing file, directory, created file; every label and none),
 * is the one the program and the ruleset give together. The program is checked by running it, so
 * what is proven is what is installed. Labels only xattrs give stay with the supervisor, and so does
 * everything this proof does not cover. A denial by Landlock is EACCES, whatever errno the policy
 * says: said in the notes.
 */
public final class LandlockLowering {
  private static final int MAX_FLAG_BITS = 14;
  private static final String[] XATTR_WRITERS = {"setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
      "fremovexattr", "setxattrat", "removexattrat"};

  private final BoundPolicy policy;
  private final SeccompCompiler.Options options;
  private final int abi;
  private final PolicyEngine engine;
  private final SyscallTable table;
  private final SeccompView view = new SeccompView();
  private final CompiledFilter.Counter counter = new CompiledFilter.Counter();
  private final List<Long> labelSets = new ArrayList<>();
  private final Map<Integer, Candidate> candidates = new TreeMap<>();
  private final Map<Integer, Reason> fallbacks = new LinkedHashMap<>();
  private boolean selinux;

  // A lowerable syscall: its model and the decision of each of its calls, by flags and label set.
  private record Candidate(int nr, String name, CallRights model, long[] flags, Map<Long, Verdict[]> decisions) {}

  private LandlockLowering(BoundPolicy policy, SeccompCompiler.Options options, int abi) {
    this.policy = policy;
    this.options = options;
    this.abi = abi;
    this.engine = PolicyEngine.compile(policy, options.arch());
    this.table = SyscallTable.of(options.arch());
    labelSets.add(0L);
    for (int i = 0; i < policy.labels().size(); i++) {
      labelSets.add(1L << i);
    }
  }

  /**
   * Plans the lowering of {@code policy} for a kernel with Landlock ABI {@code abi} (0: none) and
   * SELinux active or not, compiling its program with {@code options}; {@code excluded} syscalls
   * stay with the supervisor for the reasons given (found at launch: an xattr, a tree that changed).
   */
  public static LandlockPlan plan(BoundPolicy policy, SeccompCompiler.Options options, int abi, boolean selinux,
      Map<Integer, String> excluded) {
    LandlockLowering l = new LandlockLowering(policy, options, abi);
    l.selinux = selinux;
    excluded.forEach((nr, why) -> l.fallbacks.put(nr, new Reason.FoundAtLaunch(nr, l.name(nr), why)));
    return l.run(excluded.keySet());
  }

  /** The plan for {@code policy} with nothing excluded, on this machine (SELinux or not) with Landlock ABI {@code abi}. */
  public static LandlockPlan plan(BoundPolicy policy, SeccompCompiler.Options options, int abi) {
    return plan(policy, options, abi, Kernel.assuming(abi, options.arch()).selinux(), Map.of());
  }

  private String name(int nr) {
    return table.byNumber(nr).map(s -> s.name()).orElse("#" + nr);
  }

  /**
   * The lowered syscalls of {@code plan} whose decision differs between the label sets {@code a}
   * and {@code b} for some call: an object Landlock sees as {@code b} (by its path) but the policy
   * as {@code a} (by its xattr) would be decided wrongly for these.
   */
  public static Set<Integer> deciding(BoundPolicy policy, LandlockPlan plan, long a, long b) {
    LandlockLowering l = new LandlockLowering(policy, SeccompCompiler.Options.defaults().withArch(policy.arch()), plan.abi());
    Set<Integer> out = new TreeSet<>();
    for (int nr : plan.lowered().keySet()) {
      String name = l.table.byNumber(nr).map(s -> s.name()).orElse("");
      CallRights model = CallRights.lowerable(name).orElseThrow();
      for (long f : l.flagValues(nr, model).orElse(new long[] {0})) {
        if (!model.gated(model.flags(f)) && allows(l.decide(nr, model, f, a)) != allows(l.decide(nr, model, f, b))) {
          out.add(nr);
          break;
        }
      }
    }
    return out;
  }

  /**
   * A policy rule Landlock enforced by refusing: the syscall and call it was checked on, the rule
   * (empty: the policy's default) and its action.
   */
  public record Refusal(String syscall, Optional<BoundPolicy.Rule> rule, Verdict action) {}

  /**
   * Why the ruleset of {@code plan} refuses {@code rights} (bits of {@link FsAccess}) on an object
   * with labels {@code labels}: the first lowered call needing one of those rights that the policy
   * refuses on such an object, and the rule that refuses it. Empty when no lowered call explains it
   * (a right the ruleset handles that no lowered call needs: execve's execute, a move's refer).
   */
  public static Optional<Refusal> refusing(BoundPolicy policy, LandlockPlan plan, long rights, long labels) {
    LandlockLowering l = new LandlockLowering(policy, SeccompCompiler.Options.defaults().withArch(policy.arch()), plan.abi());
    for (int nr : plan.lowered().keySet()) {
      String name = l.table.byNumber(nr).map(s -> s.name()).orElse("");
      CallRights model = CallRights.lowerable(name).orElseThrow();
      for (long f : l.flagValues(nr, model).orElse(new long[] {0})) {
        boolean needs = model.situations(f).stream().anyMatch(s -> (s & rights) != 0);
        if (needs && !model.gated(model.flags(f))) {
          Verdict v = l.decide(nr, model, f, labels);
          if (!allows(v)) {
            return Optional.of(new Refusal(name, l.engine.decidingRule(l.call(nr, model, f, labels)), v));
          }
        }
      }
    }
    return Optional.empty();
  }

  private LandlockPlan run(Set<Integer> excluded) {
    if (abi < 1) {
      return nothing(Reason.Machine.LANDLOCK_MISSING);
    }
    if (options.arch() != org.evfilter.events.syscalls.Arch.X86_64) {
      return nothing(new Reason.ArchNotSupported(options.arch()));
    }
    for (String w : XATTR_WRITERS) {
      Optional<Integer> nr = table.byName(w).map(s -> s.nr());
      // Sent to the supervisor, a call writes a label xattr only where a rule reading new_label allows it.
      if (nr.isPresent() && (reachesKernelUnchecked(nr.get()) || relabels(nr.get()))) {
        return nothing(new Reason.LabelXattrsWritable(w));
      }
    }
    for (String w : new String[] {"rename", "renameat", "renameat2", "link", "linkat"}) {
      Optional<Integer> nr = table.byName(w).map(s -> s.nr());
      if (nr.isPresent() && reachesKernelUnchecked(nr.get())) {
        return nothing(new Reason.MovesUnsupervised(w));
      }
    }
    if (selinux) {
      return nothing(Reason.Machine.SELINUX_ACTIVE);
    }
    collectCandidates(excluded);
    Set<Integer> lowered = new TreeSet<>(candidates.keySet());
    while (true) {
      Map<Long, Long> grants = grants(lowered);
      if (dropForTrees(lowered, grants)) {
        continue;
      }
      long handled = 0;
      for (long r : grants.values()) {
        handled |= r;
      }
      long beyond = handled & ~FsAccess.upTo(abi);
      if (beyond != 0) {
        dropNeeding(lowered, beyond);
        continue;
      }
      Map<Integer, LandlockGate> gates = gates(lowered);
      // Syscalls decided elsewhere in the kernel (cgroup socket hooks) keep their gates.
      Map<Integer, LandlockGate> all = new java.util.HashMap<>(options.landlocked());
      all.putAll(gates);
      SeccompCompiler.Compilation c = SeccompCompiler.compile(policy, options.withLandlocked(all));
      Verified v = verify(lowered, grants, handled, c.program());
      if (v.failed.isEmpty()) {
        return finish(gates, grants, v.handled, c);
      }
      v.failed.forEach((nr, why) -> fallbacks.put(nr, why));
      lowered.removeAll(v.failed.keySet());
    }
  }

  private LandlockPlan nothing(Reason why) {
    SeccompCompiler.Compilation c = SeccompCompiler.compile(policy, options);
    return new LandlockPlan(abi, Map.of(), Map.of(), 0, List.of(), placements(c, Set.of()), List.of(why), List.of(), c);
  }

  // Whether some call of nr may be let through to the kernel without a supervisor deciding it.
  private boolean mayReachKernel(int nr) {
    return policy.defaultAction().kind().passesUnsupervised()
        || engine.rules(nr).stream().anyMatch(cr -> cr.rule().action().kind().passesUnsupervised());
  }

  // Whether a rule of the policy allows relabelling (reads new_label) on nr.
  private boolean relabels(int nr) {
    return policy.relabellingRules().stream().anyMatch(r -> r.syscalls().isEmpty() || r.syscalls().contains(nr));
  }

  // Whether some call of nr may be let through to the kernel by the program itself (not by a
  // supervisor that decides it).
  private boolean reachesKernelUnchecked(int nr) {
    if (engine.rules(nr).stream().anyMatch(cr -> cr.rule().action().kind() == ActionKind.USER_NOTIF && cr.rule().filter().isEmpty())) {
      return false; // every call of nr goes to the supervisor, or is refused before it
    }
    if (policy.defaultAction().kind().passesUnsupervised()) {
      return true;
    }
    for (PolicyEngine.CompiledRule cr : engine.rules(nr)) {
      ActionKind k = cr.rule().action().kind();
      // Only a rule that reads nothing but labels and strings is sure to be sent to the supervisor:
      // one that also reads arguments may be allowed by them alone (A || label & x), in BPF.
      boolean decidedInBpf = cr.rule().filter().isEmpty() || atoms(cr.rule().filter().get(), new ArrayList<>()).stream()
          .anyMatch(a -> !(a instanceof Atom.Text) && !(a instanceof Atom.Numeric n && n.field().name().equals("label")));
      if (k.passesUnsupervised() && decidedInBpf) {
        return true;
      }
    }
    return false;
  }

  // ---- which syscalls may be lowered, and their decisions

  private void collectCandidates(Set<Integer> excluded) {
    long xattrOnly = xattrOnlyLabels();
    Set<Integer> withLabels = new TreeSet<>();
    Set<Integer> named = new TreeSet<>();
    for (BoundPolicy.Rule r : policy.rules()) {
      if (r.filter().isPresent() && labelBitsRead(r.filter().get()) != null) {
        named.addAll(r.syscalls());
        if (r.syscalls().isEmpty()) {
          for (int nr = 0; nr <= table.maxNumber(); nr++) {
            withLabels.add(nr);
          }
        } else {
          withLabels.addAll(r.syscalls());
        }
      }
    }
    for (int nr : withLabels) {
      Optional<String> name = table.byNumber(nr).map(s -> s.name());
      if (name.isEmpty() || excluded.contains(nr)) {
        continue;
      }
      Optional<CallRights> model = name.flatMap(CallRights::lowerable);
      if (model.isPresent()) {
        candidate(nr, name.get(), model.get(), xattrOnly);
      } else if (named.contains(nr)) {
        fallbacks.putIfAbsent(nr, new Reason.NotLowerable(nr, name.get()));
      }
    }
  }

  // The labels only xattrs give: no file_contexts entry names them.
  private long xattrOnlyLabels() {
    Set<Long> pathLabels = new LinkedHashSet<>();
    for (FileContexts.Entry e : policy.fileContexts().entries()) {
      pathLabels.add(bits(e));
    }
    long xattrOnly = 0;
    for (long set : labelSets) {
      if (set != 0 && !pathLabels.contains(set)) {
        xattrOnly |= set;
      }
    }
    return xattrOnly;
  }

  // Makes nr a candidate when its decision is a function Landlock computes; otherwise says why not.
  private void candidate(int nr, String name, CallRights model, long xattrOnly) {
    String problem = shape(nr, model, xattrOnly);
    if (problem != null) {
      fallbacks.put(nr, new Reason.NotExpressible(nr, name, problem));
      return;
    }
    Optional<long[]> fs = flagValues(nr, model);
    if (fs.isEmpty()) {
      fallbacks.put(nr, new Reason.NotExpressible(nr, name, name + "'s rules test more than " + MAX_FLAG_BITS + " flag bits"));
      return;
    }
    Map<Long, Verdict[]> decisions = new HashMap<>();
    for (long set : labelSets) {
      Verdict[] vs = new Verdict[fs.get().length];
      for (int i = 0; i < vs.length; i++) {
        vs[i] = decide(nr, model, fs.get()[i], set);
      }
      decisions.put(set, vs);
    }
    String action = actionLandlockCannotTake(decisions, fs.get().length);
    if (action != null) {
      fallbacks.put(nr, new Reason.NotExpressible(nr, name, name + " takes the action " + action
          + " on some labels, which Landlock cannot take"));
      return;
    }
    candidates.put(nr, new Candidate(nr, name, model, fs.get(), decisions));
  }

  // An action other than allow or errno taken on some label set where the labels change the decision (null: none).
  private String actionLandlockCannotTake(Map<Long, Verdict[]> decisions, int calls) {
    String action = null;
    for (int i = 0; i < calls && action == null; i++) {
      Verdict first = decisions.get(0L)[i];
      boolean varies = false;
      for (long set : labelSets) {
        varies |= !decisions.get(set)[i].equals(first);
      }
      for (long set : labelSets) {
        Verdict v = decisions.get(set)[i];
        if (varies && v.kind() != ActionKind.ALLOW && v.kind() != ActionKind.ERRNO) {
          action = v.toString();
        }
      }
    }
    return action;
  }

  // Why nr's rules are not a function of labels and flag bits alone (null: they are).
  private String shape(int nr, CallRights model, long xattrOnly) {
    for (PolicyEngine.CompiledRule cr : engine.rules(nr)) {
      BoundPolicy.Rule r = cr.rule();
      if (r.filter().isEmpty()) {
        continue;
      }
      for (Atom a : atoms(r.filter().get(), new ArrayList<>())) {
        int slot = slot(a);
        if (slot == SeccompView.NR || slot == SeccompView.ARCH) {
          continue;
        }
        if (slot == SeccompView.LABELS) {
          long read = a instanceof Atom.Numeric n ? n.value() | ((n.mask() & 0xffffffffL) == 0xffffffffL ? 0 : n.mask()) : -1;
          if ((read & xattrOnly) != 0) {
            return r.origin() + " reads " + String.join(", ", policy.labelNames(read & xattrOnly))
                + ", which only xattrs give (Landlock sees paths, not xattrs)";
          }
          continue;
        }
        if (slot == model.flagsArg() && a instanceof Atom.Numeric n
            && (n.operator() == Operator.EQ || n.operator() == Operator.NE || n.operator() == Operator.BAND)) {
          continue;
        }
        return r.origin() + " reads " + a.field().name() + (slot == model.flagsArg() ? " by order or set" : "")
            + ", which Landlock cannot see";
      }
    }
    return null;
  }

  private static int slot(Atom a) {
    return SeccompView.LAYOUT.slot(a.field()).orElse(-1);
  }

  // The label bits a filter reads (null: none).
  private static Long labelBitsRead(BoundExpression e) {
    long out = 0;
    boolean any = false;
    for (Atom a : atoms(e, new ArrayList<>())) {
      if (slot(a) == SeccompView.LABELS) {
        any = true;
        out |= a instanceof Atom.Numeric n ? n.value() : -1;
      }
    }
    return any ? out : null;
  }

  private static List<Atom> atoms(BoundExpression e, List<Atom> out) {
    if (e instanceof BoundExpression.All a) {
      a.operands().forEach(o -> atoms(o, out));
    } else if (e instanceof BoundExpression.Any a) {
      a.operands().forEach(o -> atoms(o, out));
    } else if (e instanceof BoundExpression.Negation n) {
      atoms(n.operand(), out);
    } else {
      out.add((Atom) e);
    }
    return out;
  }

  // Every combination of the flag bits the decision and the rights depend on (and one bit beyond
  // them, for comparisons of the whole word); empty when there are too many.
  private Optional<long[]> flagValues(int nr, CallRights model) {
    if (model.flagsArg() < 0) {
      return Optional.of(new long[] {0});
    }
    long bits = model.bits();
    boolean whole = false;
    for (PolicyEngine.CompiledRule cr : engine.rules(nr)) {
      if (cr.rule().filter().isEmpty()) {
        continue;
      }
      for (Atom a : atoms(cr.rule().filter().get(), new ArrayList<>())) {
        if (slot(a) == model.flagsArg() && a instanceof Atom.Numeric n) {
          boolean masked = (n.mask() & 0xffffffffL) != 0xffffffffL;
          bits |= (n.value() | (masked ? n.mask() : 0)) & 0xffffffffL;
          whole |= !masked && n.operator() != Operator.BAND;
        }
      }
    }
    if (whole) {
      long beyond = Long.highestOneBit(~bits & 0x7fffffffL);
      bits |= beyond;
    }
    if (Long.bitCount(bits) > MAX_FLAG_BITS) {
      return Optional.empty();
    }
    long[] out = new long[1 << Long.bitCount(bits)];
    int i = 0;
    for (long sub = bits; ; sub = (sub - 1) & bits) {
      out[i++] = sub;
      if (sub == 0) {
        break;
      }
    }
    return Optional.of(out);
  }

  private Verdict decide(int nr, CallRights model, long flags, long labels) {
    return engine.decide(call(nr, model, flags, labels), counter);
  }

  // The call of syscall nr with `flags` on an object labelled `labels`, as the engine sees it.
  private SeccompView call(int nr, CallRights model, long flags, long labels) {
    long[] args = new long[6];
    if (model.flagsArg() >= 0) {
      args[model.flagsArg()] = flags;
    }
    return view.set(SyscallEvent.builder(options.arch(), nr, args).build(), labels);
  }

  private static boolean allows(Verdict v) {
    return v.kind() == ActionKind.ALLOW;
  }

  // ---- grants, trees, verification

  // The rights each label set is granted by the calls of `lowered` it is allowed. An unlabelled
  // object is granted nothing (no tree names it): where the policy allows it, the proof fails.
  private Map<Long, Long> grants(Set<Integer> lowered) {
    Map<Long, Long> out = new HashMap<>();
    for (int nr : lowered) {
      grantsOf(candidates.get(nr)).forEach((set, r) -> out.merge(set, r, (x, y) -> x | y));
    }
    out.remove(0L);
    return out;
  }

  private Map<Long, Long> grantsOf(Candidate c) {
    Map<Long, Long> out = new HashMap<>();
    for (long set : labelSets) {
      long r = 0;
      Verdict[] vs = c.decisions.get(set);
      for (int i = 0; i < c.flags.length; i++) {
        if (allows(vs[i]) && !c.model.gated(c.model.flags(c.flags[i]))) {
          for (long s : c.model.situations(c.flags[i])) {
            r |= s;
          }
        }
      }
      out.put(set, r);
    }
    return out;
  }

  private long bits(FileContexts.Entry e) {
    return e.label().map(l -> policy.labelBits().getOrDefault(l, 0L)).orElse(0L);
  }

  // Drops the syscalls whose grants the file_contexts entries cannot carry; whether it dropped any.
  private boolean dropForTrees(Set<Integer> lowered, Map<Long, Long> grants) {
    List<FileContexts.Entry> entries = policy.fileContexts().entries(); // highest precedence first
    List<Optional<FileTree>> trees = new ArrayList<>();
    for (FileContexts.Entry e : entries) {
      trees.add(FileTree.parse(e.regex().pattern()));
    }
    for (int i = 0; i < entries.size(); i++) {
      FileContexts.Entry e = entries.get(i);
      long g = grants.getOrDefault(bits(e), 0L);
      if (g != 0 && (trees.get(i).isEmpty() || e.type().isPresent())) {
        String why = e.origin() + " " + e.regex().pattern() + (e.type().isPresent() ? " applies to one file type only"
            : " is not a path Landlock can name (components that match one name each, then optionally (/.*)?)");
        return drop(lowered, bits(e), -1, why);
      }
    }
    for (int w = 0; w < entries.size(); w++) {
      for (int l = w + 1; l < entries.size(); l++) {
        long winner = bits(entries.get(w));
        long loser = bits(entries.get(l));
        long gw = grants.getOrDefault(winner, 0L);
        long gl = grants.getOrDefault(loser, 0L);
        if (winner == loser || (gl & ~gw) == 0 || !overlap(trees.get(w), entries.get(w), trees.get(l), entries.get(l))) {
          continue;
        }
        FileContexts.Entry ew = entries.get(w);
        FileContexts.Entry el = entries.get(l);
        String why = ew.origin() + " " + ew.regex().pattern() + " (" + ew.label().orElse("no label")
            + ") may name paths inside " + el.origin() + " " + el.regex().pattern() + " (" + el.label().orElse("no label")
            + ") and is granted less there; Landlock cannot refuse inside a tree it allows";
        return drop(lowered, loser, winner, why);
      }
    }
    return false;
  }

  private static boolean overlap(Optional<FileTree> a, FileContexts.Entry ea, Optional<FileTree> b, FileContexts.Entry eb) {
    if (a.isPresent() && b.isPresent()) {
      return a.get().mayOverlap(b.get());
    }
    if (a.isPresent()) {
      return a.get().mayOverlap(eb.regex().pattern());
    }
    if (b.isPresent()) {
      return b.get().mayOverlap(ea.regex().pattern());
    }
    return true;
  }

  // Drops the lowered syscalls that grant `loser` more than `winner` (winner -1: anything).
  private boolean drop(Set<Integer> lowered, long loser, long winner, String why) {
    Set<Integer> out = new TreeSet<>();
    for (int nr : lowered) {
      Map<Long, Long> g = grantsOf(candidates.get(nr));
      long more = g.getOrDefault(loser, 0L) & ~(winner < 0 ? 0 : g.getOrDefault(winner, 0L));
      if (more != 0) {
        out.add(nr);
      }
    }
    if (out.isEmpty()) {
      out.addAll(lowered); // only their union grants too much
    }
    for (int nr : out) {
      fallbacks.put(nr, new Reason.NotExpressible(nr, name(nr), why));
    }
    lowered.removeAll(out);
    return true;
  }

  private void dropNeeding(Set<Integer> lowered, long rights) {
    Set<Integer> out = new TreeSet<>();
    for (int nr : lowered) {
      for (long r : grantsOf(candidates.get(nr)).values()) {
        if ((r & rights) != 0) {
          out.add(nr);
        }
      }
    }
    for (int nr : out) {
      String name = candidates.get(nr).name;
      fallbacks.put(nr, new Reason.AbiLacksRight(nr, name, abi, rights, "Landlock ABI " + abi + " has no " + FsAccess.names(rights)
          + " right: " + name + " stays with the supervisor"));
    }
    lowered.removeAll(out);
  }

  private Map<Integer, LandlockGate> gates(Set<Integer> lowered) {
    Map<Integer, LandlockGate> out = new TreeMap<>();
    for (int nr : lowered) {
      out.put(nr, candidates.get(nr).model.gate());
    }
    return out;
  }

  private record Verified(Map<Integer, Reason> failed, long handled) {}

  // Runs the program on every call of the lowered syscalls and checks that it and the ruleset
  // decide as the policy does; grows the handled rights where Landlock must refuse what no label
  // is granted.
  private Verified verify(Set<Integer> lowered, Map<Long, Long> grants, long handled, BpfProgram program) {
    Map<Integer, Reason> failed = new TreeMap<>();
    boolean grown = true;
    while (grown) {
      grown = false;
      failed.clear();
      for (int nr : lowered) {
        Candidate c = candidates.get(nr);
        Reason why = null;
        for (int i = 0; i < c.flags.length && why == null; i++) {
          long f = c.flags[i];
          long[] args = new long[6];
          if (c.model.flagsArg() >= 0) {
            args[c.model.flagsArg()] = f;
          }
          int ret = program.run(new SeccompData(nr, (int) options.arch().auditArch(), 0, args)).value();
          int action = ret & SeccompReturn.ACTION;
          if (action == SeccompReturn.USER_NOTIF) {
            continue;
          }
          boolean gated = c.model.gated(c.model.flags(f));
          for (long set : labelSets) {
            Verdict want = c.decisions.get(set)[i];
            if (action != SeccompReturn.ALLOW || gated) {
              if (SeccompActions.value(want) != ret && !(action == SeccompReturn.ALLOW && allows(want))) {
                why = new Reason.NotExpressible(nr, c.name, c.name + " with flags 0x" + Long.toHexString(f) + ": the program says "
                    + SeccompActions.verdict(ret) + ", the policy " + want);
              }
              continue;
            }
            for (long need : c.model.situations(f)) {
              boolean landlock = (need & handled & ~grants.getOrDefault(set, 0L)) == 0;
              if (landlock && !allows(want)) {
                long missing = need & ~handled;
                if (missing != 0 && (missing & ~FsAccess.upTo(abi)) == 0) {
                  handled |= missing;
                  grown = true;
                } else if ((missing & ~FsAccess.upTo(abi)) != 0) {
                  // Said as the ABI's shortfall, so that run warns of it (an older kernel, not the policy).
                  long lacking = missing & ~FsAccess.upTo(abi);
                  why = new Reason.AbiLacksRight(nr, c.name, abi, lacking, c.name + " with flags 0x" + Long.toHexString(f) + " on "
                      + describe(set) + ": Landlock ABI " + abi + " has no " + FsAccess.names(lacking) + " right, so it would allow ("
                      + FsAccess.names(need) + ") what the policy refuses");
                } else {
                  why = new Reason.NotExpressible(nr, c.name, c.name + " with flags 0x" + Long.toHexString(f) + " on "
                      + describe(set) + ": Landlock would allow (" + FsAccess.names(need) + ") what the policy refuses");
                }
              } else if (!landlock && allows(want)) {
                why = new Reason.NotExpressible(nr, c.name, c.name + " with flags 0x" + Long.toHexString(f) + " on "
                    + describe(set) + ": Landlock would refuse (" + FsAccess.names(need) + ") what the policy allows");
              }
            }
          }
        }
        if (why != null) {
          failed.put(nr, why);
        }
      }
    }
    return new Verified(failed, handled);
  }

  private String describe(long set) {
    return set == 0 ? "an unlabelled object" : String.join(", ", policy.labelNames(set));
  }

  // ---- the plan

  private LandlockPlan finish(Map<Integer, LandlockGate> gates, Map<Long, Long> grants, long handled, SeccompCompiler.Compilation c) {
    List<LandlockPlan.TreeGrant> trees = new ArrayList<>();
    for (FileContexts.Entry e : policy.fileContexts().entries()) {
      long g = grants.getOrDefault(bits(e), 0L);
      if (g != 0) {
        trees.add(new LandlockPlan.TreeGrant(e.origin(), e.regex().pattern(), e.label().orElse(""), g,
            FileTree.parse(e.regex().pattern()).orElseThrow()));
      }
    }
    List<String> notes = new ArrayList<>();
    if (!gates.isEmpty()) {
      notes.addAll(errnoNotes(gates.keySet(), c.program()));
      notes.addAll(stricterNotes(gates.keySet(), handled));
      long entries = FsAccess.MAKE_REG.bit() | FsAccess.MAKE_DIR.bit() | FsAccess.MAKE_SYM.bit() | FsAccess.REMOVE_FILE.bit()
          | FsAccess.REMOVE_DIR.bit();
      if ((handled & entries) != 0) {
        notes.add("the top of a tree itself (what a (/.*)? entry names, not what is beneath it) is created and removed in its"
            + " parent directory, which Landlock checks: refused unless the parent's own label grants it; stricter than"
            + " the policy, which asks the object's label");
      }
    }
    Map<Long, Long> granted = new HashMap<>(grants);
    granted.values().removeIf(r -> r == 0);
    List<Reason> why = new ArrayList<>(fallbacks.values());
    return new LandlockPlan(abi, gates, granted, gates.isEmpty() ? 0 : handled, gates.isEmpty() ? List.of() : trees,
        placements(c, gates.keySet()), why, notes, c);
  }

  private List<String> errnoNotes(Set<Integer> lowered, BpfProgram program) {
    List<String> out = new ArrayList<>();
    for (int nr : lowered) {
      Candidate c = candidates.get(nr);
      Set<String> errnos = new TreeSet<>();
      for (long set : labelSets) {
        for (Verdict v : c.decisions.get(set)) {
          if (v.kind() == ActionKind.ERRNO && v.data() != EACCES) {
            errnos.add(v.toString());
          }
        }
      }
      if (!errnos.isEmpty()) {
        out.add(c.name + ": where Landlock refuses, the error is EACCES, not the policy's " + String.join(" or ", errnos));
      }
    }
    return out;
  }

  private List<String> stricterNotes(Set<Integer> lowered, long handled) {
    List<String> out = new ArrayList<>();
    for (String name : new TreeSet<>(CallRights.checked())) {
      Optional<Integer> nr = table.byName(name).map(s -> s.nr());
      if (nr.isEmpty() || lowered.contains(nr.get()) || !mayReachKernel(nr.get())) {
        continue;
      }
      long need = CallRights.mayNeed(name);
      if ((need & FsAccess.REFER.bit()) != 0) {
        out.add(name + ": Landlock refuses (EXDEV) to move or link a file into another directory, which the policy allows;"
            + " stricter than the policy");
      } else if ((need & handled) != 0) {
        out.add(name + ": the policy lets it run, but Landlock also checks " + FsAccess.names(need & handled)
            + " for it, granted only in the trees above; stricter than the policy");
      }
    }
    return out;
  }

  private List<LandlockPlan.Placement> placements(SeccompCompiler.Compilation c, Set<Integer> lowered) {
    List<LandlockPlan.Placement> out = new ArrayList<>();
    for (int i = 0; i < policy.rules().size(); i++) {
      BoundPolicy.Rule r = policy.rules().get(i);
      SeccompCompiler.RuleLowering rl = c.rules().get(i);
      EnumSet<LandlockPlan.Where> where = EnumSet.noneOf(LandlockPlan.Where.class);
      boolean args = r.filter().isPresent()
          && atoms(r.filter().get(), new ArrayList<>()).stream().anyMatch(a -> !SeccompView.labelSlot(slot(a)));
      if (!rl.deferred()) {
        where.add(LandlockPlan.Where.BPF);
      } else {
        Set<Integer> nrs = r.syscalls().isEmpty() ? Set.of(-1) : r.syscalls();
        for (int nr : nrs) {
          if (lowered.contains(nr)) {
            where.add(LandlockPlan.Where.LANDLOCK);
            if (args) {
              where.add(LandlockPlan.Where.BPF);
            }
          } else {
            where.add(LandlockPlan.Where.SUPERVISOR);
          }
        }
      }
      out.add(new LandlockPlan.Placement(r.origin(), r.action(), r.filterText().orElse(""), where, rl.deferred(), args));
    }
    return out;
  }
}
