package org.evfilter.predicates.eval;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalInt;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.FieldKind;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.Glob;

/**
 * A bound filter compiled for evaluation, the way the kernel's {@code predicate_parse()} compiles
 * it: a linear program of atomic tests, each with the entry to go to when it is true and when it is
 * false. Evaluation is a loop over that program: short-circuit, left to right, no recursion and no
 * allocation; the number of tests run is added to a {@link Counter}.
 */
public final class CompiledFilter {
  private static final int TRUE = -1;
  private static final int FALSE = -2;

  private final Test[] tests;
  private final int[] onTrue;
  private final int[] onFalse;
  private final int start;
  private final int[] slotsRead;

  /** Counts what evaluation did (events decided, atomic predicates run); one per thread. */
  public static final class Counter {
    public long events;
    public long predicates;
  }

  private CompiledFilter(Test[] tests, int[] onTrue, int[] onFalse, int start, int[] slotsRead) {
    this.tests = tests;
    this.onTrue = onTrue;
    this.onFalse = onFalse;
    this.start = start;
    this.slotsRead = slotsRead;
  }

  /**
   * Compiles {@code e} for events laid out by {@code layout}.
   *
   * @throws IllegalArgumentException for predicates only the kernel can evaluate ({@code
   *     .function}) or fields the layout does not carry
   */
  public static CompiledFilter compile(BoundExpression e, SlotLayout layout) {
    Builder b = new Builder(layout);
    int start = b.emit(e, TRUE, FALSE);
    int n = b.tests.size();
    Test[] tests = b.tests.toArray(new Test[0]);
    int[] t = b.onTrue.stream().mapToInt(Integer::intValue).toArray();
    int[] f = b.onFalse.stream().mapToInt(Integer::intValue).toArray();
    if (n == 0) {
      throw new IllegalStateException("empty program");
    }
    return new CompiledFilter(tests, t, f, start, b.slots.stream().mapToInt(Integer::intValue).distinct().sorted().toArray());
  }

  /** Whether the event matches; adds the tests run to {@code counter}. */
  public boolean matches(EventView v, Counter counter) {
    int pc = start;
    int run = 0;
    while (pc >= 0) {
      run++;
      pc = tests[pc].test(v) ? onTrue[pc] : onFalse[pc];
    }
    counter.predicates += run;
    return pc == TRUE;
  }

  /** The slots the filter reads: the projection of an event that decides it. */
  int[] slotsRead() {
    return slotsRead.clone();
  }

  /** How many atomic tests the program has. */
  public int size() {
    return tests.length;
  }

  private static final class Builder {
    final SlotLayout layout;
    final List<Test> tests = new ArrayList<>();
    final List<Integer> onTrue = new ArrayList<>();
    final List<Integer> onFalse = new ArrayList<>();
    final List<Integer> slots = new ArrayList<>();

    Builder(SlotLayout layout) {
      this.layout = layout;
    }

    // Emits code for e that continues at t when e is true and at f when false; returns its entry.
    int emit(BoundExpression e, int t, int f) {
      if (e instanceof BoundExpression.Negation not) {
        return emit(not.operand(), f, t);
      }
      if (e instanceof BoundExpression.All all) {
        int next = t;
        for (int i = all.operands().size() - 1; i >= 0; i--) {
          next = emit(all.operands().get(i), next, f);
        }
        return next;
      }
      if (e instanceof BoundExpression.Any any) {
        int next = f;
        for (int i = any.operands().size() - 1; i >= 0; i--) {
          next = emit(any.operands().get(i), t, next);
        }
        return next;
      }
      tests.add(test((Atom) e));
      onTrue.add(t);
      onFalse.add(f);
      return tests.size() - 1;
    }

    private int slot(EventField field) {
      OptionalInt s = layout.slot(field);
      if (s.isEmpty()) {
        throw new IllegalArgumentException("events here do not carry field '" + field.name() + "'");
      }
      slots.add(s.getAsInt());
      return s.getAsInt();
    }

    private Test test(Atom a) {
      if (a instanceof Atom.Numeric n) {
        if (n.field().kind() == FieldKind.CPU && n.operator() == Operator.BAND && n.mask() == -1L) {
          // filter_pred_cpu() knows ==, !=, <, <=, >, >= only: 'cpu & N' is accepted and never true.
          return v -> false;
        }
        return new NumericTest(slot(n.field()), n.operator(), n.value(), n.mask(), n.field().size(), n.field().signed());
      }
      if (a instanceof Atom.Member m) {
        long[] lo = new long[m.ranges().size()];
        long[] hi = new long[lo.length];
        for (int i = 0; i < lo.length; i++) {
          lo[i] = m.ranges().get(i)[0];
          hi[i] = m.ranges().get(i)[1];
        }
        return new MemberTest(slot(m.field()), lo, hi, m.field().size(), m.field().signed());
      }
      if (a instanceof Atom.Text t) {
        OptionalInt s = layout.textSlot(t.field(), t.user());
        if (s.isEmpty()) {
          throw new IllegalArgumentException("events here do not carry field '" + t.field().name() + "'");
        }
        slots.add(s.getAsInt());
        return new TextTest(s.getAsInt(), t.pattern(), t.operator() == Operator.NE, TextMatch.area(t.field()));
      }
      if (a instanceof Atom.Cpus c) {
        return cpus(c);
      }
      if (a instanceof Atom.Never) {
        return v -> false;
      }
      if (a instanceof Atom.Network n) {
        int s = slot(n.field());
        slots.add(s + 1);
        slots.add(s + 2);
        return NetworkTest.of(s, n);
      }
      throw new IllegalArgumentException("only the kernel can evaluate .function predicates (it needs the"
          + " kernel's symbol addresses)");
    }

    // parse_pred()'s CPUS branch: a set of one CPU becomes a scalar, and '&' then means '=='.
    private Test cpus(Atom.Cpus c) {
      EventField f = c.field();
      BitSet set = c.cpus();
      boolean single = set.cardinality() == 1;
      Operator op = single && c.operator() == Operator.BAND ? Operator.EQ : c.operator();
      int cpu = set.nextSetBit(0);
      if (f.kind() == FieldKind.CPUMASK) {
        int s = slot(f);
        return single ? v -> CpuMask.maskScalar(op, CpuMask.of(v.text(s), c.nrCpuIds()), cpu)
            : v -> CpuMask.maskMask(op, CpuMask.of(v.text(s), c.nrCpuIds()), set);
      }
      if (f.kind() == FieldKind.CPU) {
        int s = slot(f);
        // filter_pred_cpu() for one CPU, filter_pred_cpu_cpumask() for a set.
        return single ? new NumericTest(s, op, cpu, -1L, f.size(), true)
            : v -> CpuMask.scalarMask(op, (int) v.number(s), set, Integer.MAX_VALUE);
      }
      if (!f.comparableWidth()) {
        // No comparison function for this width: the predicate is a no-op, false even for '!='.
        return v -> false;
      }
      int s = slot(f);
      if (single) {
        return new NumericTest(s, op, cpu, -1L, f.size(), false);
      }
      // filter_pred_N_cpumask(): the field's unsigned value, truncated to an unsigned int.
      return v -> CpuMask.scalarMask(op, (int) cast(v.number(s), f.size(), false), set, c.nrCpuIds());
    }
  }

  /** One atomic test. */
  interface Test {
    boolean test(EventView v);
  }

  /** Casts a raw value to the field's width, sign-extending signed fields, as the kernel's (type) cast. */
  public static long cast(long x, int bytes, boolean signed) {
    if (bytes >= 8 || bytes <= 0) {
      return x;
    }
    int shift = 64 - bytes * 8;
    return signed ? (x << shift) >> shift : (x << shift) >>> shift;
  }

  private record NumericTest(int slot, Operator op, long value, long mask, int bytes, boolean signed) implements Test {
    NumericTest {
      value = cast(value, bytes, signed);
    }

    @Override
    public boolean test(EventView v) {
      long x = cast(v.number(slot) & mask, bytes, signed);
      switch (op) {
        case EQ:
          return x == value;
        case NE:
          return x != value;
        case BAND:
          return (x & value) != 0;
        case LT:
          return signed ? x < value : Long.compareUnsigned(x, value) < 0;
        case LE:
          return signed ? x <= value : Long.compareUnsigned(x, value) <= 0;
        case GT:
          return signed ? x > value : Long.compareUnsigned(x, value) > 0;
        case GE:
          return signed ? x >= value : Long.compareUnsigned(x, value) >= 0;
        default:
          return false;
      }
    }
  }

  private record MemberTest(int slot, long[] lo, long[] hi, int bytes, boolean signed) implements Test {
    @Override
    public boolean test(EventView v) {
      long x = cast(v.number(slot), bytes, signed);
      for (int i = 0; i < lo.length; i++) {
        long a = cast(lo[i], bytes, signed);
        long b = cast(hi[i], bytes, signed);
        boolean in = signed ? x >= a && x <= b
            : Long.compareUnsigned(x, a) >= 0 && Long.compareUnsigned(x, b) <= 0;
        if (in) {
          return true;
        }
      }
      return false;
    }
  }

  // An address in [first, last] of some network, as two unsigned 64-bit words each; the slots after
  // the address's are its low word and whether it is present (SeccompView's layout).
  private record NetworkTest(int slot, long[] firstHigh, long[] firstLow, long[] lastHigh, long[] lastLow, boolean in) implements Test {
    static NetworkTest of(int slot, Atom.Network n) {
      int k = n.networks().size();
      long[] fh = new long[k];
      long[] fl = new long[k];
      long[] lh = new long[k];
      long[] ll = new long[k];
      for (int i = 0; i < k; i++) {
        fh[i] = n.networks().get(i).first().high();
        fl[i] = n.networks().get(i).first().low();
        lh[i] = n.networks().get(i).last().high();
        ll[i] = n.networks().get(i).last().low();
      }
      return new NetworkTest(slot, fh, fl, lh, ll, n.in());
    }

    @Override
    public boolean test(EventView v) {
      if (v.number(slot + 2) == 0) {
        return false;
      }
      long high = v.number(slot);
      long low = v.number(slot + 1);
      for (int i = 0; i < firstHigh.length; i++) {
        if (compare(high, low, firstHigh[i], firstLow[i]) >= 0 && compare(high, low, lastHigh[i], lastLow[i]) <= 0) {
          return in;
        }
      }
      return !in;
    }

    private static int compare(long ah, long al, long bh, long bl) {
      int c = Long.compareUnsigned(ah, bh);
      return c != 0 ? c : Long.compareUnsigned(al, bl);
    }
  }

  private record TextTest(int slot, Glob pattern, boolean negate, int area) implements Test {
    @Override
    public boolean test(EventView v) {
      String s = v.text(slot);
      // A string the tracer could not read is false before any inversion, as in the kernel.
      return s != null && negate != TextMatch.matches(pattern, s, area);
    }
  }
}
