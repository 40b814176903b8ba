package org.evfilter.events.tracefs;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * One line of a tracing instance's {@code trace_pipe}: {@code COMM-PID [CPU] FLAGS SECONDS.MICROS:
 * BODY}, where the body is the event's own text ({@code sys_openat(dfd: 0xffffff9c, ...)}).
 */
public record TraceLine(String comm, int pid, int cpu, long timestampNanos, String body, String text) {
  public TraceLine {
    Objects.requireNonNull(comm, "comm");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(text, "text");
  }

  /** Reads a trace_pipe line; empty for lines that are not events (headers, blank). */
  public static Optional<TraceLine> parse(String line) {
    // The command may contain spaces and dashes: the pid is after the last '-' before ' ['.
    int bracket = line.indexOf(" [");
    if (bracket < 0) {
      return Optional.empty();
    }
    String task = line.substring(0, bracket).strip();
    int dash = task.lastIndexOf('-');
    int close = line.indexOf(']', bracket);
    int colon = line.indexOf(": ", close);
    if (dash < 0 || close < 0 || colon < 0) {
      return Optional.empty();
    }
    try {
      int pid = Integer.parseInt(task.substring(dash + 1));
      int cpu = Integer.parseInt(line.substring(bracket + 2, close).strip());
      String[] head = line.substring(close + 1, colon).strip().split("\\s+");
      String ts = head[head.length - 1];
      int dot = ts.indexOf('.');
      long nanos = dot < 0 ? Long.parseLong(ts) * 1_000_000_000L
          : Long.parseLong(ts.substring(0, dot)) * 1_000_000_000L
              + Long.parseLong((ts.substring(dot + 1) + "000000000").substring(0, 9));
      return Optional.of(new TraceLine(task.substring(0, dash), pid, cpu, nanos, line.substring(colon + 2), line));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * The syscall event this line reports, for {@code syscalls/sys_enter_*} ({@code sys_NAME(arg:
   * 0x.., ...)}), {@code syscalls/sys_exit_*} ({@code sys_NAME -> 0x..}) and {@code
   * raw_syscalls/sys_enter} ({@code sys_enter: NR n (a, b, ...)}) lines.
   */
  public Optional<SyscallEvent> syscall(Arch arch) {
    SyscallTable table = SyscallTable.of(arch);
    SyscallEvent.Builder b = SyscallEvent.builder().arch(arch).pid(pid).tid(pid).comm(comm).timestampNanos(timestampNanos);
    try {
      if (body.startsWith("sys_enter: NR ")) {
        int open = body.indexOf(" (");
        b.nr(Integer.parseInt(body.substring("sys_enter: NR ".length(), open)));
        List<Long> args = hexList(body.substring(open + 2, body.lastIndexOf(')')), false);
        for (int i = 0; i < args.size() && i < 6; i++) {
          b.arg(i, args.get(i));
        }
        return Optional.of(b.build());
      }
      if (!body.startsWith("sys_")) {
        return Optional.empty();
      }
      int arrow = body.indexOf(" -> ");
      int paren = body.indexOf('(');
      if (arrow > 0 && (paren < 0 || arrow < paren)) {
        Optional<Syscall> s = table.byTracefsName(body.substring(4, arrow));
        if (s.isEmpty()) {
          return Optional.empty();
        }
        return Optional.of(b.nr(s.get().nr()).ret(Long.parseUnsignedLong(strip0x(body.substring(arrow + 4).strip()), 16)).build());
      }
      String name = paren < 0 ? body.substring(4).strip() : body.substring(4, paren);
      Optional<Syscall> s = table.byTracefsName(name);
      if (s.isEmpty()) {
        return Optional.empty();
      }
      b.nr(s.get().nr());
      if (paren > 0) {
        List<Long> args = hexList(body.substring(paren + 1, body.lastIndexOf(')')), true);
        for (int i = 0; i < args.size() && i < 6; i++) {
          b.arg(i, args.get(i));
        }
      }
      return Optional.of(b.build());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static List<Long> hexList(String s, boolean named) {
    List<Long> out = new ArrayList<>();
    if (s.isBlank()) {
      return out;
    }
    for (String part : s.split(",")) {
      String v = part.strip();
      if (named) {
        v = v.substring(v.indexOf(':') + 1).strip();
      }
      out.add(Long.parseUnsignedLong(strip0x(v), 16));
    }
    return out;
  }

  private static String strip0x(String v) {
    return v.startsWith("0x") ? v.substring(2) : v;
  }
}
