package org.evfilter.lsm.compile;

import java.util.ArrayList;
import java.util.List;
import org.evfilter.lsm.bpf.Pass;

/**
 * What one range of syscall numbers decides: rules in order, each a seccomp return value and the
 * condition it answers under, then the fallback when none holds. Simplified by small pure passes
 * run to a fixed point, as the optimiser's are; each keeps the answer for every input.
 */
record Ladder(List<Rung> rungs, int fallback) {
  Ladder {
    rungs = List.copyOf(rungs);
  }

  /** A rule specialised to the range: {@code action} when {@code condition} holds. */
  record Rung(int action, Condition condition) {}

  /** The passes, in the order each round runs them. */
  static final List<Pass<Ladder>> PASSES = List.of(
      new Pass<>("drop-never", Ladder::dropNever),
      new Pass<>("cut-at-true", Ladder::cutAtTrue),
      new Pass<>("merge-neighbours", Ladder::mergeNeighbours),
      new Pass<>("drop-trailing-fallback", Ladder::dropTrailingFallback));

  // Each pass only shortens the ladder: a round that changes nothing ends it long before this.
  private static final int ROUNDS = 64;

  /** Runs every pass until none changes the ladder. */
  Ladder simplified() {
    return Pass.fixedPoint(this, PASSES, ROUNDS);
  }

  /** A rule whose condition never holds in the range answers nothing. */
  static Ladder dropNever(Ladder l) {
    List<Rung> rungs = l.rungs.stream().filter(r -> !r.condition.equals(Condition.FALSE)).toList();
    return rungs.size() == l.rungs.size() ? l : new Ladder(rungs, l.fallback);
  }

  /** A rule that always holds decides: its action becomes the fallback, the rules after it are never reached. */
  static Ladder cutAtTrue(Ladder l) {
    for (int i = 0; i < l.rungs.size(); i++) {
      Rung r = l.rungs.get(i);
      if (r.condition.equals(Condition.TRUE)) {
        return new Ladder(l.rungs.subList(0, i), r.action);
      }
    }
    return l;
  }

  /** Neighbouring rules with one action are one rule: their conditions join, so their comparisons can merge. */
  static Ladder mergeNeighbours(Ladder l) {
    List<Rung> rungs = new ArrayList<>(l.rungs);
    for (int i = rungs.size() - 1; i > 0; i--) {
      Rung a = rungs.get(i - 1);
      Rung b = rungs.get(i);
      if (a.action == b.action) {
        Condition any = Condition.specialise(new Condition.Any(List.of(a.condition, b.condition)), t -> null);
        rungs.set(i - 1, new Rung(a.action, any));
        rungs.remove(i);
      }
    }
    return rungs.size() == l.rungs.size() ? l : new Ladder(rungs, l.fallback);
  }

  /** A last rule with the fallback's action decides nothing. */
  static Ladder dropTrailingFallback(Ladder l) {
    int n = l.rungs.size();
    while (n > 0 && l.rungs.get(n - 1).action == l.fallback) {
      n--;
    }
    return n == l.rungs.size() ? l : new Ladder(l.rungs.subList(0, n), l.fallback);
  }
}
