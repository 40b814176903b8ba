package org.evfilter.cli;

import java.nio.charset.StandardCharsets;

/** Kernel text (one char per byte) shown to a person: as the UTF-8 it was typed in, safely. */
final class Text {
  private Text() {}

  /**
   * The bytes of {@code kernelText} decoded as UTF-8, with control characters other than newline
   * and tab shown as {@code \\xNN}, so that a file of garbage cannot drive the terminal.
   */
  static String display(String kernelText) {
    String s = new String(kernelText.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
