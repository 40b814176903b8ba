package org.evfilter.grammar;

import java.util.Optional;

/**
 * The kernel's first pass over a filter ({@code calc_stack()}): quotes, parentheses and whether
 * there is a predicate at all. Its errors come before any other, with the kernel's positions.
 */
final class KernelPrescan {
  private KernelPrescan() {}

  /** What the pass found: an error, or the deepest nesting and whether there is a predicate. */
  record Result(Optional<FilterError> error, int maxDepth, boolean hasPredicate) {}

  /** The kernel's {@code isspace()} on Latin-1: the C locale's six plus NBSP (0xA0). */
  static boolean isSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == '\u00a0';
  }

  static Result scan(String s, boolean comments) {
    boolean isPred = false;
    int preds = 0;
    int open = 1;
    int maxOpen = 1;
    char quote = 0;
    int lastQuote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (isSpace(c)) {
        continue;
      }
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
        continue;
      }
      switch (c) {
        case '\'', '"' -> {
          quote = c;
          lastQuote = i;
        }
        case '|', '&' -> {
          if (i + 1 < s.length() && s.charAt(i + 1) == c) {
            isPred = false;
            continue;
          }
        }
        case '(' -> {
          isPred = false;
          open++;
          maxOpen = Math.max(maxOpen, open);
          continue;
        }
        case ')' -> {
          isPred = false;
          if (open == 1) {
            return error(ErrorCode.TOO_MANY_CLOSE, i, "this ')' closes nothing");
          }
          open--;
          continue;
        }
        case '#' -> {
          if (comments) {
            int nl = s.indexOf('\n', i);
            i = nl < 0 ? s.length() : nl;
            continue;
          }
        }
        default -> {}
      }
      if (!isPred) {
        preds++;
        isPred = true;
      }
    }
    if (quote != 0) {
      return error(ErrorCode.MISSING_QUOTE, lastQuote, "this " + quote + " is never closed");
    }
    if (open != 1) {
      return error(ErrorCode.TOO_MANY_OPEN, unmatchedOpen(s, open), "this '(' is never closed");
    }
    return new Result(Optional.empty(), maxOpen - 1, preds > 0);
  }

  // Walks back to the '(' left open, as the kernel does (quote-aware, from the end).
  private static int unmatchedOpen(String s, int open) {
    int level = open;
    char quote = 0;
    for (int i = s.length() - 1; i > 0; i--) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
        continue;
      }
      switch (c) {
        case '(' -> {
          if (level == open) {
            return i;
          }
          level--;
        }
        case ')' -> level++;
        case '\'', '"' -> quote = c;
        default -> {}
      }
    }
    return 0;
  }

  private static Result error(ErrorCode code, int at, String detail) {
    return new Result(Optional.of(FilterError.of(code, at, detail)), 0, true);
  }
}
