package org.evfilter.predicates.eval;

import org.evfilter.predicates.Glob;

/** The kernel's string matching for filters: {@code regex_match_*} and {@code glob_match()}. */
public final class TextMatch {
  private TextMatch() {}

  /** Whether {@code s} matches the pattern, as the kernel's regex_match_* functions decide. */
  public static boolean matches(Glob g, String s) {
    boolean m = switch (g.type()) {
      case FULL -> s.equals(g.pattern());
      case FRONT -> s.startsWith(g.pattern());
      case MIDDLE -> s.contains(g.pattern());
      case END -> s.endsWith(g.pattern());
      case GLOB -> glob(g.pattern(), 0, s, 0);
    };
    return g.negated() != m;
  }

  // lib/glob.c: '*', '?', '[set]' with '!' negation and ranges, '\' escapes.
  static boolean glob(String p, int pi, String s, int si) {
    while (pi < p.length()) {
      char c = p.charAt(pi);
      if (c == '*') {
        for (int k = si; k <= s.length(); k++) {
          if (glob(p, pi + 1, s, k)) {
            return true;
          }
        }
        return false;
      }
      if (si >= s.length()) {
        return false;
      }
      char d = s.charAt(si);
      if (c == '?') {
        pi++;
        si++;
        continue;
      }
      if (c == '[') {
        int end = p.indexOf(']', pi + 2);
        if (end > 0) {
          boolean negate = p.charAt(pi + 1) == '!';
          int i = negate ? pi + 2 : pi + 1;
          boolean hit = false;
          for (; i < end; i++) {
            char lo = p.charAt(i);
            char hi = lo;
            if (i + 2 < end && p.charAt(i + 1) == '-') {
              hi = p.charAt(i + 2);
              i += 2;
            }
            if (d >= lo && d <= hi) {
              hit = true;
            }
          }
          if (hit == negate) {
            return false;
          }
          pi = end + 1;
          si++;
          continue;
        }
        // An unclosed '[' is literal.
      }
      if (c == '\\' && pi + 1 < p.length()) {
        c = p.charAt(++pi);
      }
      if (c != d) {
        return false;
      }
      pi++;
      si++;
    }
    return si == s.length();
  }
}
