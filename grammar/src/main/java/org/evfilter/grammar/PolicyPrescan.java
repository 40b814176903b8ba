package org.evfilter.grammar;

/**
 * Checks before a policy is parsed: a quote must close on its own line (outside comments); and
 * how deep parentheses nest, to size the parser's stack.
 */
final class PolicyPrescan {
  private PolicyPrescan() {}

  /** The deepest nesting; a nesting deeper than {@code maxNesting} is an error at the parenthesis that passes it. */
  static int check(SourceText source, int maxNesting) {
    String s = source.text();
    char quote = 0;
    int opened = 0;
    int depth = 0;
    int maxDepth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\n') {
          break;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        opened = i;
      } else if (c == '(') {
        maxDepth = Math.max(maxDepth, ++depth);
        if (depth > maxNesting) {
          throw new FilterException(FilterError.of(ErrorCode.EXPRESSION_TOO_LARGE, i,
              "parentheses nest deeper than " + maxNesting + " here"), source);
        }
      } else if (c == ')') {
        depth = Math.max(0, depth - 1);
      } else if (c == '#') {
        int nl = s.indexOf('\n', i);
        i = nl < 0 ? s.length() : nl;
      } else if (c == '\0') {
        throw new FilterException(FilterError.of(ErrorCode.SYNTAX, i, "NUL byte in a policy"), source);
      }
    }
    if (quote != 0) {
      throw new FilterException(
          FilterError.of(
              ErrorCode.MISSING_QUOTE, opened, "this " + quote + " is not closed on its line"),
          source);
    }
    return maxDepth;
  }
}
