package org.evfilter.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Standard output handed to writers that close what they write to: it must outlive them. */
final class StandardStreams {
  private StandardStreams() {}

  /** {@code System.out}, flushed but not closed by {@code close()}. */
  static OutputStream out() {
    return new FilterOutputStream(System.out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }
}
