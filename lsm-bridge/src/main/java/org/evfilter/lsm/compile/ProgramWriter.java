package org.evfilter.lsm.compile;

import static org.evfilter.lsm.bpf.Opcodes.*;

import java.util.ArrayList;
import java.util.List;
import org.evfilter.lsm.bpf.Assembler;
import org.evfilter.lsm.bpf.Assembler.Label;

/**
 * Emits conditions and value dispatches into an {@link Assembler}. Every piece of code ends in a
 * jump to one of the labels it is given (true, false, undecidable in BPF), so pieces compose and
 * all jumps go forward. Loads are emitted at each test; the optimiser removes the redundant ones.
 */
final class ProgramWriter {
  private final Assembler asm;
  private boolean deferredUsed;

  ProgramWriter(Assembler asm) {
    this.asm = asm;
  }

  Assembler assembler() {
    return asm;
  }

  /** Whether some code jumps to the undecidable label. */
  boolean deferredUsed() {
    return deferredUsed;
  }

  /**
   * Code that goes to {@code t} when {@code c} holds, {@code f} when it does not, {@code u} when
   * the answer depends on what only user space knows: Kleene's three-valued logic, so a deferred
   * atom defers only when the rest of the condition does not decide without it.
   */
  void condition(Condition c, Label t, Label f, Label u) {
    if (c instanceof Condition.Constant k) {
      asm.ja(k.value() ? t : f);
    } else if (c instanceof Condition.Deferred) {
      deferredUsed = true;
      asm.ja(u);
    } else if (c instanceof Condition.Not n) {
      condition(n.operand(), f, t, u);
    } else if (c instanceof Condition.All a) {
      junction(a.operands(), 0, true, t, f, u);
    } else if (c instanceof Condition.Any a) {
      junction(a.operands(), 0, false, t, f, u);
    } else if (c instanceof Condition.Compare cmp) {
      compare(cmp, t, f);
    } else {
      anyBit((Condition.AnyBit) c, t, f);
    }
  }

  // All (conjunction) or any: each operand either decides the whole (false for all, true for any)
  // or passes on to the next. Once an operand was unknown the rest runs in a second chain where it
  // can only decide the other way (false for all) or leave it unknown; each operand appears once in
  // each chain, so the code grows linearly with the operands.
  private void junction(List<Condition> ops, int i, boolean conjunction, Label t, Label f, Label u) {
    int n = ops.size();
    Label decides = conjunction ? f : t;
    // Where "the rest holds" leads once something was unknown: nowhere new when that is u already.
    boolean second = (conjunction ? t : f) != u;
    Label[] known = new Label[n];
    Label[] unknown = new Label[n];
    for (int k = i + 1; k < n; k++) {
      known[k] = asm.label();
      unknown[k] = second ? asm.label() : known[k];
    }
    int firstUnknown = n;
    for (int k = i; k < n; k++) {
      if (k > i) {
        asm.bind(known[k]);
      }
      boolean last = k == n - 1;
      Label passes = last ? (conjunction ? t : f) : known[k + 1];
      Label unsure = last ? u : unknown[k + 1];
      if (!last && second && ops.get(k).defers()) {
        firstUnknown = Math.min(firstUnknown, k + 1);
      }
      condition(ops.get(k), conjunction ? passes : decides, conjunction ? decides : passes, unsure);
    }
    if (!second) {
      return;
    }
    for (int k = firstUnknown; k < n; k++) {
      asm.bind(unknown[k]);
      Label rest = k == n - 1 ? u : unknown[k + 1];
      condition(ops.get(k), conjunction ? rest : decides, conjunction ? decides : rest, rest);
    }
  }

  private void anyBit(Condition.AnyBit b, Label t, Label f) {
    int hi = (int) (b.bits() >>> 32);
    int lo = (int) b.bits();
    if (b.bytes() == 8 && hi != 0) {
      Label next = lo == 0 ? f : asm.label();
      asm.stmt(LD | W | ABS, b.offset() + 4);
      asm.jump(JMP | JSET | K, hi, t, next);
      if (lo == 0) {
        return;
      }
      asm.bind(next);
    }
    asm.stmt(LD | W | ABS, b.offset());
    asm.jump(JMP | JSET | K, lo, t, f);
  }

  private void compare(Condition.Compare c, Label t, Label f) {
    if (c.bytes() <= 4) {
      word(c.offset(), c.mask() & 0xffffffffL, c.set(), t, f);
      return;
    }
    // 64 bits: a dispatch on the high word whose leaves are true, false or a test of the low word.
    long hiDomain = c.mask() >>> 32;
    long loDomain = c.mask() & 0xffffffffL;
    List<Object> outcomes = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    HighWords.split(c.set(), hiDomain, loDomain, starts, outcomes);
    List<Label> leaves = new ArrayList<>();
    List<IntervalSet> lowSets = new ArrayList<>();
    List<Label> lowLabels = new ArrayList<>();
    for (Object o : outcomes) {
      if (o instanceof Boolean b) {
        leaves.add(b ? t : f);
      } else {
        int at = lowSets.indexOf(o);
        if (at < 0) {
          lowSets.add((IntervalSet) o);
          lowLabels.add(asm.label());
          at = lowSets.size() - 1;
        }
        leaves.add(lowLabels.get(at));
      }
    }
    Segments high = Segments.merged(starts, leaves);
    if (high.size() > 1 || lowSets.isEmpty()) {
      dispatch(c.offset() + 4, (int) hiDomain, high, null, Integer.MAX_VALUE);
    } else {
      // One outcome for every high word: no need to load it.
      asm.ja(high.leaf(0));
    }
    for (int i = 0; i < lowSets.size(); i++) {
      asm.bind(lowLabels.get(i));
      word(c.offset(), loDomain, lowSets.get(i), t, f);
    }
  }

  // (word & domain) in set: a bit test when the set is "no bit of the mask" or "some bit", else a
  // dispatch over the set's segments.
  private void word(int offset, long domain, IntervalSet set, Label t, Label f) {
    Boolean zero = set.covers(0, 0);
    Boolean rest = domain == 0 ? null : set.covers(1, domain);
    if (zero != null && rest != null && zero != rest) {
      asm.stmt(LD | W | ABS, offset);
      asm.jump(JMP | JSET | K, (int) domain, rest ? t : f, rest ? f : t);
      return;
    }
    if (subsetTest(offset, domain, set, t, f)) {
      return;
    }
    dispatch(offset, (int) domain, Segments.of(set, 0, domain, t, f), null, Integer.MAX_VALUE);
  }

  // A set of single values that holds every combination of a few flag bits (personality's 0, 8,
  // 0x20000, 0x20008), plus at most two other values: "no bit outside the flags" is one JSET.
  private boolean subsetTest(int offset, long domain, IntervalSet set, Label t, Label f) {
    if (set.size() > 18) {
      return false;
    }
    List<Long> points = new ArrayList<>();
    for (int i = 0; i < set.size(); i++) {
      if (set.lo(i) != set.hi(i) || set.lo(i) > domain) {
        return false;
      }
      points.add(set.lo(i));
    }
    long flags = 0;
    for (long p : points) {
      if (Long.bitCount(p) <= 4) {
        flags |= p;
      }
    }
    int bits = Long.bitCount(flags);
    if (bits == 0 || bits > 4 || (flags & ~domain) != 0) {
      return false;
    }
    List<Long> extras = new ArrayList<>(points);
    for (long sub = flags; ; sub = (sub - 1) & flags) {
      if (!extras.remove((Long) sub)) {
        return false;
      }
      if (sub == 0) {
        break;
      }
    }
    if (extras.size() > 2 || points.size() < 3) {
      return false;
    }
    asm.stmt(LD | W | ABS, offset);
    if (!extras.isEmpty() && domain != 0xffffffffL) {
      // The extra values are compared whole: only the masked bits may count.
      asm.stmt(ALU | AND | K, (int) domain);
    }
    for (long e : extras) {
      Label next = asm.label();
      asm.jump(JMP | JEQ | K, (int) e, t, next);
      asm.bind(next);
    }
    asm.jump(JMP | JSET | K, (int) (domain & ~flags), f, t);
    return true;
  }

  /**
   * Loads the word at {@code offset}, masks it ({@code mask} -1: no mask) and jumps to the leaf of
   * the segment holding its value, by a tree of comparisons at most {@code maxDepth} deep that puts
   * heavy segments ({@code weights}, null: all equal) near the root. Returns the tree's depth.
   */
  int dispatch(int offset, int mask, Segments s, long[] weights, int maxDepth) {
    return dispatch(offset, mask, s, weights, maxDepth, null);
  }

  /**
   * As above; {@code slack[i]}, when given, is how many comparisons shallower than the deepest
   * leaf segment i must sit because its own code is longer, so every path is at most as long as
   * the deepest tree path plus one instruction.
   */
  int dispatch(int offset, int mask, Segments s, long[] weights, int maxDepth, int[] slack) {
    if (s.size() == 1) {
      asm.ja(s.leaf(0));
      return 0;
    }
    asm.stmt(LD | W | ABS, offset);
    if (mask != -1) {
      asm.stmt(ALU | AND | K, mask);
    }
    int chain = weights == null ? pointChain(s) : 0;
    if (chain > 0) {
      return chain;
    }
    long[] w = weights != null ? weights : new long[s.size()];
    if (weights == null) {
      java.util.Arrays.fill(w, 1);
    }
    long[] prefix = new long[w.length + 1];
    for (int i = 0; i < w.length; i++) {
      prefix[i + 1] = prefix[i] + w[i];
    }
    int depth = weights == null ? ceilLog2(s.size()) : Math.max(ceilLog2(s.size()), Math.min(maxDepth, s.size() - 1));
    int[][][] splits = null;
    if (slack != null && s.size() <= OPTIMAL_TREE_LIMIT) {
      // Long rule code may push the tree a little deeper; past that, it is just long.
      for (int d = depth; d <= depth + 2 && splits == null; d++) {
        splits = OptimalTree.splits(prefix, d, slack);
        depth = splits != null ? d : depth;
      }
      if (splits == null) {
        splits = OptimalTree.splits(prefix, depth, new int[s.size()]);
      }
    }
    return tree(s, prefix, splits, 0, s.size() - 1, depth);
  }

  // Two outcomes, one of them only at a few single values: a chain of equality tests is shorter
  // than a tree (socket's "family not 38 and not 40": two tests, where a tree needs three).
  private int pointChain(Segments s) {
    java.util.Set<Label> leaves = new java.util.LinkedHashSet<>();
    for (int i = 0; i < s.size(); i++) {
      leaves.add(s.leaf(i));
    }
    if (leaves.size() != 2) {
      return 0;
    }
    for (Label rare : leaves) {
      List<Long> points = new ArrayList<>();
      boolean allPoints = true;
      Label other = null;
      for (int i = 0; i < s.size(); i++) {
        if (s.leaf(i) == rare) {
          allPoints &= s.isPoint(i);
          points.add(s.start(i));
        } else {
          other = s.leaf(i);
        }
      }
      if (allPoints && points.size() < ceilLog2(s.size())) {
        for (int i = 0; i < points.size(); i++) {
          Label next = i + 1 < points.size() ? asm.label() : other;
          asm.jump(JMP | JEQ | K, (int) (long) points.get(i), rare, next);
          if (next != other) {
            asm.bind(next);
          }
        }
        return points.size();
      }
    }
    return 0;
  }

  static int ceilLog2(int n) {
    return n <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
  }

  // Beyond this many segments the cubic search for the best weighted tree gives way to greedy splits.
  private static final int OPTIMAL_TREE_LIMIT = 200;

  private int tree(Segments s, long[] prefix, int[][][] splits, int i, int j, int depth) {
    if (j - i == 2 && s.isPoint(i + 1) && s.leaf(i) == s.leaf(j)) {
      asm.jump(JMP | JEQ | K, (int) s.start(i + 1), s.leaf(i + 1), s.leaf(i));
      return 1;
    }
    int k = splits != null ? splits[depth][i][j] : split(prefix, i, j, depth);
    Label right = k == j ? s.leaf(j) : asm.label();
    Label left = k - 1 == i ? s.leaf(i) : asm.label();
    asm.jump(JMP | JGE | K, (int) s.start(k), right, left);
    int d = 0;
    if (k - 1 != i) {
      asm.bind(left);
      d = tree(s, prefix, splits, i, k - 1, depth - 1);
    }
    if (k != j) {
      asm.bind(right);
      d = Math.max(d, tree(s, prefix, splits, k, j, depth - 1));
    }
    return d + 1;
  }

  // The split point k (segments i..k-1 left, k..j right) that balances weight, keeping each side
  // small enough for the depth left.
  private static int split(long[] prefix, int i, int j, int depth) {
    long cap = depth >= 63 ? Long.MAX_VALUE : 1L << Math.max(0, depth - 1);
    int best = -1;
    long bestDiff = Long.MAX_VALUE;
    int mid = (i + j + 1) / 2;
    for (int k = i + 1; k <= j; k++) {
      if (k - i > cap || j - k + 1 > cap) {
        continue;
      }
      long diff = Math.abs((prefix[k] - prefix[i]) - (prefix[j + 1] - prefix[k]));
      if (diff < bestDiff || (diff == bestDiff && Math.abs(k - mid) < Math.abs(best - mid))) {
        best = k;
        bestDiff = diff;
      }
    }
    return best < 0 ? mid : best;
  }

  void ret(int value) {
    asm.ret(value);
  }
}
