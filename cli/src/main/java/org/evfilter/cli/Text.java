package org.evfilter.cli;

import java.nio.charset.StandardCharsets;

/** Output of kernel text (one char per byte) back to the terminal as the bytes it came from. */
final class Text {
  private Text() {}

  /** Re-reads ISO-8859-1 chars (raw bytes) as UTF-8, so a filter prints as the user typed it. */
  static String latin1(String kernelText) {
    return new String(kernelText.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }
}
