package org.evfilter.lsm.profiles;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Sets of argument values as unions of masked equalities, {@code (arg & mask) == bits}: the one
 * comparison OCI's format applies to part of an argument, so any ordered comparison, range or
 * inequality of a masked or narrow value can be said exactly as a few of them.
 *
 * <p>The sets are first built over the compared value {@code y}, an unsigned number of the field's
 * width whose order is the comparison's (a signed field's sign bit flipped), then carried to the
 * 64-bit register the kernel passes ({@link Compared#toRegister}).
 */
final class MaskedEqualities {
  /** {@code (x & mask) == bits}; {@code mask == 0} holds for every value. */
  record Cube(long mask, long bits) {
    Cube {
      bits &= mask;
    }

    static final Cube ALL = new Cube(0, 0);
  }

  /**
   * How the compared value {@code y} is made from the register {@code r}: its bits in {@code
   * mask} are the register's, the others zero, and bits in {@code flip} inverted (a signed
   * field's sign bit, so that unsigned order on {@code y} is the signed order on the field).
   */
  record Compared(long width, long mask, long flip) {
    Compared {
      mask &= width;
      flip &= width;
    }

    /** The register values whose compared value lies in one of {@code cubes}. */
    List<Cube> toRegister(List<Cube> cubes) {
      LinkedHashSet<Cube> out = new LinkedHashSet<>();
      for (Cube c : cubes) {
        Optional<Cube> r = toRegister(c);
        if (r.isPresent() && r.get().mask() == 0) {
          return List.of(Cube.ALL);
        }
        r.ifPresent(out::add);
      }
      return List.copyOf(out);
    }

    private Optional<Cube> toRegister(Cube c) {
      // Bits of y that are not the register's are constant: a cube asking them otherwise is empty.
      long constant = c.mask() & ~mask;
      if ((c.bits() & constant) != (flip & constant)) {
        return Optional.empty();
      }
      long m = c.mask() & mask;
      return Optional.of(new Cube(m, c.bits() ^ flip));
    }
  }

  private MaskedEqualities() {}

  /** {@code y == c} for {@code y} of {@code width} bits. */
  static List<Cube> equal(long c, long width) {
    return List.of(new Cube(width, c));
  }

  /**
   * {@code y != c}, as {@code y < c} or {@code y > c}: disjoint aligned blocks, so that two
   * inequalities of one argument intersect in few blocks rather than one per pair of bits.
   */
  static List<Cube> notEqual(long c, long width) {
    List<Cube> out = new ArrayList<>(below(c, width));
    out.addAll(above(c, width));
    return out;
  }

  /** {@code y < c}, unsigned: at the highest bit where they differ, {@code c} has the one. */
  static List<Cube> below(long c, long width) {
    List<Cube> out = new ArrayList<>();
    for (int i = 63; i >= 0; i--) {
      long bit = 1L << i;
      if ((width & bit) != 0 && (c & bit) != 0) {
        out.add(new Cube(width & atOrAbove(i), c & ~bit));
      }
    }
    return out;
  }

  /** {@code y > c}, unsigned: at the highest bit where they differ, {@code y} has the one. */
  static List<Cube> above(long c, long width) {
    List<Cube> out = new ArrayList<>();
    for (int i = 63; i >= 0; i--) {
      long bit = 1L << i;
      if ((width & bit) != 0 && (c & bit) == 0) {
        out.add(new Cube(width & atOrAbove(i), c | bit));
      }
    }
    return out;
  }

  /** {@code lo <= y <= hi}, unsigned, as aligned blocks (at most two per bit). */
  static List<Cube> range(long lo, long hi, long width) {
    List<Cube> out = new ArrayList<>();
    if (Long.compareUnsigned(lo, hi) > 0) {
      return out;
    }
    int bits = Long.bitCount(width);
    long a = lo;
    while (true) {
      int k = Math.min(a == 0 ? 64 : Long.numberOfTrailingZeros(a), bits);
      while (Long.compareUnsigned(a + span(k), hi) > 0) {
        k--;
      }
      out.add(new Cube(width & ~span(k), a));
      long end = a + span(k);
      if (end == hi) {
        return out;
      }
      a = end + 1;
    }
  }

  /** The values of {@code width} bits in none of the inclusive {@code ranges} (unsigned). */
  static List<Cube> outside(List<long[]> ranges, long width) {
    List<long[]> sorted = new ArrayList<>(ranges);
    sorted.sort(Comparator.comparing((long[] r) -> r[0], Long::compareUnsigned));
    List<Cube> out = new ArrayList<>();
    long next = 0;
    for (long[] r : sorted) {
      if (Long.compareUnsigned(r[0], next) > 0) {
        out.addAll(range(next, r[0] - 1, width));
      }
      if (Long.compareUnsigned(r[1], next) >= 0) {
        if (r[1] == width) {
          return out;
        }
        next = r[1] + 1;
      }
    }
    out.addAll(range(next, width, width));
    return out;
  }

  private static long atOrAbove(int i) {
    return -1L << i;
  }

  // 2^k - 1, for k up to 64.
  private static long span(int k) {
    return k >= 64 ? -1L : (1L << k) - 1;
  }
}
