package org.evfilter.predicates.eval;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;

/**
 * What a policy author needs to know about a policy: rules that can never match, rules made
 * irrelevant by a more restrictive rule that always matches, syscalls left open that bypass path
 * checks, and, when the policy has label rules, the syscalls left open that get around labels.
 * Findings are values; the CLI words them.
 */
public final class PolicyAnalysis {
  /** One finding, at the rule it is about ({@code file:line:col}) or {@code default}. */
  public sealed interface Finding permits Remark, LabelHole {
    Kind kind();

    String origin();
  }

  /** A finding whose whole content is its sentence: a rule that never matches or never decides, a bypass. */
  public record Remark(Kind kind, String origin, String message) implements Finding {}

  /**
   * Syscalls of one {@link Hole} that the rule or default at {@code origin} lets through (if only
   * conditionally) in a policy with label rules.
   */
  public record LabelHole(Hole hole, String origin, List<String> syscalls) implements Finding {
    public LabelHole {
      syscalls = List.copyOf(syscalls);
    }

    @Override
    public Kind kind() {
      return Kind.LABEL_HOLE;
    }
  }

  /** What a finding is about. */
  public enum Kind {
    NEVER_MATCHES,
    SHADOWED,
    BYPASS,
    LABEL_HOLE
  }

  /**
   * Ways around a label rule that only denying the syscalls closes, each with its syscalls. The
   * analysis reports every syscall of a hole the policy lets through; a hole that is one only under
   * a further condition of the policy (the link, rename and xattr writes where the policy allows
   * relabelling) is one more constant here and its condition in the analysis.
   */
  public enum Hole {
    /** Opens a file from a handle, with no path: no label is looked up. */
    BY_HANDLE("open_by_handle_at"),
    /** Hands out the handle {@link #BY_HANDLE} opens. */
    HANDLE_NAME("name_to_handle_at"),
    /** The kernel performs the opens and other calls queued on the ring: seccomp never sees them. */
    IO_URING("io_uring_setup", "io_uring_enter", "io_uring_register"),
    /** Makes another task act or rewrites what it asked: the supervisor's own target, for one. */
    OTHER_TASK("ptrace", "process_vm_writev"),
    /** Re-arranges paths: a labelled tree reappears where another label's paths are. */
    MOUNT("mount", "umount2", "move_mount", "open_tree", "fsmount", "fsopen", "pivot_root"),
    /** Stalls the supervisor's reads of a task's memory while the task changes it. */
    USERFAULTFD("userfaultfd"),
    /** A rule reading {@code new_label} lets the task change the labels of what it matches. */
    RELABEL("setxattr", "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr", "fremovexattr",
        "removexattrat");

    private final List<String> syscalls;

    Hole(String... syscalls) {
      this.syscalls = List.of(syscalls);
    }

    /** The syscalls that open this hole, as x86_64 names them. */
    public List<String> syscalls() {
      return syscalls;
    }
  }

  /** Syscalls that get around path-based checks, and why. */
  static final Map<String, String> BYPASSES = Map.of(
      "io_uring_setup", "io_uring opens files and does I/O in the kernel without the syscalls a filter sees",
      "io_uring_enter", "io_uring opens files and does I/O in the kernel without the syscalls a filter sees",
      "ptrace", "a tracer can change another process's syscall arguments after they were checked",
      "process_vm_writev", "it writes another process's memory, such as a path a supervised syscall is about to read",
      "open_by_handle_at", "it opens files by handle, with no path to check",
      "userfaultfd", "it lets a process stall a supervisor's reads of its memory and swap the data meanwhile",
      "bpf", "BPF programs act in the kernel outside every filter");

  private PolicyAnalysis() {}

  public static List<Finding> analyse(PolicyEngine engine) {
    List<Finding> out = new ArrayList<>();
    BoundPolicy p = engine.policy();
    Set<String> reported = new LinkedHashSet<>();
    for (BoundPolicy.Rule r : p.rules()) {
      if (r.filter().isPresent() && never(r.filter().get(), r.syscalls())) {
        if (reported.add(r.origin() + "never")) {
          out.add(new Remark(Kind.NEVER_MATCHES, r.origin(), "rule '" + r.action() + "' can never match: its filter '"
              + r.filterText().orElse("") + "' is false for " + names(r.syscalls())));
        }
      }
    }
    SyscallTable table = SyscallTable.of(engine.arch());
    for (Syscall s : table.all()) {
      List<PolicyEngine.CompiledRule> rules = engine.rules(s.nr());
      for (int i = 0; i < rules.size(); i++) {
        PolicyEngine.CompiledRule r = rules.get(i);
        if (r.filter() != null) {
          continue;
        }
        for (int j = i + 1; j < rules.size(); j++) {
          BoundPolicy.Rule later = rules.get(j).rule();
          // A relabelling rule still decides label xattr writes: only it allows them.
          boolean relabels = later.readsNewLabel() && !r.rule().readsNewLabel() && r.rule().action().kind().permits();
          if (!later.syscalls().isEmpty() && !relabels && reported.add(later.origin() + "shadow" + s.nr())) {
            out.add(new Remark(Kind.SHADOWED, later.origin(), "rule '" + later.action() + "' on " + s.name()
                + " never decides: '" + r.rule().action() + "' at " + r.rule().origin() + " matches every " + s.name() + " first"));
          }
        }
        break;
      }
    }
    // A label or path rule on one syscall of a family is void while a sibling does the same unchecked.
    for (List<String> family : PATH_FAMILIES) {
      Optional<String> checked = family.stream().filter(n -> table.byName(n).map(s -> checksObject(engine, s.nr())).orElse(false))
          .findFirst();
      if (checked.isEmpty()) {
        continue;
      }
      for (String sibling : family) {
        Optional<Syscall> s = table.byName(sibling);
        if (s.isEmpty() || checksObject(engine, s.get().nr())) {
          continue;
        }
        openedBy(engine, s.get().nr()).ifPresent(where -> out.add(new Remark(Kind.BYPASS, where, sibling
            + " is allowed without the label or path rules " + checked.get() + " has: it reaches the same objects")));
      }
    }
    List<LabelHole> holes = holes(engine, table);
    out.addAll(holes);
    for (Map.Entry<String, String> b : BYPASSES.entrySet()) {
      Optional<Syscall> s = table.byName(b.getKey());
      // A label hole already names the syscall, with why it matters to labels.
      if (s.isEmpty() || holes.stream().anyMatch(h -> h.syscalls().contains(b.getKey()))) {
        continue;
      }
      Optional<String> open = openedBy(engine, s.get().nr());
      open.ifPresent(where -> out.add(new Remark(Kind.BYPASS, where,
          b.getKey() + " is allowed: " + b.getValue())));
    }
    out.sort(java.util.Comparator.comparing(Finding::origin).thenComparing(Finding::kind).thenComparing(Finding::toString));
    return out;
  }

  /** Syscalls that reach the same objects another way: a path rule on one must be on all. */
  static final List<List<String>> PATH_FAMILIES = List.of(
      List.of("openat", "open", "creat", "openat2"),
      List.of("unlinkat", "unlink", "rmdir"),
      List.of("renameat2", "renameat", "rename"),
      List.of("linkat", "link"),
      List.of("symlinkat", "symlink"),
      List.of("mkdirat", "mkdir", "mknod", "mknodat"),
      List.of("fchmodat", "chmod", "fchmodat2"),
      List.of("fchownat", "chown", "lchown"),
      List.of("execve", "execveat"),
      List.of("truncate"));

  // In a policy with label rules, each hole's syscalls the policy lets through, one finding per hole
  // and rule (or default) that lets them through.
  private static List<LabelHole> holes(PolicyEngine engine, SyscallTable table) {
    List<LabelHole> out = new ArrayList<>();
    if (!engine.policy().readsLabels()) {
      return out;
    }
    // A rule on several syscalls is bound as one rule per syscall, all with its origin: one finding.
    Map<String, List<String>> relabelling = new java.util.LinkedHashMap<>();
    for (BoundPolicy.Rule r : engine.policy().relabellingRules()) {
      List<String> names = relabelling.computeIfAbsent(r.origin(), o -> new ArrayList<>());
      for (String n : Hole.RELABEL.syscalls()) {
        if (!names.contains(n) && table.byName(n).map(sc -> r.syscalls().isEmpty() || r.syscalls().contains(sc.nr())).orElse(false)) {
          names.add(n);
        }
      }
    }
    relabelling.forEach((where, names) -> out.add(new LabelHole(Hole.RELABEL, where, names)));
    for (Hole hole : Hole.values()) {
      if (hole == Hole.RELABEL) {
        continue; // named at the rules that allow it, above: an allow that does not read new_label does not relabel
      }
      Map<String, List<String>> byOrigin = new java.util.LinkedHashMap<>();
      for (String name : hole.syscalls()) {
        table.byName(name).flatMap(s -> openedBy(engine, s.nr()))
            .ifPresent(where -> byOrigin.computeIfAbsent(where, w -> new ArrayList<>()).add(name));
      }
      byOrigin.forEach((where, names) -> out.add(new LabelHole(hole, where, names)));
    }
    return out;
  }

  private static boolean readsLabel(BoundExpression e) {
    return e.anyAtom(atom -> {
      org.evfilter.events.schema.EventField f = atom instanceof org.evfilter.predicates.Atom.Numeric n ? n.field()
          : atom instanceof org.evfilter.predicates.Atom.Member m ? m.field() : null;
      return f != null && SeccompView.labelSlot(SeccompView.LAYOUT.slot(f).orElse(-1));
    });
  }

  // Whether some rule for the syscall reads the object: its label or a string argument.
  private static boolean checksObject(PolicyEngine engine, int nr) {
    for (PolicyEngine.CompiledRule r : engine.rules(nr)) {
      if (r.rule().filter().map(PolicyAnalysis::readsObject).orElse(false)) {
        return true;
      }
    }
    return false;
  }

  private static boolean readsObject(BoundExpression e) {
    return readsLabel(e) || e.anyAtom(atom -> atom instanceof org.evfilter.predicates.Atom.Text);
  }

  // Where a syscall can be let through: a permissive rule for it, or a permissive default.
  private static Optional<String> openedBy(PolicyEngine engine, int nr) {
    for (PolicyEngine.CompiledRule r : engine.rules(nr)) {
      if (!denies(r.rule().action().kind())) {
        return Optional.of(r.rule().origin());
      }
      if (r.filter() == null) {
        return Optional.empty();
      }
    }
    return denies(engine.policy().defaultAction().kind()) ? Optional.empty() : Optional.of("default");
  }

  /** Whether an action stops the syscall (kill, trap, errno). */
  public static boolean denies(ActionKind k) {
    return k == ActionKind.KILL_PROCESS || k == ActionKind.KILL_THREAD || k == ActionKind.TRAP || k == ActionKind.ERRNO;
  }

  // False for every listed syscall, judging only what is known statically: nr, and contradictions.
  private static boolean never(BoundExpression e, Set<Integer> syscalls) {
    if (syscalls.isEmpty()) {
      return contradiction(e);
    }
    for (int nr : syscalls) {
      if (value(e, nr) != Boolean.FALSE && !contradiction(e)) {
        return false;
      }
    }
    return true;
  }

  // Three-valued: TRUE, FALSE, or null (depends on the event).
  private static Boolean value(BoundExpression e, int nr) {
    if (e instanceof BoundExpression.All all) {
      boolean unknown = false;
      for (BoundExpression o : all.operands()) {
        Boolean v = value(o, nr);
        if (v == Boolean.FALSE) {
          return false;
        }
        unknown |= v == null;
      }
      return unknown ? null : Boolean.TRUE;
    }
    if (e instanceof BoundExpression.Any any) {
      boolean unknown = false;
      for (BoundExpression o : any.operands()) {
        Boolean v = value(o, nr);
        if (v == Boolean.TRUE) {
          return true;
        }
        unknown |= v == null;
      }
      return unknown ? null : Boolean.FALSE;
    }
    if (e instanceof BoundExpression.Negation not) {
      Boolean v = value(not.operand(), nr);
      return v == null ? null : !v;
    }
    if (e instanceof Atom.Never) {
      return false;
    }
    if (e instanceof Atom.Numeric n && n.mask() == -1L && isNr(n.field().name())) {
      return switch (n.operator()) {
        case EQ -> nr == n.value();
        case NE -> nr != n.value();
        case LT -> nr < n.value();
        case LE -> nr <= n.value();
        case GT -> nr > n.value();
        case GE -> nr >= n.value();
        case BAND -> (nr & n.value()) != 0;
        default -> null;
      };
    }
    if (e instanceof Atom.Member m && isNr(m.field().name())) {
      for (long[] r : m.ranges()) {
        if (nr >= r[0] && nr <= r[1]) {
          return true;
        }
      }
      return false;
    }
    return null;
  }

  // a == x && a == y with x != y, among the operands of one conjunction.
  private static boolean contradiction(BoundExpression e) {
    if (!(e instanceof BoundExpression.All all)) {
      return false;
    }
    Map<String, Long> equal = new java.util.HashMap<>();
    for (BoundExpression o : all.operands()) {
      if (o instanceof Atom.Numeric n && n.operator() == Operator.EQ && n.mask() == -1L) {
        Long prev = equal.putIfAbsent(n.field().name(), n.value());
        if (prev != null && prev != n.value()) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isNr(String field) {
    return field.equals("nr") || field.equals("__syscall_nr");
  }

  private static String names(Set<Integer> nrs) {
    if (nrs.isEmpty()) {
      return "every syscall";
    }
    List<String> n = new ArrayList<>();
    for (int nr : nrs) {
      n.add(SyscallTable.of(Arch.X86_64).byNumber(nr).map(Syscall::name).orElse("#" + nr));
    }
    return String.join(", ", n);
  }
}
