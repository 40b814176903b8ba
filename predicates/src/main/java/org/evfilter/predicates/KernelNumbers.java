package org.evfilter.predicates;

import java.util.OptionalLong;

/**
 * The kernel's {@code kstrtoull}/{@code kstrtoll} with base 0: {@code 0x} hex (when a hex digit
 * follows), leading-{@code 0} octal, else decimal; no sign on unsigned values, no suffixes, no
 * overflow. Results are 64-bit two's complement.
 */
final class KernelNumbers {
  private KernelNumbers() {}

  static OptionalLong parseUnsigned(String s) {
    if (s.startsWith("+")) {
      s = s.substring(1);
    }
    return parseMagnitude(s);
  }

  static OptionalLong parseSigned(String s) {
    if (s.startsWith("-")) {
      OptionalLong m = parseMagnitude(s.substring(1));
      // -tmp must not be positive: magnitudes up to 2^63 fit.
      if (m.isEmpty() || (m.getAsLong() < 0 && m.getAsLong() != Long.MIN_VALUE)) {
        return OptionalLong.empty();
      }
      return OptionalLong.of(-m.getAsLong());
    }
    OptionalLong v = parseUnsigned(s);
    return v.isPresent() && v.getAsLong() < 0 ? OptionalLong.empty() : v;
  }

  /** Decimal digits only, as {@code bitmap_getnum()} reads a CPU number; -1 on failure. */
  static long parseDecimal(String s) {
    OptionalLong v = digits(s, 10);
    return v.isPresent() ? v.getAsLong() : -1;
  }

  private static OptionalLong parseMagnitude(String s) {
    int base = 10;
    if (s.length() >= 1 && s.charAt(0) == '0') {
      if (s.length() >= 3
          && Character.toLowerCase(s.charAt(1)) == 'x'
          && Character.digit(s.charAt(2), 16) >= 0) {
        base = 16;
        s = s.substring(2);
      } else {
        base = 8;
      }
    }
    if (s.endsWith("\n")) {
      s = s.substring(0, s.length() - 1);
    }
    return digits(s, base);
  }

  private static OptionalLong digits(String s, int base) {
    if (s.isEmpty()) {
      return OptionalLong.empty();
    }
    long value = 0;
    for (int i = 0; i < s.length(); i++) {
      int d = s.charAt(i) < 128 ? Character.digit(s.charAt(i), base) : -1;
      if (d < 0) {
        return OptionalLong.empty();
      }
      long hi = Math.multiplyHigh(value, base) + ((value >> 63) & base);
      long next = value * base + d;
      if (hi != 0 || Long.compareUnsigned(next, value * base) < 0) {
        return OptionalLong.empty();
      }
      value = next;
    }
    return OptionalLong.of(value);
  }
}
