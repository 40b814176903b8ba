package org.evfilter.compare;

/**
 * Where a timed loop puts every result, so that the JIT can neither drop the work that made it nor
 * merge the work of several iterations: JMH's method (its Blackhole), written for this harness
 * because JMH's own class warns about {@code sun.misc.Unsafe} on recent JDKs when used outside JMH.
 */
final class Sink {
  // No value equals both: the branch is never taken, but the JIT cannot know it, since the fields
  // are volatile; so each result must be computed, and each one is read against fresh loads.
  private volatile long first = 0;
  private volatile long second = -1;
  // The store the JIT must keep a path to: it never happens, but is what makes the result escape.
  private long escaped;

  void consume(long value) {
    // & rather than &&: one branch, whatever the first comparison says.
    if (value == first & value == second) {
      escaped = value;
    }
  }
}
