package org.evfilter.lsm.bpf;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One named, semantics-preserving rewrite of a lowering step (the optimiser's of a program, the
 * compiler's of a range's decision); {@code apply} returns its input when it changes nothing.
 */
public record Pass<T>(String name, UnaryOperator<T> apply) {
  /** Runs {@code passes} in order, round after round, until a round changes nothing or {@code rounds} have run. */
  public static <T> T fixedPoint(T start, List<Pass<T>> passes, int rounds) {
    T p = start;
    for (int round = 0; round < rounds; round++) {
      T before = p;
      for (Pass<T> pass : passes) {
        p = pass.apply.apply(p);
      }
      if (p.equals(before)) {
        break;
      }
    }
    return p;
  }
}
