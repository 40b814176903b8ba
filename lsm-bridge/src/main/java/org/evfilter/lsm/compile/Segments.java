package org.evfilter.lsm.compile;

import java.util.ArrayList;
import java.util.List;
import org.evfilter.lsm.bpf.Assembler.Label;

/**
 * A partition of the values {@code [start(0), domainMax]} of a 32-bit word into consecutive
 * segments, each with the label to go to; adjacent segments never share a label.
 */
final class Segments {
  private final long[] starts;
  private final Label[] leaves;
  private final long domainMax;

  private Segments(long[] starts, Label[] leaves, long domainMax) {
    this.starts = starts;
    this.leaves = leaves;
    this.domainMax = domainMax;
  }

  /** Values in {@code set} go to {@code t}, the others to {@code f}, over {@code [from, domainMax]}. */
  static Segments of(IntervalSet set, long from, long domainMax, Label t, Label f) {
    List<Long> starts = new ArrayList<>();
    List<Label> leaves = new ArrayList<>();
    long pos = from;
    for (int i = 0; i < set.size() && pos <= domainMax; i++) {
      long a = Math.max(set.lo(i), pos);
      long b = Math.min(set.hi(i), domainMax);
      if (a > b) {
        continue;
      }
      if (a > pos) {
        starts.add(pos);
        leaves.add(f);
      }
      starts.add(a);
      leaves.add(t);
      pos = b + 1;
    }
    if (pos <= domainMax) {
      starts.add(pos);
      leaves.add(f);
    }
    return merged(starts, leaves, domainMax);
  }

  /** Segments from their starts over the whole 32-bit word, adjacent equal leaves merged. */
  static Segments merged(List<Long> starts, List<Label> leaves) {
    return merged(starts, leaves, 0xffffffffL);
  }

  static Segments merged(List<Long> starts, List<Label> leaves, long domainMax) {
    List<Long> s = new ArrayList<>();
    List<Label> l = new ArrayList<>();
    for (int i = 0; i < starts.size(); i++) {
      if (l.isEmpty() || l.get(l.size() - 1) != leaves.get(i)) {
        s.add(starts.get(i));
        l.add(leaves.get(i));
      }
    }
    return new Segments(s.stream().mapToLong(Long::longValue).toArray(), l.toArray(new Label[0]), domainMax);
  }

  int size() {
    return starts.length;
  }

  long start(int i) {
    return starts[i];
  }

  long end(int i) {
    return i + 1 < starts.length ? starts[i + 1] - 1 : domainMax;
  }

  Label leaf(int i) {
    return leaves[i];
  }

  boolean isPoint(int i) {
    return start(i) == end(i);
  }
}
