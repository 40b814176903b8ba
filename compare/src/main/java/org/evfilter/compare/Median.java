package org.evfilter.compare;

import java.util.Arrays;
import java.util.List;

/**
 * The harness's one median, used for every figure it reports (ns per event, ns per call, ms per
 * command): the middle of the sorted values, or the mean of the two middle ones when there is an
 * even number of them.
 */
public final class Median {
  private Median() {}

  /** The median of {@code values}, which must not be empty. */
  public static double of(List<Double> values) {
    return of(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** The median of {@code values}, which must not be empty; the array is not changed. */
  public static double of(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("the median of no values");
    }
    double[] s = values.clone();
    Arrays.sort(s);
    int mid = s.length / 2;
    return s.length % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  }
}
