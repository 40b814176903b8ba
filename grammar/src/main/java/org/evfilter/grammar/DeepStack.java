package org.evfilter.grammar;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs deeply nested work (parsing a filter nested thousands of levels deep) on a thread whose
 * stack is sized for it, so that the caller's stack size never decides whether a valid filter is
 * accepted.
 */
final class DeepStack {
  /** Nesting up to this depth runs on the caller's thread. */
  static final int INLINE_DEPTH = 64;
  private static final long BYTES_PER_LEVEL = 24 * 1024;

  private DeepStack() {}

  static <T> T call(int depth, Supplier<T> work) {
    if (depth <= INLINE_DEPTH) {
      return work.get();
    }
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(null, () -> {
      try {
        result.set(work.get());
      } catch (RuntimeException | Error e) {
        failure.set(e);
      }
    }, "evfilter-deep-parse", (8L << 20) + depth * BYTES_PER_LEVEL);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while parsing", e);
    }
    Throwable f = failure.get();
    if (f instanceof RuntimeException r) {
      throw r;
    }
    if (f instanceof Error e) {
      throw e;
    }
    return result.get();
  }
}
