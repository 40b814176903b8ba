package org.evfilter.events.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.syscalls.Arch;

/**
 * Writes TSV traces: {@code # arch nr a0 a1 a2 a3 a4 a5 pid tid ts ret family type protocol addr
 * port path}, {@code -} where the trace does not know a value (an event without an endpoint has
 * {@code -} in its six endpoint columns). Strings (paths) are not kept: use JSON Lines for them.
 */
final class TsvTraceWriter implements TraceWriter {
  static final String HEADER = "# arch\tnr\ta0\ta1\ta2\ta3\ta4\ta5\tpid\ttid\tts\tret\tfamily\ttype\tprotocol\taddr\tport\tpath";
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
    if (e.endpoint().isEmpty()) {
      out.write("\t-\t-\t-\t-\t-\t-\n");
      return;
    }
    Endpoint a = e.endpoint().get();
    out.write('\t');
    out.write(Integer.toString(a.family()));
    out.write('\t');
    out.write(Integer.toString(a.type()));
    out.write('\t');
    out.write(Integer.toString(a.protocol()));
    out.write('\t');
    out.write(a.address().map(Object::toString).orElse("-"));
    out.write('\t');
    out.write(Integer.toString(a.port()));
    out.write('\t');
    out.write(a.path().map(TsvTraceWriter::escape).orElse("-"));
    out.write('\n');
  }

  // A path as one cell: the bytes that would split it or read as '-' become \xNN (TsvTraceReader.unescape).
  static String escape(String path) {
    StringBuilder s = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      boolean lone = c == '-' && path.length() == 1;
      if (c <= ' ' || c == '\\' || c == 0x7f || lone) {
        s.append(String.format("\\x%02x", (int) c));
      } else {
        s.append(c);
      }
    }
    return s.toString();
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
