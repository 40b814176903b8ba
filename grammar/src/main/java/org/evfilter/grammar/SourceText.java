package org.evfilter.grammar;

import java.util.Arrays;
import java.util.Objects;

/**
 * A filter or policy source: its name, its text as the kernel sees it (one char per byte,
 * ISO-8859-1) and its line starts, to turn offsets into 1-based line:column and caret lines.
 */
public final class SourceText {
  private final String name;
  private final String text;
  private final int[] lineStarts;

  public SourceText(String name, String text) {
    this.name = Objects.requireNonNull(name, "name");
    this.text = Objects.requireNonNull(text, "text");
    int[] starts = new int[16];
    int n = 0;
    starts[n++] = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        if (n == starts.length) {
          starts = Arrays.copyOf(starts, n * 2);
        }
        starts[n++] = i + 1;
      }
    }
    this.lineStarts = Arrays.copyOf(starts, n);
  }

  /** Where the text came from: a file name, {@code <filter>} (an argument), {@code <stdin>:LINE}. */
  public String name() {
    return name;
  }

  public String text() {
    return text;
  }

  /** 1-based line of an offset. */
  public int line(int offset) {
    int i = Arrays.binarySearch(lineStarts, Math.min(offset, text.length()));
    return i >= 0 ? i + 1 : -i - 1;
  }

  /** 1-based column of an offset. */
  public int column(int offset) {
    return Math.min(offset, text.length()) - lineStarts[line(offset) - 1] + 1;
  }

  /** {@code NAME:LINE:COL: MESSAGE}. */
  public String describe(FilterError error) {
    int at = clamp(error.offset());
    return name + ":" + line(at) + ":" + column(at) + ": " + error.message();
  }

  /** The message, then the source line and a caret under the error. */
  public String render(FilterError error) {
    int at = clamp(error.offset());
    int line = line(at);
    int start = lineStarts[line - 1];
    int end = text.indexOf('\n', start);
    int stop = end < 0 ? text.length() : end;
    // A very long line is shown around the caret, so the caret stays on the screen.
    String before = "";
    String after = "";
    if (stop - start > WIDE) {
      int from = Math.max(start, at - WIDE / 2);
      int to = Math.min(stop, from + WIDE);
      before = from > start ? "..." : "";
      after = to < stop ? "..." : "";
      start = from;
      stop = to;
    }
    String src = before + text.substring(start, stop) + after;
    StringBuilder caret = new StringBuilder(" ".repeat(before.length()));
    for (int i = start; i < at; i++) {
      caret.append(text.charAt(i) == '\t' ? '\t' : ' ');
    }
    return describe(error) + "\n" + src + "\n" + caret + "^";
  }

  private static final int WIDE = 160;

  // The kernel clamps its caret to just past the last character; so do we, for every source.
  private int clamp(int offset) {
    return Math.min(offset, text.length());
  }
}
