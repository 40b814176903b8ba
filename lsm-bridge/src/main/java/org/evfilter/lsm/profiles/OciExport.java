package org.evfilter.lsm.profiles;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;

/**
 * A policy as an OCI runtime-spec {@code linux.seccomp} object (what runc, crun and Docker's
 * {@code --security-opt seccomp=} take), or as a Security Profiles Operator {@code SeccompProfile}
 * manifest for Kubernetes. Filters become entries of ANDed argument comparisons (negations pushed
 * down, any-bit tests split per bit, small sets per value); what the format cannot say is an error
 * naming the rule, and what it says with other semantics (libseccomp's 64-bit comparison of a
 * 4-byte argument, labels decided by a notification listener) is a warning.
 */
public final class OciExport {
  /** The exported object and what a reader should know about it. */
  public record Exported(ObjectNode seccomp, List<String> warnings) {}

  private static final int SMALL_RANGE = 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Cmp(int index, String op, long value, long valueTwo) {}

  private OciExport() {}

  /**
   * The policy's {@code linux.seccomp}.
   *
   * @throws IllegalArgumentException naming the rule whose filter the format cannot express
   */
  public static Exported oci(BoundPolicy policy, Arch arch) {
    List<String> warnings = new ArrayList<>();
    ObjectNode root = JSON.createObjectNode();
    put(root, "default", policy.defaultAction());
    root.putArray("architectures").add(scmpArch(arch));
    PolicyEngine engine = PolicyEngine.compile(policy, arch);
    SyscallTable table = SyscallTable.of(arch);
    Map<String, ObjectNode> entries = new LinkedHashMap<>();
    TreeSet<String> width = new TreeSet<>();
    TreeSet<String> mixed = new TreeSet<>();
    for (Syscall s : table.all()) {
      List<PolicyEngine.CompiledRule> rules = engine.rules(s.nr());
      java.util.Set<Verdict> actions = new java.util.HashSet<>();
      for (PolicyEngine.CompiledRule r : rules) {
        BoundPolicy.Rule rule = r.rule();
        List<List<Cmp>> dnf;
        boolean[] deferred = {false};
        try {
          dnf = rule.filter().map(f -> dnf(f, false, s, deferred, width)).orElse(List.of(List.of()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(rule.origin() + ": " + e.getMessage());
        }
        Verdict action = deferred[0] ? new Verdict(org.evfilter.grammar.policy.ActionKind.USER_NOTIF, 0) : rule.action();
        if (deferred[0]) {
          warnings.add(rule.origin() + ": labels and strings are not in the format: " + s.name()
              + " goes to the notification listener (listenerPath) where the filter needs them");
        }
        if (!dnf.isEmpty() && actions.add(action) && actions.size() > 1) {
          mixed.add(s.name());
        }
        for (List<Cmp> conj : dnf) {
          ObjectNode entry = JSON.createObjectNode();
          put(entry, "entry", action);
          ArrayNode args = entry.putArray("args");
          for (Cmp c : conj) {
            // The format's numbers are u64: bit 63 set is written as a large positive number.
            ObjectNode a = args.addObject().put("index", c.index).put("value", unsigned(c.value));
            if (c.op.equals("SCMP_CMP_MASKED_EQ")) {
              a.put("valueTwo", unsigned(c.valueTwo));
            }
            a.put("op", c.op);
          }
          if (conj.isEmpty()) {
            entry.remove("args");
          }
          ObjectNode grouped = entries.computeIfAbsent(entry.toString(), k -> {
            ObjectNode c = entry.deepCopy();
            c.putArray("names");
            return c;
          });
          ((ArrayNode) grouped.get("names")).add(s.name());
        }
        if (dnf.contains(List.of())) {
          // Unconditional here: what follows never decides this syscall.
          break;
        }
      }
    }
    ArrayNode syscalls = root.putArray("syscalls");
    for (ObjectNode e : entries.values()) {
      ObjectNode out = syscalls.addObject();
      out.set("names", e.get("names"));
      out.set("action", e.get("action"));
      if (e.has("errnoRet")) {
        out.set("errnoRet", e.get("errnoRet"));
      }
      if (e.has("args")) {
        out.set("args", e.get("args"));
      }
    }
    if (!width.isEmpty()) {
      warnings.add("libseccomp compares all 64 bits of 4-byte arguments in ordered and != comparisons: " + String.join(", ", width)
          + " (a caller may set the high word; evfilter's own programs compare the low word only)");
    }
    if (!mixed.isEmpty()) {
      warnings.add("rules with different actions on one syscall: libseccomp does not define which wins where they"
          + " overlap (evfilter: the most restrictive): " + String.join(", ", mixed));
    }
    return new Exported(root, warnings);
  }

  private static java.math.BigInteger unsigned(long v) {
    return new java.math.BigInteger(Long.toUnsignedString(v));
  }

  /** A Security Profiles Operator {@code SeccompProfile} holding the same profile. */
  public static ObjectNode kubernetes(ObjectNode seccomp, String name) {
    ObjectNode m = JSON.createObjectNode();
    m.put("apiVersion", "security-profiles-operator.x-k8s.io/v1beta1").put("kind", "SeccompProfile");
    m.putObject("metadata").put("name", name);
    m.set("spec", seccomp.deepCopy());
    return m;
  }

  private static void put(ObjectNode o, String kind, Verdict v) {
    String field = kind.equals("default") ? "defaultAction" : "action";
    o.put(field, switch (v.kind()) {
      case ALLOW -> "SCMP_ACT_ALLOW";
      case ERRNO -> "SCMP_ACT_ERRNO";
      case KILL_PROCESS -> "SCMP_ACT_KILL_PROCESS";
      case KILL_THREAD -> "SCMP_ACT_KILL_THREAD";
      case TRAP -> "SCMP_ACT_TRAP";
      case TRACE -> "SCMP_ACT_TRACE";
      case LOG -> "SCMP_ACT_LOG";
      case USER_NOTIF -> "SCMP_ACT_NOTIFY";
    });
    if (v.kind() == org.evfilter.grammar.policy.ActionKind.ERRNO || v.kind() == org.evfilter.grammar.policy.ActionKind.TRACE) {
      o.put(kind.equals("default") ? "defaultErrnoRet" : "errnoRet", v.data());
    }
  }

  private static String scmpArch(Arch a) {
    return switch (a) {
      case X86_64 -> "SCMP_ARCH_X86_64";
      case X32 -> "SCMP_ARCH_X32";
      case I386 -> "SCMP_ARCH_X86";
      case AARCH64 -> "SCMP_ARCH_AARCH64";
    };
  }

  // Disjunctive normal form: each inner list is one entry's ANDed comparisons.
  private static List<List<Cmp>> dnf(BoundExpression e, boolean negated, Syscall s, boolean[] deferred, TreeSet<String> width) {
    if (e instanceof BoundExpression.Negation n) {
      return dnf(n.operand(), !negated, s, deferred, width);
    }
    boolean conjunction = e instanceof BoundExpression.All ^ negated;
    if (e instanceof BoundExpression.All || e instanceof BoundExpression.Any) {
      List<BoundExpression> ops = e instanceof BoundExpression.All a ? a.operands() : ((BoundExpression.Any) e).operands();
      List<List<Cmp>> out = conjunction ? List.of(List.of()) : new ArrayList<>();
      for (BoundExpression o : ops) {
        List<List<Cmp>> d = dnf(o, negated, s, deferred, width);
        if (!conjunction) {
          out.addAll(d);
          continue;
        }
        List<List<Cmp>> product = new ArrayList<>();
        for (List<Cmp> x : out) {
          for (List<Cmp> y : d) {
            List<Cmp> both = new ArrayList<>(x);
            both.addAll(y);
            product.add(both);
          }
        }
        out = product;
      }
      for (List<Cmp> conj : out) {
        long distinct = conj.stream().mapToInt(Cmp::index).distinct().count();
        if (distinct < conj.size()) {
          throw new IllegalArgumentException("compares one argument twice in a conjunction, which runc turns into an OR");
        }
      }
      return out;
    }
    return atom((Atom) e, negated, s, deferred, width);
  }

  private static List<List<Cmp>> atom(Atom a, boolean negated, Syscall s, boolean[] deferred, TreeSet<String> width) {
    if (a instanceof Atom.Never) {
      return negated ? List.of(List.of()) : List.of();
    }
    org.evfilter.events.schema.EventField field = a instanceof Atom.Numeric n ? n.field() : a instanceof Atom.Member m ? m.field() : null;
    OptionalInt slot = field == null ? OptionalInt.empty() : SeccompView.LAYOUT.slot(field);
    if (slot.isEmpty() || SeccompView.labelSlot(slot.getAsInt())) {
      deferred[0] = true;
      return List.of(List.of());
    }
    int index = slot.getAsInt();
    if (index >= 6) {
      // nr and arch are known per entry: evaluate.
      long known = index == SeccompView.NR ? s.nr() : index == SeccompView.ARCH ? s.arch().auditArch() : -1;
      if (index != SeccompView.NR && index != SeccompView.ARCH) {
        throw new IllegalArgumentException("the format has no instruction_pointer");
      }
      org.evfilter.events.SyscallEvent ev = org.evfilter.events.SyscallEvent.builder(s.arch(), s.nr()).build();
      boolean holds = org.evfilter.predicates.eval.CompiledFilter.compile(a, SeccompView.LAYOUT)
          .matches(new SeccompView().set(ev, 0), new org.evfilter.predicates.eval.CompiledFilter.Counter());
      return holds != negated ? List.of(List.of()) : List.of();
    }
    boolean narrow = field.size() < 8;
    long wide = narrow ? 0xffffffffL : -1L;
    if (a instanceof Atom.Member m) {
      List<List<Cmp>> out = new ArrayList<>();
      for (long[] r : m.ranges()) {
        if (Long.compareUnsigned(r[1] - r[0], SMALL_RANGE) > 0 || negated) {
          throw new IllegalArgumentException("'" + field.name() + " in {...}' needs ranges, which the format cannot say"
              + (negated ? " negated" : " beyond " + SMALL_RANGE + " values"));
        }
        for (long v = r[0]; ; v++) {
          out.add(List.of(wide == -1L ? new Cmp(index, "SCMP_CMP_EQ", v, 0) : new Cmp(index, "SCMP_CMP_MASKED_EQ", wide, v & wide)));
          if (v == r[1]) {
            break;
          }
        }
      }
      return out;
    }
    Atom.Numeric n = (Atom.Numeric) a;
    long mask = n.mask() & wide;
    long v = n.value() & wide;
    Operator op = n.operator();
    if (op == Operator.BAND) {
      long bits = v & mask;
      if (negated) {
        return List.of(List.of(new Cmp(index, "SCMP_CMP_MASKED_EQ", bits, 0)));
      }
      List<List<Cmp>> out = new ArrayList<>();
      for (long b = bits; b != 0; b &= b - 1) {
        long bit = Long.lowestOneBit(b);
        out.add(List.of(new Cmp(index, "SCMP_CMP_MASKED_EQ", bit, bit)));
      }
      return out;
    }
    if (negated) {
      op = switch (op) {
        case EQ -> Operator.NE;
        case NE -> Operator.EQ;
        case LT -> Operator.GE;
        case GE -> Operator.LT;
        case LE -> Operator.GT;
        case GT -> Operator.LE;
        default -> op;
      };
    }
    if (op == Operator.EQ) {
      return List.of(List.of(mask == -1L ? new Cmp(index, "SCMP_CMP_EQ", v, 0) : new Cmp(index, "SCMP_CMP_MASKED_EQ", mask, v & mask)));
    }
    if (mask != wide) {
      throw new IllegalArgumentException("a masked '" + op.symbol() + "' on '" + field.name() + "': the format masks only for equality");
    }
    if (field.signed() && op != Operator.NE) {
      throw new IllegalArgumentException("a signed '" + op.symbol() + "' on '" + field.name() + "': libseccomp compares unsigned");
    }
    if (narrow) {
      width.add(s.name() + " " + field.name());
    }
    String scmp = switch (op) {
      case NE -> "SCMP_CMP_NE";
      case LT -> "SCMP_CMP_LT";
      case LE -> "SCMP_CMP_LE";
      case GT -> "SCMP_CMP_GT";
      case GE -> "SCMP_CMP_GE";
      default -> throw new IllegalArgumentException(op.symbol() + " on a number");
    };
    return List.of(List.of(new Cmp(index, scmp, v, 0)));
  }
}
