package org.evfilter.cli;

import java.io.PrintWriter;

/**
 * The one progress display of the CLI: a line on standard error, rewritten in place, shown only on a
 * terminal. Either a bar over the bytes of a large input ({@link #overBytes}) or the name of the
 * step under way ({@link #ofSteps}); {@link #done} clears it, so that what follows starts on a
 * clean line.
 */
final class ProgressBar {
  /** Inputs smaller than this finish too fast to need a bar. */
  static final long THRESHOLD_BYTES = 8L << 20;

  private final PrintWriter err;
  private final long total;
  private final boolean shown;
  private final String prefix;

  private ProgressBar(PrintWriter err, long totalBytes, boolean shown, String prefix) {
    this.err = err;
    this.total = totalBytes;
    this.shown = shown && System.console() != null;
    this.prefix = prefix;
  }

  /** A bar for reading {@code totalBytes} (negative when unknown: no bar). */
  static ProgressBar overBytes(PrintWriter err, long totalBytes) {
    return new ProgressBar(err, totalBytes, totalBytes > THRESHOLD_BYTES, "");
  }

  /** A line naming each step of a long run, after {@code prefix} (e.g. the command). */
  static ProgressBar ofSteps(PrintWriter err, String prefix) {
    return new ProgressBar(err, -1, true, prefix);
  }

  void update(long bytes, long events) {
    int pct = (int) Math.min(100, bytes * 100 / Math.max(total, 1));
    show("[" + "#".repeat(pct / 4) + " ".repeat(25 - pct / 4) + "] " + pct + "%  " + events + " events");
  }

  void step(String step) {
    show(prefix + step);
  }

  void done() {
    if (shown) {
      err.print("\r\033[K");
      err.flush();
    }
  }

  // '\r' and erase-to-end-of-line: a shorter text does not leave the tail of a longer one.
  private void show(String line) {
    if (shown) {
      err.print("\r\033[K" + line);
      err.flush();
    }
  }
}
