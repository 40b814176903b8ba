package org.evfilter.compare;

import java.util.List;

/**
 * Times several loops over the same work, interleaved round by round so that drift (frequency,
 * other load) hits them alike: warm-up rounds first, then the measured ones, and per loop the
 * {@link Median} of its measured rounds, in nanoseconds per operation.
 */
final class Rounds {
  /** One loop: does its work {@code operations} times a round, every result into the sink. */
  @FunctionalInterface
  interface Loop {
    void run(Sink sink);
  }

  private Rounds() {}

  /**
   * Nanoseconds per operation of each of {@code loops} (in their order), the median of
   * {@code rounds} measured rounds after {@code warmup} unmeasured ones.
   */
  static double[] nsPerOperation(List<Loop> loops, int warmup, int rounds, long operations) {
    Sink sink = new Sink();
    double[][] ns = new double[loops.size()][rounds];
    for (int round = 0; round < warmup + rounds; round++) {
      for (int l = 0; l < loops.size(); l++) {
        long start = System.nanoTime();
        loops.get(l).run(sink);
        long took = System.nanoTime() - start;
        if (round >= warmup) {
          ns[l][round - warmup] = (double) took / operations;
        }
      }
    }
    double[] medians = new double[loops.size()];
    for (int l = 0; l < loops.size(); l++) {
      medians[l] = Median.of(ns[l]);
    }
    return medians;
  }
}
