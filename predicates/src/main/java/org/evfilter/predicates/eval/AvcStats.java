package org.evfilter.predicates.eval;

/**
 * Decision-cache statistics as SELinux's AVC reports them: lookups, hits, misses, evictions. An
 * immutable snapshot; {@link #minus} gives the activity between two snapshots.
 */
public record AvcStats(long lookups, long hits, long misses, long evictions) {
  public static final AvcStats EMPTY = new AvcStats(0, 0, 0, 0);

  public AvcStats minus(AvcStats earlier) {
    return new AvcStats(lookups - earlier.lookups, hits - earlier.hits, misses - earlier.misses, evictions - earlier.evictions);
  }

  public AvcStats plus(AvcStats other) {
    return new AvcStats(lookups + other.lookups, hits + other.hits, misses + other.misses, evictions + other.evictions);
  }

  /** hits / lookups, 0 when there were none. */
  public double hitRate() {
    return lookups == 0 ? 0 : (double) hits / lookups;
  }
}
