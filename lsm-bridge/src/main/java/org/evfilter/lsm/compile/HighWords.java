package org.evfilter.lsm.compile;

import java.util.List;
import java.util.TreeSet;

/**
 * Splits a set of 64-bit values by their high word: for each range of high words, whether every
 * value is in the set ({@code TRUE}), none is ({@code FALSE}), or which low words are (an
 * {@link IntervalSet} of 32 bits). Comparing both halves this way is exact for every operator,
 * signed or not, where splitting each comparison by hand is where compilers go wrong.
 */
final class HighWords {
  private HighWords() {}

  static void split(IntervalSet set, long hiDomain, long loDomain, List<Long> starts, List<Object> outcomes) {
    TreeSet<Long> special = new TreeSet<>();
    for (int i = 0; i < set.size(); i++) {
      special.add(set.lo(i) >>> 32);
      special.add(set.hi(i) >>> 32);
    }
    long pos = 0;
    for (long h : special) {
      if (h > hiDomain) {
        break;
      }
      if (h > pos) {
        add(starts, outcomes, pos, between(set, pos, h - 1));
      }
      add(starts, outcomes, h, low(set, h, loDomain));
      pos = h + 1;
    }
    if (pos <= hiDomain) {
      add(starts, outcomes, pos, between(set, pos, hiDomain));
    }
  }

  private static void add(List<Long> starts, List<Object> outcomes, long start, Object outcome) {
    if (!outcomes.isEmpty() && outcomes.get(outcomes.size() - 1).equals(outcome)) {
      return;
    }
    starts.add(start);
    outcomes.add(outcome);
  }

  // High words strictly between special ones: every value or none.
  private static Boolean between(IntervalSet set, long hiFrom, long hiTo) {
    Boolean c = set.covers(hiFrom << 32, (hiTo << 32) | 0xffffffffL);
    return c == null ? Boolean.FALSE : c;
  }

  private static Object low(IntervalSet set, long h, long loDomain) {
    IntervalSet lows = IntervalSet.empty(32);
    for (int i = 0; i < set.size(); i++) {
      long ah = set.lo(i) >>> 32;
      long bh = set.hi(i) >>> 32;
      if (ah <= h && h <= bh) {
        long a = ah == h ? set.lo(i) & 0xffffffffL : 0;
        long b = bh == h ? set.hi(i) & 0xffffffffL : 0xffffffffL;
        lows = lows.union(IntervalSet.unsigned(32, a, b));
      }
    }
    Boolean all = lows.covers(0, loDomain);
    return all != null ? all : lows;
  }
}
