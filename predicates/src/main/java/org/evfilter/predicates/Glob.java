package org.evfilter.predicates;

import java.util.Objects;

/**
 * A string pattern as the kernel's {@code filter_parse_regex()} classifies it for {@code ~}: a
 * leading {@code !} negates; a leading digit means an exact match; {@code *x}, {@code x*} and
 * {@code *x*} are suffix, prefix and substring matches; any other metacharacter makes a full
 * {@code glob_match()}. For {@code ==} and {@code !=} the pattern is always exact.
 */
public record Glob(Type type, String pattern, boolean negated) {
  /** The kernel's {@code enum regex_type}, less MATCH_INDEX (matched in full). */
  public enum Type {
    FULL,
    FRONT,
    MIDDLE,
    END,
    GLOB
  }

  public Glob {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(pattern, "pattern");
  }

  /** The literal as an exact pattern ({@code ==}, {@code !=}). */
  public static Glob exact(String literal) {
    return new Glob(Type.FULL, literal, false);
  }

  /** Classifies a {@code ~} pattern like {@code filter_parse_regex()}. */
  public static Glob parse(String buff) {
    boolean not = false;
    if (buff.startsWith("!")) {
      not = true;
      buff = buff.substring(1);
    }
    if (!buff.isEmpty() && buff.charAt(0) >= '0' && buff.charAt(0) <= '9') {
      return new Glob(Type.FULL, buff, not);
    }
    Type type = Type.FULL;
    int len = buff.length();
    for (int i = 0; i < len; i++) {
      char c = buff.charAt(i);
      if (c == '*') {
        if (i == 0) {
          type = Type.END;
        } else if (i == len - 1) {
          type = type == Type.END ? Type.MIDDLE : Type.FRONT;
          buff = buff.substring(0, i);
          break;
        } else {
          type = Type.GLOB;
          break;
        }
      } else if (c == '?' || c == '[' || c == '\\') {
        type = Type.GLOB;
        break;
      }
    }
    if (type == Type.END || type == Type.MIDDLE) {
      buff = buff.substring(1);
    }
    return new Glob(type, buff, not);
  }
}
