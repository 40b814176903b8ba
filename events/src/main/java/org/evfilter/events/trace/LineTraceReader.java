package org.evfilter.events.trace;

import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;

/** A trace read line by line: counting lines, bytes and problems for the concrete formats. */
abstract class LineTraceReader implements TraceReader {
  /** A line that does not read as the format says; the reader records it and goes on. */
  static final class BadLine extends Exception {
    private static final long serialVersionUID = 1L;

    BadLine(String message) {
      super(message, null, false, false);
    }
  }

  private final CountingStream counted;
  private final BufferedReader in;
  private final List<TraceProblem> problems = new ArrayList<>();
  private long problemCount;
  private long lines;

  LineTraceReader(InputStream input) {
    this.counted = new CountingStream(input);
    // Traces are bytes: ISO-8859-1 keeps every byte of a path as one char.
    this.in = new BufferedReader(new InputStreamReader(counted, StandardCharsets.ISO_8859_1), 1 << 16);
  }

  /** The event a line holds, empty for a line that holds none (a signal, an exit), or BadLine. */
  abstract Optional<SyscallEvent> parse(String line, long lineNo) throws BadLine;

  /**
   * A {@code #} line, its text after the {@code #}: a comment in every format, skipped here; TSV reads
   * its column header from one.
   */
  void comment(String text) throws BadLine {}

  /** Events the format holds back until the end (calls never finished); empty when none is left. */
  Optional<SyscallEvent> atEnd() {
    return Optional.empty();
  }

  @Override
  public final Optional<SyscallEvent> read() throws IOException {
    String line;
    while ((line = in.readLine()) != null) {
      lines++;
      String t = line.strip();
      if (t.isEmpty()) {
        continue;
      }
      try {
        if (t.startsWith("#")) {
          comment(t.substring(1));
          continue;
        }
        Optional<SyscallEvent> e = parse(line, lines);
        if (e.isPresent()) {
          return e;
        }
      } catch (BadLine bad) {
        problem(lines, bad.getMessage(), line);
      }
    }
    return atEnd();
  }

  final void problem(long lineNo, String message, String line) {
    problemCount++;
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(new TraceProblem(lineNo, message, line));
    }
  }

  @Override
  public final List<TraceProblem> problems() {
    return Collections.unmodifiableList(problems);
  }

  @Override
  public final long problemCount() {
    return problemCount;
  }

  @Override
  public final long lines() {
    return lines;
  }

  @Override
  public final long bytesRead() {
    return counted.count;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** A number that must fit 32 bits (a syscall number, a pid). */
  static int int32(String text) throws BadLine {
    long v = number(text);
    if (v < Integer.MIN_VALUE || v > 0xffffffffL) {
      throw new BadLine("'" + text + "' does not fit 32 bits");
    }
    return (int) v;
  }

  /** A number, or a constant's name ({@code AF_INET}, {@code SOCK_DGRAM}), that must fit 32 bits. */
  static int constant(String text) throws BadLine {
    String t = text.strip();
    if (!t.isEmpty() && Character.isLetter(t.charAt(0))) {
      return (int) org.evfilter.events.syscalls.Constants.linux().value(t).orElseThrow(() -> new BadLine("no constant '" + t + "'"));
    }
    return int32(t);
  }

  /** Parses a trace number: decimal (signed), 0x hex, or 0-prefixed octal, as 64 bits. */
  static long number(String text) throws BadLine {
    String t = text.strip();
    try {
      boolean negative = t.startsWith("-");
      String m = negative ? t.substring(1) : t;
      long v;
      if (m.startsWith("0x") || m.startsWith("0X")) {
        v = Long.parseUnsignedLong(m.substring(2), 16);
      } else if (m.length() > 1 && m.startsWith("0") && m.chars().allMatch(c -> c >= '0' && c <= '7')) {
        v = Long.parseUnsignedLong(m.substring(1), 8);
      } else {
        v = Long.parseUnsignedLong(m);
      }
      if (negative && v < 0 && v != Long.MIN_VALUE) {
        throw new BadLine("'" + text + "' is below -2^63");
      }
      return negative ? -v : v;
    } catch (NumberFormatException e) {
      throw new BadLine("not a number: '" + text + "'");
    }
  }

  private static final class CountingStream extends FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
