package org.evfilter.predicates.eval;

import org.evfilter.events.schema.EventField;
import org.evfilter.predicates.Glob;

/** The kernel's string matching for filters: {@code regex_match_*} and {@code glob_match()}. */
public final class TextMatch {
  private TextMatch() {}

  /** The kernel's {@code TASK_COMM_LEN}: the size of {@code current->comm}. */
  static final int TASK_COMM_LEN = 16;

  /** Whether {@code s} matches the pattern, as the kernel's regex_match_* functions decide. */
  public static boolean matches(Glob g, String s) {
    return matches(g, s, 0);
  }

  /**
   * The bytes a string of this field occupies for matching: the array's size for {@code char[N]},
   * {@link #TASK_COMM_LEN} for {@code comm}, 0 where the kernel knows the string's own length.
   */
  public static int area(EventField field) {
    return switch (field.kind()) {
      case STATIC_STRING -> field.size();
      case COMM -> TASK_COMM_LEN;
      default -> 0;
    };
  }

  /**
   * Whether {@code s} matches, where a non-zero {@code area} is the size of the fixed array the
   * string sits in: {@code s} is then the array's bytes, the string up to its first NUL and
   * whatever follows it (missing bytes are NULs). The kernel compares exact matches, prefixes and
   * globs on the string, but two of its matchers read the whole array: {@code regex_match_end()}
   * compares a suffix with the array's last {@code area - 1} bytes (so {@code "*sh"} misses
   * {@code bash} unless stale bytes after the NUL end in {@code sh}), and {@code strnstr()} in
   * {@code regex_match_middle()} searches past the NUL.
   */
  public static boolean matches(Glob g, String s, int area) {
    if (area > 0) {
      boolean m = switch (g.type()) {
        case END -> endOfArea(g.pattern(), s, area);
        case MIDDLE -> (s.length() > area ? s.substring(0, area) : s).contains(g.pattern());
        case FULL -> fullInArea(g.pattern(), s, area);
        default -> unnegated(g, cString(s));
      };
      return g.negated() != m;
    }
    return g.negated() != unnegated(g, s);
  }

  private static boolean unnegated(Glob g, String s) {
    return switch (g.type()) {
      case FULL -> s.equals(g.pattern());
      case FRONT -> s.startsWith(g.pattern());
      case MIDDLE -> s.contains(g.pattern());
      case END -> s.endsWith(g.pattern());
      case GLOB -> glob(g.pattern(), 0, s, 0);
    };
  }

  // regex_match_end(): memcmp(str + len - 1 - plen, pattern, plen) over the NUL-padded array.
  private static boolean endOfArea(String p, String s, int area) {
    int end = area - 1;
    if (end < p.length()) {
      return false;
    }
    for (int i = 0; i < p.length(); i++) {
      if (byteAt(s, end - p.length() + i) != p.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  // regex_match_full(): strncmp(str, pattern, len) == 0.
  private static boolean fullInArea(String p, String s, int area) {
    for (int i = 0; i < area; i++) {
      char a = byteAt(s, i);
      char b = i < p.length() ? p.charAt(i) : 0;
      if (a != b) {
        return false;
      }
      if (a == 0) {
        return true;
      }
    }
    return true;
  }

  /** The string a fixed array holds: its bytes up to the first NUL. */
  public static String cString(String bytes) {
    int nul = bytes.indexOf('\0');
    return nul < 0 ? bytes : bytes.substring(0, nul);
  }

  private static char byteAt(String s, int i) {
    return i < s.length() ? s.charAt(i) : 0;
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
