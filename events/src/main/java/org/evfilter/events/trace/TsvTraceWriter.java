package org.evfilter.events.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;

/**
 * Writes TSV traces: {@code # arch nr a0 a1 a2 a3 a4 a5 pid tid ts ret}, {@code -} where the trace
 * does not know a value. Strings (paths) are not kept: use JSON Lines for them.
 */
final class TsvTraceWriter implements TraceWriter {
  static final String HEADER = "# arch\tnr\ta0\ta1\ta2\ta3\ta4\ta5\tpid\ttid\tts\tret";
  private final BufferedWriter out;

  TsvTraceWriter(OutputStream out) throws IOException {
    this.out = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.ISO_8859_1), 1 << 16);
    this.out.write(HEADER);
    this.out.write('\n');
  }

  @Override
  public void write(SyscallEvent e) throws IOException {
    out.write(e.arch().map(Arch::id).orElse("0x" + Long.toHexString(e.auditArch())));
    out.write('\t');
    out.write(Integer.toString(e.nr()));
    for (int i = 0; i < 6; i++) {
      out.write('\t');
      long a = e.arg(i);
      out.write(a == 0 ? "0" : "0x" + Long.toHexString(a));
    }
    // '-' marks what the trace does not know.
    out.write('\t');
    out.write(e.pid() == 0 ? "-" : Integer.toString(e.pid()));
    out.write('\t');
    out.write(e.tid() == 0 ? "-" : Integer.toString(e.tid()));
    out.write('\t');
    out.write(e.timestampNanos() < 0 ? "-" : Long.toString(e.timestampNanos()));
    out.write('\t');
    out.write(e.ret().isPresent() ? Long.toString(e.ret().getAsLong()) : "-");
    out.write('\n');
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
