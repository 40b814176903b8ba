package org.evfilter.lsm.compile;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.evfilter.events.schema.EventField;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.lsm.bpf.SeccompData;

/**
 * A rule's filter in the terms BPF can test: comparisons of 32-bit words of {@code seccomp_data}
 * (at their argument's width, as sets of accepted values) and bit tests; what BPF cannot read
 * (labels, strings) stays a {@link Deferred} leaf for user space. Records, so equal conditions
 * compare equal and syscalls with the same decision merge into one range.
 */
sealed interface Condition {
  /** {@code (word & mask) ∈ set}, the value {@code bytes} wide at {@code offset} in seccomp_data. */
  record Compare(int offset, int bytes, long mask, IntervalSet set) implements Condition {}

  /** {@code (value & bits) != 0}. */
  record AnyBit(int offset, int bytes, long bits) implements Condition {}

  /** An atom BPF cannot decide. */
  record Deferred(Atom atom) implements Condition {}

  record Constant(boolean value) implements Condition {}

  record All(List<Condition> operands) implements Condition {}

  record Any(List<Condition> operands) implements Condition {}

  record Not(Condition operand) implements Condition {}

  Constant TRUE = new Constant(true);
  Constant FALSE = new Constant(false);

  /** Whether a part of this condition can only be decided in user space. */
  default boolean defers() {
    if (this instanceof Deferred) {
      return true;
    }
    if (this instanceof All a) {
      return a.operands.stream().anyMatch(Condition::defers);
    }
    if (this instanceof Any a) {
      return a.operands.stream().anyMatch(Condition::defers);
    }
    return this instanceof Not n && n.operand.defers();
  }

  /** The condition of a bound filter. */
  static Condition of(BoundExpression e) {
    if (e instanceof BoundExpression.All a) {
      return new All(a.operands().stream().map(Condition::of).toList());
    }
    if (e instanceof BoundExpression.Any a) {
      return new Any(a.operands().stream().map(Condition::of).toList());
    }
    if (e instanceof BoundExpression.Negation n) {
      return new Not(of(n.operand()));
    }
    return atom((Atom) e);
  }

  private static Condition atom(Atom a) {
    if (a instanceof Atom.Never) {
      return FALSE;
    }
    EventField field;
    if (a instanceof Atom.Numeric n) {
      field = n.field();
    } else if (a instanceof Atom.Member m) {
      field = m.field();
    } else {
      return new Deferred(a);
    }
    OptionalInt slot = SeccompView.LAYOUT.slot(field);
    int offset;
    if (slot.isEmpty()) {
      return new Deferred(a);
    } else if (slot.getAsInt() < 6) {
      offset = SeccompData.argLow(slot.getAsInt());
    } else if (slot.getAsInt() == SeccompView.NR) {
      offset = SeccompData.NR;
    } else if (slot.getAsInt() == SeccompView.ARCH) {
      offset = SeccompData.ARCH;
    } else if (slot.getAsInt() == SeccompView.IP) {
      offset = SeccompData.IP;
    } else {
      return new Deferred(a);
    }
    int bytes = Math.min(8, Math.max(1, field.size()));
    int bits = bytes * 8;
    long dm = IntervalSet.max(bits);
    boolean signed = field.signed();
    if (a instanceof Atom.Member m) {
      IntervalSet set = IntervalSet.empty(bits);
      for (long[] r : m.ranges()) {
        long lo = cast(r[0], bits, signed);
        long hi = cast(r[1], bits, signed);
        set = set.union(signed ? IntervalSet.signed(bits, lo, hi) : IntervalSet.unsigned(bits, lo, hi));
      }
      return compare(offset, bytes, dm, set);
    }
    Atom.Numeric n = (Atom.Numeric) a;
    long mask = n.mask() & dm;
    long v = cast(n.value(), bits, signed);
    long min = signed ? IntervalSet.signedMin(bits) : 0;
    long max = signed ? IntervalSet.signedMax(bits) : dm;
    IntervalSet set = switch (n.operator()) {
      case EQ -> IntervalSet.unsigned(bits, v, v);
      case NE -> IntervalSet.unsigned(bits, v, v).complement();
      case LT -> v == min ? IntervalSet.empty(bits) : range(bits, signed, min, v - 1);
      case LE -> range(bits, signed, min, v);
      case GT -> v == max ? IntervalSet.empty(bits) : range(bits, signed, v + 1, max);
      case GE -> range(bits, signed, v, max);
      case BAND -> null;
      default -> throw new IllegalArgumentException("operator " + n.operator().symbol() + " on a number");
    };
    if (set == null) {
      long bitsSet = v & mask;
      return bitsSet == 0 ? FALSE : new AnyBit(offset, bytes, bitsSet);
    }
    return compare(offset, bytes, mask, set);
  }

  private static Condition compare(int offset, int bytes, long mask, IntervalSet set) {
    if (set.isEmpty()) {
      return FALSE;
    }
    if (set.isAll()) {
      return TRUE;
    }
    return new Compare(offset, bytes, mask, set);
  }

  private static IntervalSet range(int bits, boolean signed, long a, long b) {
    return signed ? IntervalSet.signed(bits, a, b) : IntervalSet.unsigned(bits, a, b);
  }

  /** The kernel's cast of a value to the field's width: sign-extended when signed, else truncated. */
  static long cast(long x, int bits, boolean signed) {
    if (bits >= 64) {
      return x;
    }
    int shift = 64 - bits;
    return signed ? (x << shift) >> shift : (x << shift) >>> shift;
  }

  /** Whether the test holds for {@code word} (the field's raw value). */
  static boolean holds(Condition c, long word) {
    if (c instanceof Compare cmp) {
      return cmp.set.contains(word & cmp.mask);
    }
    return (word & ((AnyBit) c).bits) != 0;
  }

  /**
   * Replaces tests of {@code offset} by their outcome where {@code known} decides them (null:
   * undecided), then folds constants.
   */
  static Condition specialise(Condition c, java.util.function.Function<Condition, Boolean> known) {
    if (c instanceof Compare || c instanceof AnyBit) {
      Boolean b = known.apply(c);
      return b == null ? c : new Constant(b);
    }
    if (c instanceof Not n) {
      Condition o = specialise(n.operand, known);
      if (o instanceof Compare cmp) {
        return compare(cmp.offset, cmp.bytes, cmp.mask, cmp.set.complement());
      }
      return o instanceof Constant k ? new Constant(!k.value) : new Not(o);
    }
    if (c instanceof All a) {
      return junction(a.operands, true, known);
    }
    if (c instanceof Any a) {
      return junction(a.operands, false, known);
    }
    return c;
  }

  // All (conjunction) or any, specialised: constants fold, nested junctions of the same kind
  // flatten, comparisons of one word merge.
  private static Condition junction(List<Condition> operands, boolean conjunction, java.util.function.Function<Condition, Boolean> known) {
    Constant absorbing = new Constant(!conjunction);
    Constant neutral = new Constant(conjunction);
    List<Condition> ops = new ArrayList<>();
    for (Condition o : operands) {
      Condition s = specialise(o, known);
      if (s.equals(absorbing)) {
        return absorbing;
      }
      if (conjunction && s instanceof All inner) {
        ops.addAll(inner.operands);
      } else if (!conjunction && s instanceof Any inner) {
        ops.addAll(inner.operands);
      } else if (!s.equals(neutral)) {
        ops.add(s);
      }
    }
    ops = merge(ops, conjunction);
    if (ops.contains(absorbing)) {
      return absorbing;
    }
    return ops.isEmpty() ? neutral : ops.size() == 1 ? ops.get(0) : conjunction ? new All(ops) : new Any(ops);
  }

  /**
   * Comparisons of the same word under the same mask become one comparison against the
   * intersection ({@code all}) or union of their sets: one load and one tree instead of a chain.
   * Only decidable operands move, and Kleene logic does not depend on operand order.
   */
  private static List<Condition> merge(List<Condition> ops, boolean all) {
    java.util.Map<List<Long>, Compare> byWord = new java.util.LinkedHashMap<>();
    List<Condition> out = new ArrayList<>();
    for (Condition o : ops) {
      if (o instanceof Compare c) {
        List<Long> key = List.of((long) c.offset, (long) c.bytes, c.mask);
        Compare before = byWord.get(key);
        if (before == null) {
          byWord.put(key, c);
          out.add(c);
          continue;
        }
        IntervalSet set = all ? before.set.intersect(c.set) : before.set.union(c.set);
        Condition merged = compare(c.offset, c.bytes, c.mask, set);
        int at = out.indexOf(before);
        out.set(at, merged);
        if (merged instanceof Compare m) {
          byWord.put(key, m);
        } else {
          byWord.remove(key);
        }
      } else {
        out.add(o);
      }
    }
    return out;
  }
}
