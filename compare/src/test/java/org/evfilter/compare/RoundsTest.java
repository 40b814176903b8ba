package org.evfilter.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Interleaved timed rounds: the order the loops run in, and figures that follow the work done. */
class RoundsTest {
  @Test
  void theLoopsRunInTurnEveryRoundWarmUpIncluded() {
    List<String> order = new ArrayList<>();
    Rounds.nsPerOperation(List.of(s -> order.add("a"), s -> order.add("b")), 1, 2, 1);
    assertEquals(List.of("a", "b", "a", "b", "a", "b"), order);
  }

  @Test
  void aLoopThatDoesMoreWorkPerOperationMeasuresMore() {
    Rounds.Loop light = sink -> spin(sink, 1_000);
    Rounds.Loop heavy = sink -> spin(sink, 100_000);
    double[] ns = Rounds.nsPerOperation(List.of(light, heavy), 2, 5, 10);
    assertTrue(ns[0] > 0, () -> "light: " + ns[0]);
    assertTrue(ns[1] > 10 * ns[0], () -> "light " + ns[0] + " ns, heavy " + ns[1] + " ns per operation");
  }

  // A dependent chain (each step needs the previous one), every step consumed.
  private static void spin(Sink sink, int steps) {
    long x = 1;
    for (int i = 0; i < steps; i++) {
      x = x * 6364136223846793005L + 1442695040888963407L;
      sink.consume(x);
    }
  }
}
