package org.evfilter.lsm.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.evfilter.lsm.bpf.Pass;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.bpf.SeccompReturn;
import org.evfilter.lsm.compile.Ladder.Rung;
import org.junit.jupiter.api.Test;

class LadderTest {
  private static final int ALLOW = SeccompReturn.ALLOW;
  private static final int EPERM = SeccompReturn.ERRNO | 1;
  private static final int KILL = SeccompReturn.KILL_PROCESS;
  // fd == 1, fd in 2..3, flags & 4: conditions the passes cannot decide.
  private static final Condition FD_1 = fd(1, 1);
  private static final Condition FD_2_3 = fd(2, 3);
  private static final Condition FLAGS_4 = new Condition.AnyBit(SeccompData.argLow(1), 4, 4);

  private static Condition fd(long lo, long hi) {
    return new Condition.Compare(SeccompData.argLow(0), 4, 0xffffffffL, IntervalSet.unsigned(32, lo, hi));
  }

  private static Ladder ladder(int fallback, Rung... rungs) {
    return new Ladder(List.of(rungs), fallback);
  }

  @Test
  void aRuleThatNeverHoldsIsDropped() {
    Ladder l = ladder(KILL, new Rung(EPERM, FD_1), new Rung(ALLOW, Condition.FALSE), new Rung(ALLOW, FLAGS_4));
    assertEquals(ladder(KILL, new Rung(EPERM, FD_1), new Rung(ALLOW, FLAGS_4)), Ladder.dropNever(l));
  }

  @Test
  void aRuleThatAlwaysHoldsBecomesTheFallbackAndHidesTheRulesAfterIt() {
    Ladder l = ladder(KILL, new Rung(EPERM, FD_1), new Rung(ALLOW, Condition.TRUE), new Rung(EPERM, FLAGS_4));
    assertEquals(ladder(ALLOW, new Rung(EPERM, FD_1)), Ladder.cutAtTrue(l));
  }

  @Test
  void neighboursWithOneActionJoinAndTheirComparisonsOfOneWordMerge() {
    Ladder l = ladder(KILL, new Rung(EPERM, FD_1), new Rung(EPERM, FD_2_3), new Rung(ALLOW, FLAGS_4), new Rung(EPERM, FLAGS_4));
    assertEquals(ladder(KILL, new Rung(EPERM, fd(1, 3)), new Rung(ALLOW, FLAGS_4), new Rung(EPERM, FLAGS_4)),
        Ladder.mergeNeighbours(l), "only neighbours: the last EPERM is after an ALLOW that may hold first");
  }

  @Test
  void trailingRulesWithTheFallbacksActionAreDropped() {
    Ladder l = ladder(ALLOW, new Rung(ALLOW, FD_1), new Rung(EPERM, FD_2_3), new Rung(ALLOW, FLAGS_4), new Rung(ALLOW, FD_1));
    assertEquals(ladder(ALLOW, new Rung(ALLOW, FD_1), new Rung(EPERM, FD_2_3)), Ladder.dropTrailingFallback(l),
        "the first ALLOW stays: it answers before the EPERM");
  }

  @Test
  void aPassThatChangesNothingReturnsItsInput() {
    Ladder l = ladder(KILL, new Rung(EPERM, FD_1), new Rung(ALLOW, FLAGS_4));
    for (Pass<Ladder> p : Ladder.PASSES) {
      assertSame(l, p.apply().apply(l), p.name());
    }
  }

  @Test
  void passesRunToAFixedPoint() {
    // fd == 1 || fd != 1 merges to TRUE, which then becomes the fallback, which the last rule repeats.
    Condition notFd1 = Condition.specialise(new Condition.Not(FD_1), t -> null);
    Ladder l = ladder(KILL, new Rung(EPERM, Condition.FALSE), new Rung(ALLOW, FD_1), new Rung(ALLOW, notFd1),
        new Rung(EPERM, FLAGS_4));
    assertEquals(ladder(ALLOW), l.simplified());
    Ladder kept = ladder(KILL, new Rung(EPERM, FD_1), new Rung(ALLOW, FLAGS_4), new Rung(KILL, FD_2_3));
    assertEquals(ladder(KILL, new Rung(EPERM, FD_1), new Rung(ALLOW, FLAGS_4)), kept.simplified());
  }
}
