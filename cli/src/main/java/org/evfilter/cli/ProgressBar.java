package org.evfilter.cli;

import java.io.PrintWriter;

/** A one-line progress bar on standard error, shown only on a terminal and for large inputs. */
final class ProgressBar {
  /** Inputs smaller than this finish too fast to need one. */
  static final long THRESHOLD_BYTES = 8L << 20;

  private final PrintWriter err;
  private final long total;
  private final boolean shown;

  ProgressBar(PrintWriter err, long totalBytes) {
    this.err = err;
    this.total = totalBytes;
    this.shown = totalBytes > THRESHOLD_BYTES && System.console() != null;
  }

  void update(long bytes, long events) {
    if (!shown) {
      return;
    }
    int pct = (int) Math.min(100, bytes * 100 / total);
    err.print("\r[" + "#".repeat(pct / 4) + " ".repeat(25 - pct / 4) + "] " + pct + "%  " + events + " events");
    err.flush();
  }

  void done() {
    if (shown) {
      err.print("\r" + " ".repeat(60) + "\r");
      err.flush();
    }
  }
}
