package org.evfilter.lsm.compile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of unsigned values of a {@code bits}-wide word (8 to 64 bits) as sorted, disjoint,
 * non-adjacent inclusive intervals: what a comparison on an argument accepts, whatever its
 * operator, signedness and width.
 */
final class IntervalSet {
  final int bits;
  private final long[] lo;
  private final long[] hi;

  private IntervalSet(int bits, long[] lo, long[] hi) {
    this.bits = bits;
    this.lo = lo;
    this.hi = hi;
  }

  /** The largest value of the domain, unsigned. */
  static long max(int bits) {
    return bits >= 64 ? -1L : (1L << bits) - 1;
  }

  static IntervalSet empty(int bits) {
    return new IntervalSet(bits, new long[0], new long[0]);
  }

  static IntervalSet all(int bits) {
    return unsigned(bits, 0, max(bits));
  }

  /** {@code [a, b]} unsigned; empty when {@code a > b}. */
  static IntervalSet unsigned(int bits, long a, long b) {
    a &= max(bits);
    b &= max(bits);
    if (Long.compareUnsigned(a, b) > 0) {
      return empty(bits);
    }
    return new IntervalSet(bits, new long[] {a}, new long[] {b});
  }

  /** {@code [a, b]} in two's complement of {@code bits} bits; empty when {@code a > b}. */
  static IntervalSet signed(int bits, long a, long b) {
    if (a > b) {
      return empty(bits);
    }
    long m = max(bits);
    if (a >= 0 || b < 0) {
      return unsigned(bits, a & m, b & m);
    }
    return unsigned(bits, 0, b).union(unsigned(bits, a & m, m));
  }

  /** The smallest and largest signed values of the domain. */
  static long signedMin(int bits) {
    return bits >= 64 ? Long.MIN_VALUE : -(1L << (bits - 1));
  }

  static long signedMax(int bits) {
    return bits >= 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
  }

  IntervalSet union(IntervalSet o) {
    List<long[]> all = new ArrayList<>();
    for (int i = 0; i < lo.length; i++) {
      all.add(new long[] {lo[i], hi[i]});
    }
    for (int i = 0; i < o.lo.length; i++) {
      all.add(new long[] {o.lo[i], o.hi[i]});
    }
    all.sort((x, y) -> Long.compareUnsigned(x[0], y[0]));
    List<long[]> merged = new ArrayList<>();
    for (long[] r : all) {
      long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      // Adjacent or overlapping: [1,3] and [4,6] are [1,6].
      if (last != null && (last[1] == max(bits) || Long.compareUnsigned(r[0], last[1] + 1) <= 0)) {
        if (Long.compareUnsigned(r[1], last[1]) > 0) {
          last[1] = r[1];
        }
      } else {
        merged.add(r.clone());
      }
    }
    return of(bits, merged);
  }

  IntervalSet intersect(IntervalSet o) {
    return complement().union(o.complement()).complement();
  }

  IntervalSet complement() {
    List<long[]> out = new ArrayList<>();
    long next = 0;
    for (int i = 0; i < lo.length; i++) {
      // Sorted and never adjacent: next <= lo[i], and equal only for the first interval at 0.
      if (lo[i] != next) {
        out.add(new long[] {next, lo[i] - 1});
      }
      if (hi[i] == max(bits)) {
        return of(bits, out);
      }
      next = hi[i] + 1;
    }
    out.add(new long[] {next, max(bits)});
    return of(bits, out);
  }

  private static IntervalSet of(int bits, List<long[]> ranges) {
    long[] l = new long[ranges.size()];
    long[] h = new long[ranges.size()];
    for (int i = 0; i < l.length; i++) {
      l[i] = ranges.get(i)[0];
      h[i] = ranges.get(i)[1];
    }
    return new IntervalSet(bits, l, h);
  }

  boolean contains(long v) {
    v &= max(bits);
    for (int i = 0; i < lo.length; i++) {
      if (Long.compareUnsigned(v, lo[i]) >= 0 && Long.compareUnsigned(v, hi[i]) <= 0) {
        return true;
      }
    }
    return false;
  }

  /** Whether every value of {@code [a, b]} is in the set ({@code true}), none is ({@code false}), or some are (null). */
  Boolean covers(long a, long b) {
    boolean any = false;
    boolean all = false;
    for (int i = 0; i < lo.length; i++) {
      boolean overlaps = Long.compareUnsigned(lo[i], b) <= 0 && Long.compareUnsigned(hi[i], a) >= 0;
      any |= overlaps;
      all |= Long.compareUnsigned(lo[i], a) <= 0 && Long.compareUnsigned(hi[i], b) >= 0;
    }
    return all ? Boolean.TRUE : any ? null : Boolean.FALSE;
  }

  int size() {
    return lo.length;
  }

  long lo(int i) {
    return lo[i];
  }

  long hi(int i) {
    return hi[i];
  }

  boolean isEmpty() {
    return lo.length == 0;
  }

  boolean isAll() {
    return lo.length == 1 && lo[0] == 0 && hi[0] == max(bits);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IntervalSet s && s.bits == bits && Arrays.equals(s.lo, lo) && Arrays.equals(s.hi, hi);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * bits + Arrays.hashCode(lo)) + Arrays.hashCode(hi);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < lo.length; i++) {
      b.append(i == 0 ? "" : ", ").append(Long.toUnsignedString(lo[i], 16));
      if (lo[i] != hi[i]) {
        b.append("..").append(Long.toUnsignedString(hi[i], 16));
      }
    }
    return b.append("}").toString();
  }
}
