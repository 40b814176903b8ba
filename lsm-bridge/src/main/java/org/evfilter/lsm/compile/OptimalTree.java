package org.evfilter.lsm.compile;

/**
 * The comparison tree over weighted segments with the least expected depth (the sum of weight ×
 * comparisons to reach each segment) among trees at most {@code depth} deep: the classic dynamic
 * program over intervals, with the depth bound as a third dimension so the worst path never grows
 * past a balanced tree's.
 */
final class OptimalTree {
  private static final long INFEASIBLE = Long.MAX_VALUE / 4;

  private OptimalTree() {}

  /**
   * {@code splits[d][i][j]}: where the best tree of depth at most {@code d} over segments {@code
   * i..j} splits (the first segment of its right side); null when no tree of that depth puts
   * every segment i at most {@code depth - slack[i]} deep.
   */
  static int[][][] splits(long[] prefix, int depth, int[] slack) {
    Search s = search(prefix, depth, slack);
    return s.cost < INFEASIBLE ? s.split : null;
  }

  private record Search(int[][][] split, long cost) {}

  private static Search search(long[] prefix, int depth, int[] slack) {
    int n = prefix.length - 1;
    long[][][] cost = new long[depth + 1][n][n];
    int[][][] split = new int[depth + 1][n][n];
    for (int d = 0; d <= depth; d++) {
      for (int len = 1; len <= n; len++) {
        for (int i = 0; i + len - 1 < n; i++) {
          int j = i + len - 1;
          if (len == 1) {
            // A segment whose own code is long must be reached early.
            cost[d][i][j] = d >= slack[i] ? 0 : INFEASIBLE;
            continue;
          }
          if (d == 0 || len > (1L << Math.min(d, 62))) {
            cost[d][i][j] = INFEASIBLE;
            continue;
          }
          long best = INFEASIBLE;
          int at = -1;
          for (int k = i + 1; k <= j; k++) {
            long c = cost[d - 1][i][k - 1] + cost[d - 1][k][j];
            if (c >= INFEASIBLE) {
              continue;
            }
            if (c < best) {
              best = c;
              at = k;
            }
          }
          cost[d][i][j] = best >= INFEASIBLE ? INFEASIBLE : best + prefix[j + 1] - prefix[i];
          split[d][i][j] = at;
        }
      }
    }
    return new Search(split, cost[depth][0][n - 1]);
  }
}
