package org.evfilter.grammar;

import java.util.Collection;
import java.util.Optional;

/** Finds the known name nearest to a misspelt one, for "did you mean" hints. */
public final class Spelling {
  private Spelling() {}

  /**
   * The candidate with the smallest edit distance to {@code name}, if it is close enough to be a
   * plausible typo (at most a third of the name's length, and at least 1).
   */
  public static Optional<String> nearest(String name, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    int limit = Math.max(1, name.length() / 3);
    for (String c : candidates) {
      if (Math.abs(c.length() - name.length()) > limit) {
        continue;
      }
      int d = distance(name, c);
      if (d < bestDistance || d == bestDistance && best != null && c.compareTo(best) < 0) {
        best = c;
        bestDistance = d;
      }
    }
    return bestDistance <= limit ? Optional.of(best) : Optional.empty();
  }

  /** {@code "; did you mean 'x'?"} or the empty string. */
  public static String hint(String name, Collection<String> candidates) {
    return nearest(name, candidates).map(n -> "; did you mean '" + n + "'?").orElse("");
  }

  // Damerau-style: insertions, deletions, substitutions and adjacent transpositions.
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
