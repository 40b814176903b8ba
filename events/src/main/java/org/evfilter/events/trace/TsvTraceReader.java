package org.evfilter.events.trace;

import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;

/**
 * TSV traces: an optional header {@code # [arch] nr a0 a1 a2 a3 a4 a5 [pid tid ts ret ip] [family
 * type protocol addr port path]} naming the columns (default {@code nr a0..a5}), then one event per
 * line, tab- or space-separated, decimal or 0x-hex ({@code -} for an unknown pid, tid, ts, ret or
 * ip). {@code arch} is a name ({@code x86_64}) or an AUDIT_ARCH value. The endpoint columns hold the
 * socket and address of connect, bind, sendto and sendmsg ({@link Endpoint}): {@code family},
 * {@code type}, {@code protocol} as numbers or names ({@code AF_INET6}), {@code addr} an IP address,
 * {@code port} a number, {@code path} a unix socket path with {@code \xNN} for its bytes at or
 * below a space, {@code \} and DEL; {@code -} where the event has none (an event with no endpoint
 * has {@code -} in all of them; the family otherwise follows from {@code addr} or {@code path}). A
 * {@code #} line is the header only when every word of it is a column name, {@code nr} among them;
 * any other is a comment.
 */
final class TsvTraceReader extends LineTraceReader {
  private static final List<String> KNOWN = List.of(
      "arch", "nr", "a0", "a1", "a2", "a3", "a4", "a5", "pid", "tid", "ts", "ret", "ip",
      "family", "type", "protocol", "addr", "port", "path");
  /** The columns that may hold {@code -}: what the trace does not know. */
  private static final List<String> OPTIONAL = List.of("pid", "tid", "ts", "ret", "ip",
      "family", "type", "protocol", "addr", "port", "path");
  private String[] columns = {"nr", "a0", "a1", "a2", "a3", "a4", "a5"};
  private boolean sawData;
  private boolean headed;
  // A comment that named columns among other words: said with a data line that does not fit, as a
  // misspelt header would otherwise go unnoticed.
  private String almostHeader;

  TsvTraceReader(InputStream in) {
    super(in);
  }

  /** The columns a {@code #} line's text names, if it is a header. */
  static Optional<String[]> header(String text) {
    String[] words = text.strip().split("\\s+");
    boolean columnsOnly = Arrays.stream(words).allMatch(KNOWN::contains) && Arrays.asList(words).contains("nr");
    return columnsOnly ? Optional.of(words) : Optional.empty();
  }

  @Override
  void comment(String text) throws BadLine {
    Optional<String[]> header = header(text);
    if (header.isEmpty()) {
      if (!sawData && Arrays.asList(text.strip().split("[\\s:,]+")).contains("nr")) {
        almostHeader = text.strip();
      }
      return;
    }
    if (sawData) {
      throw new BadLine("a header after events: columns cannot change within a trace");
    }
    columns = header.get();
    headed = true;
    almostHeader = null;
  }

  @Override
  Optional<SyscallEvent> parse(String line, long lineNo) throws BadLine {
    String t = line.strip();
    sawData = true;
    String[] cells = t.split("\\s+");
    if (cells.length > columns.length) {
      throw new BadLine(cells.length + " columns, " + (headed ? "the header has " + columns.length
          : "without a header " + columns.length + " (" + String.join(" ", columns) + ")") + (almostHeader == null ? ""
          : " ('# " + almostHeader + "' is a comment: a header has only column names, " + String.join(" ", KNOWN) + ")"));
    }
    if (cells.length < Math.min(columns.length, indexOf("nr") + 1)) {
      throw new BadLine("no syscall number");
    }
    SyscallEvent.Builder b = SyscallEvent.builder();
    EndpointMembers endpoint = new EndpointMembers();
    for (int i = 0; i < cells.length; i++) {
      String c = columns[i];
      String v = cells[i];
      if (v.equals("-") && OPTIONAL.contains(c)) {
        continue;
      }
      switch (c) {
        case "family", "type", "protocol", "addr", "port" -> member(endpoint, c, v);
        case "path" -> member(endpoint, c, unescape(v));
        case "arch" -> b.auditArch(arch(v));
        case "nr" -> b.nr(int32(v));
        case "pid" -> b.pid(int32(v));
        case "tid" -> b.tid(int32(v));
        case "ts" -> b.timestampNanos(number(v));
        case "ret" -> b.ret(number(v));
        case "ip" -> b.instructionPointer(number(v));
        default -> b.arg(c.charAt(1) - '0', number(v));
      }
    }
    endpoint.endpoint().ifPresent(b::endpoint);
    return Optional.of(b.build());
  }

  private static void member(EndpointMembers endpoint, String column, String cell) throws BadLine {
    try {
      endpoint.set(column, cell);
    } catch (IllegalArgumentException e) {
      throw new BadLine(e.getMessage());
    }
  }

  /** A path cell: {@code \xNN} stands for the byte NN. */
  static String unescape(String cell) throws BadLine {
    StringBuilder out = new StringBuilder(cell.length());
    for (int i = 0; i < cell.length(); i++) {
      char c = cell.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (i + 3 >= cell.length() || cell.charAt(i + 1) != 'x') {
        throw new BadLine("'" + cell + "': write a byte as \\xNN (two hex digits)");
      }
      try {
        out.append((char) Integer.parseInt(cell.substring(i + 2, i + 4), 16));
      } catch (NumberFormatException e) {
        throw new BadLine("'" + cell + "': write a byte as \\xNN (two hex digits)");
      }
      i += 3;
    }
    return out.toString();
  }

  private int indexOf(String column) {
    return Arrays.asList(columns).indexOf(column);
  }

  private static long arch(String v) throws BadLine {
    Optional<Arch> named = Arch.of(v);
    if (named.isPresent()) {
      return named.get().auditArch();
    }
    if (v.matches("(0[xX])?[0-9a-fA-F]+")) {
      return number(v.startsWith("0x") || v.startsWith("0X") ? v : "0x" + v);
    }
    throw new BadLine("unknown arch '" + v + "'");
  }
}
