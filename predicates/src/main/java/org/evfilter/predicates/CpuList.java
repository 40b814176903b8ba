package org.evfilter.predicates;

import java.util.BitSet;
import java.util.Optional;

/**
 * The kernel's {@code cpulist_parse()} ({@code bitmap_parselist()}): comma-separated CPUs and
 * ranges {@code a-b}, optionally strided {@code a-b:used/group}, {@code N} for the last CPU and
 * {@code all}; every CPU must be below {@code nr_cpu_ids}.
 */
public final class CpuList {
  private CpuList() {}

  /** The CPUs of {@code s}, or empty when it is not a cpulist of CPUs below {@code nbits}. */
  public static Optional<BitSet> parse(String s, int nbits) {
    BitSet set = new BitSet(nbits);
    int[] i = {0};
    while (true) {
      while (i[0] < s.length() && endOfRegion(s.charAt(i[0]))) {
        i[0]++;
      }
      if (i[0] >= s.length() || s.charAt(i[0]) == '\n') {
        return Optional.of(set);
      }
      long start;
      long end;
      long off;
      long group;
      if (s.regionMatches(true, i[0], "all", 0, 3)) {
        start = 0;
        end = nbits - 1L;
        i[0] += 3;
      } else {
        start = number(s, i, nbits);
        if (start < 0) {
          return Optional.empty();
        }
        if (atRegionEnd(s, i[0])) {
          end = start;
          off = end + 1;
          group = end + 1;
          if (!set(set, start, end, off, group, nbits)) {
            return Optional.empty();
          }
          continue;
        }
        if (s.charAt(i[0]) != '-') {
          return Optional.empty();
        }
        i[0]++;
        end = number(s, i, nbits);
        if (end < 0) {
          return Optional.empty();
        }
      }
      if (atRegionEnd(s, i[0])) {
        off = end + 1;
        group = end + 1;
      } else {
        if (s.charAt(i[0]) != ':') {
          return Optional.empty();
        }
        i[0]++;
        off = number(s, i, nbits);
        if (off < 0 || i[0] >= s.length() || s.charAt(i[0]) != '/') {
          return Optional.empty();
        }
        i[0]++;
        group = number(s, i, nbits);
        if (group < 0) {
          return Optional.empty();
        }
        if (i[0] < s.length() && !atRegionEnd(s, i[0])) {
          return Optional.empty();
        }
      }
      if (!set(set, start, end, off, group, nbits)) {
        return Optional.empty();
      }
    }
  }

  private static boolean set(BitSet set, long start, long end, long off, long group, int nbits) {
    if (start > end || group == 0 || off > group) {
      return false;
    }
    if (end >= nbits) {
      return false;
    }
    for (long b = start; b <= end; b++) {
      if ((b - start) % group < off) {
        set.set((int) b);
      }
    }
    return true;
  }

  // bitmap_getnum(): 'N' is the last bit, else decimal digits that fit 32 bits.
  private static long number(String s, int[] i, int nbits) {
    if (i[0] < s.length() && s.charAt(i[0]) == 'N') {
      i[0]++;
      return nbits - 1L;
    }
    int j = i[0];
    while (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
      j++;
    }
    if (j == i[0]) {
      return -1;
    }
    long v = KernelNumbers.parseDecimal(s.substring(i[0], j));
    i[0] = j;
    return v < 0 || v > 0xffffffffL ? -1 : v;
  }

  private static boolean endOfRegion(char c) {
    return isSpace(c) || c == ',';
  }

  private static boolean atRegionEnd(String s, int i) {
    return i >= s.length() || endOfRegion(s.charAt(i)) || s.charAt(i) == '\n';
  }

  private static boolean isSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == '\u00a0';
  }
}
