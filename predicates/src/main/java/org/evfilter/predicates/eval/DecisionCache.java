package org.evfilter.predicates.eval;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import java.util.Arrays;
import org.evfilter.predicates.BoundPolicy;

/**
 * The AVC of the event-filter design: decisions cached by (policy identity and sequence number,
 * the event's projection onto exactly the fields the policy's rules for its syscall read). Reloading
 * a policy ({@link #load}) bumps the sequence number, so a decision made under an older policy is
 * never served again, even one computed by a lookup that was in flight during the reload.
 */
public final class DecisionCache {
  private final Cache<Key, BoundPolicy.Verdict> cache;
  private volatile Generation current;

  private record Generation(PolicyEngine engine, long sequence) {}

  /** A cache of at most {@code maximumSize} decisions for {@code engine}. */
  public DecisionCache(PolicyEngine engine, long maximumSize) {
    if (maximumSize <= 0) {
      throw new IllegalArgumentException("the cache needs room for at least one decision");
    }
    // Its upkeep (evictions) done by the deciding thread: the common pool's would wake another
    // thread, on the CPU the supervised task is waiting for, at every miss.
    this.cache = Caffeine.newBuilder().maximumSize(maximumSize).executor(Runnable::run).recordStats().build();
    this.current = new Generation(engine, 0);
  }

  /** Replaces the policy; decisions of the old one are never served again. */
  public synchronized void load(PolicyEngine engine) {
    current = new Generation(engine, current.sequence + 1);
  }

  public PolicyEngine engine() {
    return current.engine;
  }

  /** The policy's sequence number: how many times it was reloaded. */
  public long sequence() {
    return current.sequence;
  }

  /** A decision, and whether the cache had it. */
  public record Outcome(BoundPolicy.Verdict verdict, boolean cached) {}

  /** Decides the event in {@code view}: from the cache, or by evaluating and caching. */
  public BoundPolicy.Verdict decide(SeccompView view, CompiledFilter.Counter counter) {
    return outcome(view, counter).verdict();
  }

  /** As {@link #decide}, saying whether the cache answered. */
  public Outcome outcome(SeccompView view, CompiledFilter.Counter counter) {
    Generation g = current;
    int nr = (int) view.number(SeccompView.NR);
    int[] slots = g.engine.slots(nr);
    long[] numbers = new long[slots.length];
    String[] texts = null;
    for (int i = 0; i < slots.length; i++) {
      numbers[i] = view.number(slots[i]);
      String t = view.text(slots[i]);
      if (t != null) {
        if (texts == null) {
          texts = new String[slots.length];
        }
        texts[i] = t;
      }
    }
    Key key = new Key(System.identityHashCode(g.engine), g.sequence, numbers, texts);
    BoundPolicy.Verdict cached = cache.getIfPresent(key);
    if (cached != null) {
      counter.events++;
      return new Outcome(cached, true);
    }
    BoundPolicy.Verdict v = g.engine.decide(view, counter);
    cache.put(key, v);
    return new Outcome(v, false);
  }

  /** The statistics so far. */
  public AvcStats stats() {
    CacheStats s = cache.stats();
    return new AvcStats(s.requestCount(), s.hitCount(), s.missCount(), s.evictionCount());
  }

  /** Drops every decision (statistics are kept). */
  public void flush() {
    cache.invalidateAll();
  }

  private static final class Key {
    private final int policy;
    private final long sequence;
    private final long[] numbers;
    private final String[] texts;
    private final int hash;

    Key(int policy, long sequence, long[] numbers, String[] texts) {
      this.policy = policy;
      this.sequence = sequence;
      this.numbers = numbers;
      this.texts = texts;
      // No boxing: this runs on every lookup.
      int h = 31 * policy + Long.hashCode(sequence);
      h = 31 * h + Arrays.hashCode(numbers);
      this.hash = 31 * h + (texts == null ? 0 : Arrays.hashCode(texts));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.policy == policy && k.sequence == sequence
          && Arrays.equals(k.numbers, numbers) && Arrays.equals(k.texts, texts);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
