package org.evfilter.lsm.profiles;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.profiles.MaskedEqualities.Compared;
import org.evfilter.lsm.profiles.MaskedEqualities.Cube;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;

/**
 * A policy as an OCI runtime-spec {@code linux.seccomp} object (what runc, crun and Docker's
 * {@code --security-opt seccomp=} take), or as a Security Profiles Operator {@code SeccompProfile}
 * manifest for Kubernetes. Filters become entries of ANDed argument comparisons (negations pushed
 * down); what the format has no operator for (a masked, signed or ranged comparison) is said
 * exactly as masked equalities. A narrow argument compared whole with an ordered or {@code !=}
 * comparison is written, by default, as libseccomp's 64-bit comparison, as Docker's profile says
 * it, with a {@link ExportWarning}; labels and strings go to the notification listener, warned too.
 */
public final class OciExport {
  /** The exported object and what a reader should know about it. */
  public record Exported(ObjectNode seccomp, List<ExportWarning> warnings) {}

  /**
   * The seccomp agent a container runtime hands the container's notification listener to: the
   * unix socket at {@code path} ({@code listenerPath}), told {@code metadata} ({@code
   * listenerMetadata}: which policy {@code evfilter serve} decides the container's calls with).
   */
  public record Listener(String path, String metadata) {
    public Listener {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("the listener path must be absolute: " + path);
      }
      java.util.Objects.requireNonNull(metadata, "metadata");
    }
  }

  /** How an ordered or {@code !=} comparison of a whole narrow argument (an {@code int}) is written. */
  public enum NarrowComparisons {
    /**
     * As libseccomp's comparison of the whole 64-bit register, as Docker's and runc's profiles
     * write it and {@code import} reads it back: a {@link ExportWarning.WholeArgumentWidened}.
     */
    LIBSECCOMP,
    /** Exactly, as masked equalities on the argument's bits: more entries, nothing to warn. */
    EXACT
  }

  // One rule's entries for one syscall, beyond which the profile is not worth writing.
  static final int MAX_ENTRIES = 256;
  private static final ObjectMapper JSON = new ObjectMapper();

  private OciExport() {}

  /** The policy's {@code linux.seccomp}, narrow comparisons written as libseccomp's. */
  public static Exported oci(BoundPolicy policy, Arch arch) {
    return oci(policy, arch, NarrowComparisons.LIBSECCOMP);
  }

  /**
   * The policy's {@code linux.seccomp}.
   *
   * @throws IllegalArgumentException naming the rule whose filter the format cannot express
   *     (an instruction pointer, or more than {@value #MAX_ENTRIES} entries)
   */
  public static Exported oci(BoundPolicy policy, Arch arch, NarrowComparisons narrow) {
    return oci(policy, arch, narrow, Optional.empty());
  }

  /**
   * The policy's {@code linux.seccomp} for a container whose notifications {@code listener}
   * decides: the calls the policy defers (labels, paths), and those the supervisor must hear of
   * to decide them (credential changes, moves and xattr writes that could relabel an object), go
   * to it ({@code SCMP_ACT_NOTIFY}); the profile names its socket and the policy. Without a
   * listener, the deferred calls are written as {@code SCMP_ACT_NOTIFY} all the same, with a
   * {@link ExportWarning.NoListener}: a runtime has nowhere to send them.
   *
   * @throws IllegalArgumentException naming the rule whose filter the format cannot express
   */
  public static Exported oci(BoundPolicy policy, Arch arch, NarrowComparisons narrow, Optional<Listener> listener) {
    BoundPolicy exported = listener.isPresent()
        ? org.evfilter.lsm.plan.EnforcementPlan.programPolicy(policy, org.evfilter.lsm.compile.SeccompCompiler.supervised(policy))
        : policy;
    Exported e = profile(exported, arch, narrow);
    List<String> notified = notified(e.seccomp());
    if (listener.isPresent()) {
      if (!notified.isEmpty()) {
        e.seccomp().put("listenerPath", listener.get().path()).put("listenerMetadata", listener.get().metadata());
      }
      // What goes to the listener is decided there as the policy decides it: nothing is said differently.
      return new Exported(e.seccomp(), e.warnings().stream().filter(w -> !(w instanceof ExportWarning.SentToListener)).toList());
    }
    if (notified.isEmpty()) {
      return e;
    }
    List<ExportWarning> warnings = new ArrayList<>(e.warnings());
    warnings.add(new ExportWarning.NoListener(notified));
    return new Exported(e.seccomp(), List.copyOf(warnings));
  }

  // The syscalls of the profile's SCMP_ACT_NOTIFY entries, sorted.
  private static List<String> notified(ObjectNode seccomp) {
    TreeSet<String> names = new TreeSet<>();
    seccomp.path("syscalls").forEach(e -> {
      if (e.path("action").asText().equals("SCMP_ACT_NOTIFY")) {
        e.path("names").forEach(n -> names.add(n.asText()));
      }
    });
    return List.copyOf(names);
  }

  private static Exported profile(BoundPolicy policy, Arch arch, NarrowComparisons narrow) {
    List<ExportWarning> warnings = new ArrayList<>();
    ObjectNode root = JSON.createObjectNode();
    put(root, "default", policy.defaultAction());
    root.putArray("architectures").add(scmpArch(arch));
    PolicyEngine engine = PolicyEngine.compile(policy, arch);
    Map<String, ObjectNode> entries = new LinkedHashMap<>();
    TreeSet<String> mixed = new TreeSet<>();
    for (Syscall s : SyscallTable.of(arch).all()) {
      Set<Verdict> actions = new HashSet<>();
      for (PolicyEngine.CompiledRule r : engine.rules(s.nr())) {
        BoundPolicy.Rule rule = r.rule();
        RuleLowering lowered = RuleLowering.of(rule, s, policy.defaultAction(), narrow);
        warnings.addAll(lowered.warnings);
        Verdict action = lowered.deferred ? new Verdict(ActionKind.USER_NOTIF, 0) : rule.action();
        if (!lowered.dnf.isEmpty() && actions.add(action) && actions.size() > 1) {
          mixed.add(s.name());
        }
        for (List<Cmp> conj : lowered.dnf) {
          ObjectNode entry = entry(action, conj);
          ObjectNode grouped = entries.computeIfAbsent(entry.toString(), k -> {
            ObjectNode c = entry.deepCopy();
            c.putArray("names");
            return c;
          });
          ((ArrayNode) grouped.get("names")).add(s.name());
        }
        if (lowered.dnf.contains(List.of())) {
          // Unconditional here: what follows never decides this syscall.
          break;
        }
      }
    }
    ArrayNode syscalls = root.putArray("syscalls");
    for (ObjectNode e : entries.values()) {
      ObjectNode out = syscalls.addObject();
      for (String field : List.of("names", "action", "errnoRet", "args")) {
        if (e.has(field)) {
          out.set(field, e.get(field));
        }
      }
    }
    if (!mixed.isEmpty()) {
      warnings.add(new ExportWarning.ActionsOverlap(List.copyOf(mixed)));
    }
    return new Exported(root, List.copyOf(warnings));
  }

  /** A Security Profiles Operator {@code SeccompProfile} holding the same profile. */
  public static ObjectNode kubernetes(ObjectNode seccomp, String name) {
    ObjectNode m = JSON.createObjectNode();
    m.put("apiVersion", "security-profiles-operator.x-k8s.io/v1beta1").put("kind", "SeccompProfile");
    m.putObject("metadata").put("name", name);
    m.set("spec", seccomp.deepCopy());
    return m;
  }

  private static ObjectNode entry(Verdict action, List<Cmp> conj) {
    ObjectNode entry = JSON.createObjectNode();
    put(entry, "entry", action);
    if (conj.isEmpty()) {
      return entry;
    }
    ArrayNode args = entry.putArray("args");
    for (Cmp c : conj) {
      // The format's numbers are u64: bit 63 set is written as a large positive number.
      ObjectNode a = args.addObject().put("index", c.index).put("value", unsigned(c.value));
      if (c.op.equals("SCMP_CMP_MASKED_EQ")) {
        a.put("valueTwo", unsigned(c.valueTwo));
      }
      a.put("op", c.op);
    }
    return entry;
  }

  private static BigInteger unsigned(long v) {
    return new BigInteger(Long.toUnsignedString(v));
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
    if (v.kind() == ActionKind.ERRNO || v.kind() == ActionKind.TRACE) {
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

  /** One comparison of an entry: {@code op} on argument {@code index}. */
  private record Cmp(int index, String op, long value, long valueTwo) {
    static Cmp of(int index, Cube c) {
      return c.mask() == -1L ? new Cmp(index, "SCMP_CMP_EQ", c.bits(), 0) : new Cmp(index, "SCMP_CMP_MASKED_EQ", c.mask(), c.bits());
    }

    boolean isEquality() {
      return op.equals("SCMP_CMP_EQ") || op.equals("SCMP_CMP_MASKED_EQ");
    }

    Cube cube() {
      return op.equals("SCMP_CMP_EQ") ? new Cube(-1L, value) : new Cube(value, valueTwo);
    }
  }

  /** Thrown inside a lowering when a conjunction compares one argument twice in a way that cannot be merged. */
  private static final class SameArgumentTwice extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SameArgumentTwice() {
      super(null, null, false, false);
    }
  }

  /**
   * One rule's filter for one syscall in disjunctive normal form: each inner list is one entry's
   * ANDed comparisons, at most one per argument.
   */
  private static final class RuleLowering {
    final List<List<Cmp>> dnf;
    final List<ExportWarning> warnings = new ArrayList<>();
    boolean deferred;
    private final BoundPolicy.Rule rule;
    private final Syscall syscall;
    private final Verdict defaultAction;
    private final NarrowComparisons narrow;
    // Every ordered comparison as masked equalities, so that two on one argument can be merged.
    private final boolean equalitiesOnly;

    private RuleLowering(BoundPolicy.Rule rule, Syscall s, Verdict defaultAction, NarrowComparisons narrow, boolean equalitiesOnly) {
      this.rule = rule;
      this.syscall = s;
      this.defaultAction = defaultAction;
      this.narrow = narrow;
      this.equalitiesOnly = equalitiesOnly;
      this.dnf = rule.filter().map(f -> dnf(f, false)).orElse(List.of(List.of()));
      if (dnf.size() > MAX_ENTRIES) {
        throw new IllegalArgumentException(rule.origin() + ": " + s.name() + " needs " + dnf.size()
            + " entries in the format (more than " + MAX_ENTRIES + ")");
      }
    }

    static RuleLowering of(BoundPolicy.Rule rule, Syscall s, Verdict defaultAction, NarrowComparisons narrow) {
      try {
        return new RuleLowering(rule, s, defaultAction, narrow, false);
      } catch (SameArgumentTwice e) {
        return new RuleLowering(rule, s, defaultAction, narrow, true);
      } catch (IllegalArgumentException e) {
        throw e.getMessage().startsWith(rule.origin()) ? e : new IllegalArgumentException(rule.origin() + ": " + e.getMessage());
      }
    }

    private List<List<Cmp>> dnf(BoundExpression e, boolean negated) {
      if (e instanceof BoundExpression.Negation n) {
        return dnf(n.operand(), !negated);
      }
      if (!(e instanceof BoundExpression.All) && !(e instanceof BoundExpression.Any)) {
        return atom((Atom) e, negated);
      }
      boolean conjunction = e instanceof BoundExpression.All ^ negated;
      List<BoundExpression> ops = e instanceof BoundExpression.All a ? a.operands() : ((BoundExpression.Any) e).operands();
      List<List<Cmp>> out = conjunction ? List.of(List.of()) : new ArrayList<>();
      for (BoundExpression o : ops) {
        List<List<Cmp>> d = dnf(o, negated);
        if (!conjunction) {
          out.addAll(d);
          continue;
        }
        Set<List<Cmp>> product = new LinkedHashSet<>();
        for (List<Cmp> x : out) {
          for (List<Cmp> y : d) {
            and(x, y).ifPresent(product::add);
          }
        }
        out = new ArrayList<>(product);
      }
      return out;
    }

    // Two conjunctions as one: comparisons of one argument merge into one masked equality (or
    // nothing holds); libseccomp would make two of them an OR.
    private Optional<List<Cmp>> and(List<Cmp> x, List<Cmp> y) {
      List<Cmp> both = new ArrayList<>(x);
      for (Cmp c : y) {
        int at = indexOf(both, c.index);
        if (at < 0) {
          both.add(c);
          continue;
        }
        Cmp d = both.get(at);
        if (!c.isEquality() || !d.isEquality()) {
          throw new SameArgumentTwice();
        }
        Cube a = c.cube();
        Cube b = d.cube();
        long common = a.mask() & b.mask();
        if ((a.bits() & common) != (b.bits() & common)) {
          return Optional.empty();
        }
        both.set(at, Cmp.of(c.index, new Cube(a.mask() | b.mask(), a.bits() | b.bits())));
      }
      return Optional.of(both);
    }

    private static int indexOf(List<Cmp> conj, int index) {
      for (int i = 0; i < conj.size(); i++) {
        if (conj.get(i).index == index) {
          return i;
        }
      }
      return -1;
    }

    private List<List<Cmp>> atom(Atom a, boolean negated) {
      if (a instanceof Atom.Never) {
        return negated ? List.of(List.of()) : List.of();
      }
      EventField field = a instanceof Atom.Numeric n ? n.field() : a instanceof Atom.Member m ? m.field() : null;
      OptionalInt slot = field == null ? OptionalInt.empty() : SeccompView.LAYOUT.slot(field);
      if (slot.isEmpty() || SeccompView.labelSlot(slot.getAsInt())) {
        if (!deferred) {
          warnings.add(new ExportWarning.SentToListener(rule.origin(), syscall.name()));
        }
        deferred = true;
        return List.of(List.of());
      }
      int index = slot.getAsInt();
      if (index == SeccompView.NR || index == SeccompView.ARCH) {
        // Known per entry: evaluated here.
        SyscallEvent ev = SyscallEvent.builder(syscall.arch(), syscall.nr()).build();
        boolean holds = CompiledFilter.compile(a, SeccompView.LAYOUT).matches(new SeccompView().set(ev, 0), new CompiledFilter.Counter());
        return holds != negated ? List.of(List.of()) : List.of();
      }
      if (index >= 6) {
        throw new IllegalArgumentException("the format has no " + field.name());
      }
      long width = ones(field.size());
      long flip = field.signed() ? Long.highestOneBit(width) : 0;
      if (a instanceof Atom.Member m) {
        List<long[]> ranges = m.ranges().stream().map(r -> new long[] {(r[0] & width) ^ flip, (r[1] & width) ^ flip}).toList();
        List<Cube> in = new ArrayList<>();
        if (negated) {
          in.addAll(MaskedEqualities.outside(ranges, width));
        } else {
          ranges.forEach(r -> in.addAll(MaskedEqualities.range(r[0], r[1], width)));
        }
        return cubes(index, new Compared(width, -1L, flip), in);
      }
      Atom.Numeric n = (Atom.Numeric) a;
      Compared compared = new Compared(width, n.mask(), flip);
      Operator op = negated ? negate(n.operator()) : n.operator();
      if (op == Operator.BAND) {
        // Bits of a signed field above its width copy its sign bit.
        long bits = (n.value() & width) | (field.signed() && (n.value() & ~width) != 0 ? flip : 0);
        bits &= compared.mask();
        if (negated) {
          return onRegister(index, List.of(new Cube(bits, 0)));
        }
        List<Cube> any = new ArrayList<>();
        for (long b = bits; b != 0; b &= b - 1) {
          any.add(new Cube(Long.lowestOneBit(b), -1L));
        }
        return onRegister(index, any);
      }
      long c = n.value() & width;
      if (op != Operator.EQ && !equalitiesOnly && (op == Operator.NE || !field.signed())) {
        if (compared.mask() == -1L) {
          // The whole register, unsigned (or inequality): the format's own operator is exact.
          return List.of(List.of(new Cmp(index, scmp(op), c, 0)));
        }
        int bytes = field.size() < 8 ? field.size() : argumentBytes(index);
        // An operand beyond the argument's width is said exactly below: the 64-bit comparison would differ on every call.
        if (bytes < 8 && compared.mask() == ones(bytes) && (c & ~ones(bytes)) == 0 && narrow == NarrowComparisons.LIBSECCOMP) {
          warnings.add(widened(index, bytes, op, c));
          return List.of(List.of(new Cmp(index, scmp(op), c, 0)));
        }
      }
      long y = c ^ flip;
      List<Cube> in = switch (op) {
        case EQ -> MaskedEqualities.equal(y, width);
        case NE -> MaskedEqualities.notEqual(y, width);
        case LT -> MaskedEqualities.below(y, width);
        case GT -> MaskedEqualities.above(y, width);
        case LE -> concat(MaskedEqualities.below(y, width), MaskedEqualities.equal(y, width));
        case GE -> concat(MaskedEqualities.above(y, width), MaskedEqualities.equal(y, width));
        default -> throw new IllegalArgumentException(op.symbol() + " on a number");
      };
      return cubes(index, compared, in);
    }

    private ExportWarning widened(int index, int bytes, Operator op, long value) {
      boolean more = op == Operator.NE || op == Operator.GT || op == Operator.GE;
      ActionKind kind = rule.action().kind();
      ActionKind otherwise = defaultAction.kind();
      boolean loosens = more ? otherwise.outranks(kind) : kind.outranks(otherwise);
      String name = syscall.arguments().stream().filter(x -> x.index() == index).map(SyscallArg::name).findFirst()
          .orElse("arg" + index);
      return new ExportWarning.WholeArgumentWidened(rule.origin(), kind.keyword(), syscall.name(), index, name, bytes, op, value,
          scmp(op), more, loosens);
    }

    private int argumentBytes(int index) {
      return syscall.arguments().stream().filter(x -> x.index() == index).mapToInt(SyscallArg::width).findFirst().orElse(8);
    }

    private static List<List<Cmp>> cubes(int index, Compared compared, List<Cube> in) {
      return onRegister(index, compared.toRegister(in));
    }

    private static List<List<Cmp>> onRegister(int index, List<Cube> in) {
      return in.stream().map(c -> c.mask() == 0 ? List.<Cmp>of() : List.of(Cmp.of(index, c))).toList();
    }
  }

  private static List<Cube> concat(List<Cube> a, List<Cube> b) {
    List<Cube> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static long ones(int bytes) {
    return bytes >= 8 ? -1L : (1L << (8 * bytes)) - 1;
  }

  private static Operator negate(Operator op) {
    return switch (op) {
      case EQ -> Operator.NE;
      case NE -> Operator.EQ;
      case LT -> Operator.GE;
      case GE -> Operator.LT;
      case LE -> Operator.GT;
      case GT -> Operator.LE;
      default -> op;
    };
  }

  private static String scmp(Operator op) {
    return switch (op) {
      case NE -> "SCMP_CMP_NE";
      case LT -> "SCMP_CMP_LT";
      case LE -> "SCMP_CMP_LE";
      case GT -> "SCMP_CMP_GT";
      case GE -> "SCMP_CMP_GE";
      default -> throw new IllegalArgumentException(op.symbol() + " on a number");
    };
  }
}
