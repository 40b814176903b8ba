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
 * irrelevant by a more restrictive rule that always matches, and syscalls left open that bypass
 * path checks.
 */
public final class PolicyAnalysis {
  /** One finding, at the rule it is about (or the policy's default). */
  public record Finding(Kind kind, String origin, String message) {}

  public enum Kind {
    NEVER_MATCHES,
    SHADOWED,
    BYPASS
  }

  /** Syscalls that get around path-based checks, and why. */
  public static final Map<String, String> BYPASSES = Map.of(
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
          out.add(new Finding(Kind.NEVER_MATCHES, r.origin(), "rule '" + r.action() + "' can never match: its filter '"
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
          boolean relabels = later.readsNewLabel() && !r.rule().readsNewLabel() && BoundPolicy.permits(r.rule().action().kind());
          if (!later.syscalls().isEmpty() && !relabels && reported.add(later.origin() + "shadow" + s.nr())) {
            out.add(new Finding(Kind.SHADOWED, later.origin(), "rule '" + later.action() + "' on " + s.name()
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
        openedBy(engine, s.get().nr()).ifPresent(where -> out.add(new Finding(Kind.BYPASS, where, sibling
            + " is allowed without the label or path rules " + checked.get() + " has: it reaches the same objects")));
      }
    }
    for (Map.Entry<String, String> b : BYPASSES.entrySet()) {
      Optional<Syscall> s = table.byName(b.getKey());
      if (s.isEmpty()) {
        continue;
      }
      Optional<String> open = openedBy(engine, s.get().nr());
      open.ifPresent(where -> out.add(new Finding(Kind.BYPASS, where,
          b.getKey() + " is allowed: " + b.getValue())));
    }
    out.sort(java.util.Comparator.comparing(Finding::origin).thenComparing(Finding::message));
    return out;
  }

  /** Syscalls that reach the same objects another way: a path rule on one must be on all. */
  public static final List<List<String>> PATH_FAMILIES = List.of(
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
    return e.anyAtom(atom -> {
      if (atom instanceof org.evfilter.predicates.Atom.Text) {
        return true;
      }
      org.evfilter.events.schema.EventField f = atom instanceof org.evfilter.predicates.Atom.Numeric n ? n.field()
          : atom instanceof org.evfilter.predicates.Atom.Member m ? m.field() : null;
      return f != null && SeccompView.labelSlot(SeccompView.LAYOUT.slot(f).orElse(-1));
    });
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
