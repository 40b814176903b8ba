package org.evfilter.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness's one median: the middle value, or the mean of the two middle ones. */
class MedianTest {
  @Test
  void anOddNumberOfRoundsGivesTheMiddleOneWhateverTheOrder() {
    assertEquals(3.0, Median.of(new double[] {9, 1, 3, 7, 2}));
    assertEquals(3.0, Median.of(List.of(9.0, 1.0, 3.0, 7.0, 2.0)));
  }

  @Test
  void anEvenNumberOfRoundsGivesTheMeanOfTheTwoMiddleOnes() {
    assertEquals(2.5, Median.of(new double[] {4, 1, 2, 3}));
    assertEquals(10.0, Median.of(List.of(10.0, 10.0)));
  }

  @Test
  void oneRoundIsItsOwnMedian() {
    assertEquals(42.5, Median.of(List.of(42.5)));
  }

  @Test
  void theValuesAreLeftInTheirOrder() {
    double[] v = {5, 1, 3};
    Median.of(v);
    assertArrayEquals(new double[] {5, 1, 3}, v);
  }

  @Test
  void noValuesHaveNoMedian() {
    assertThrows(IllegalArgumentException.class, () -> Median.of(List.of()));
  }
}
