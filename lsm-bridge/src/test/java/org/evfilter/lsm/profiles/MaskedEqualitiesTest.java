package org.evfilter.lsm.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongPredicate;
import org.evfilter.lsm.profiles.MaskedEqualities.Compared;
import org.evfilter.lsm.profiles.MaskedEqualities.Cube;
import org.junit.jupiter.api.Test;

class MaskedEqualitiesTest {
  private static final long INT = 0xffffffffL;

  @Test
  void aLowWordBelowThirtyEightIsThreeAlignedBlocks() {
    // 0..31, 32..35, 36..37: what --exact writes for Docker's socket rule.
    assertEquals(List.of(new Cube(0xffffffe0L, 0), new Cube(0xfffffffcL, 32), new Cube(0xfffffffeL, 36)),
        MaskedEqualities.below(38, INT));
  }

  @Test
  void everyComparisonHoldsExactlyWhereItsBlocksDo() {
    Random random = new Random(16);
    long[] masks = {-1L, INT, 0xff, 0x7e020000L, 0xff00ff00ff00ff00L};
    for (int round = 0; round < 400; round++) {
      long width = random.nextBoolean() ? -1L : INT;
      boolean signed = random.nextBoolean();
      long flip = signed ? Long.highestOneBit(width) : 0;
      long mask = masks[random.nextInt(masks.length)];
      Compared compared = new Compared(width, mask, flip);
      long c = pick(random) & width;
      long d = pick(random) & width;
      long lo = Long.compareUnsigned(c, d) <= 0 ? c : d;
      long hi = lo == c ? d : c;
      List<long[]> ranges = new ArrayList<>();
      ranges.add(new long[] {lo, hi});
      ranges.add(new long[] {pick(random) & width, pick(random) & width});
      ranges.removeIf(r -> Long.compareUnsigned(r[0], r[1]) > 0);
      for (int probe = 0; probe < 200; probe++) {
        long r = pick(random);
        long y = ((r & mask & width) ^ flip);
        check(compared, MaskedEqualities.below(c, width), r, x -> Long.compareUnsigned(x, c) < 0, y);
        check(compared, MaskedEqualities.above(c, width), r, x -> Long.compareUnsigned(x, c) > 0, y);
        check(compared, MaskedEqualities.equal(c, width), r, x -> x == c, y);
        check(compared, MaskedEqualities.notEqual(c, width), r, x -> x != c, y);
        check(compared, MaskedEqualities.range(lo, hi, width), r, x -> in(x, lo, hi), y);
        check(compared, MaskedEqualities.outside(ranges, width), r, x -> ranges.stream().noneMatch(g -> in(x, g[0], g[1])), y);
      }
    }
  }

  private static void check(Compared compared, List<Cube> cubes, long register, LongPredicate truth, long y) {
    boolean said = compared.toRegister(cubes).stream().anyMatch(k -> (register & k.mask()) == k.bits());
    assertEquals(truth.test(y), said, () -> "register 0x" + Long.toHexString(register) + " under " + compared + ": " + cubes);
  }

  private static boolean in(long x, long lo, long hi) {
    return Long.compareUnsigned(x, lo) >= 0 && Long.compareUnsigned(x, hi) <= 0;
  }

  // Edges more than uniform noise: small numbers, sign and word boundaries, their neighbours.
  private static long pick(Random random) {
    long[] edges = {0, 1, 38, 40, 0x7fffffffL, 0x80000000L, INT, 1L << 32, -1L, Long.MIN_VALUE, Long.MAX_VALUE};
    return switch (random.nextInt(4)) {
      case 0 -> edges[random.nextInt(edges.length)];
      case 1 -> edges[random.nextInt(edges.length)] + random.nextInt(5) - 2;
      case 2 -> random.nextInt(100);
      default -> random.nextLong();
    };
  }
}
