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
 * One line of a tracing instance's {@code trace_pipe}: {@code COMM-TID (TGID) [CPU] FLAGS
 * SECONDS.MICROS: BODY}, where the body is the event's own text ({@code sys_openat(dfd:
 * 0xffffff9c, ...)}); {@code pid} is the thread group (the process) when the instance records it.
 */
public record TraceLine(String comm, int pid, int tid, int cpu, long timestampNanos, String body, String text) {
  public TraceLine {
    Objects.requireNonNull(comm, "comm");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(text, "text");
  }

  // COMM-TID [(TGID)] [CPU] FLAGS SECONDS.MICROS: BODY. The command may hold anything, '-' and ' ['
  // included: the greedy match takes the last '-TID ... [CPU]' that fits.
  private static final java.util.regex.Pattern LINE = java.util.regex.Pattern.compile(
      "^\\s*(.*)-(\\d+)\\s+(?:\\(\\s*(\\d+|-+)\\)\\s+)?\\[(\\d+)\\]\\s+\\S+\\s+(\\d+)(?:\\.(\\d+))?: (.*)$");

  /** Reads a trace_pipe line; empty for lines that are not events (headers, blank). */
  public static Optional<TraceLine> parse(String line) {
    java.util.regex.Matcher m = LINE.matcher(line);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      int tid = Integer.parseInt(m.group(2));
      int pid = m.group(3) != null && m.group(3).chars().allMatch(Character::isDigit) ? Integer.parseInt(m.group(3)) : tid;
      long nanos = Long.parseLong(m.group(5)) * 1_000_000_000L
          + (m.group(6) == null ? 0 : Long.parseLong((m.group(6) + "000000000").substring(0, 9)));
      return Optional.of(new TraceLine(m.group(1), pid, tid, Integer.parseInt(m.group(4)), nanos, m.group(7), line));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * The event this line is of, where the body says it: {@code syscalls/sys_enter_NAME} for {@code
   * sys_NAME(...)}, {@code syscalls/sys_exit_NAME} for {@code sys_NAME -> ...}, {@code
   * raw_syscalls/sys_enter} and {@code raw_syscalls/sys_exit}; empty for other events.
   */
  public Optional<String> syscallEvent() {
    if (body.startsWith("sys_enter: NR ")) {
      return Optional.of("raw_syscalls/sys_enter");
    }
    if (body.startsWith("sys_exit: NR ")) {
      return Optional.of("raw_syscalls/sys_exit");
    }
    if (!body.startsWith("sys_")) {
      return Optional.empty();
    }
    int arrow = body.indexOf(" -> ");
    int paren = body.indexOf('(');
    if (arrow > 0 && (paren < 0 || arrow < paren)) {
      return Optional.of("syscalls/sys_exit_" + body.substring(4, arrow));
    }
    return paren > 0 ? Optional.of("syscalls/sys_enter_" + body.substring(4, paren)) : Optional.empty();
  }

  /**
   * The syscall event this line reports, for {@code syscalls/sys_enter_*} ({@code sys_NAME(arg:
   * 0x.., ...)}), {@code syscalls/sys_exit_*} ({@code sys_NAME -> 0x..}) and {@code
   * raw_syscalls/sys_enter} ({@code sys_enter: NR n (a, b, ...)}) lines.
   */
  public Optional<SyscallEvent> syscall(Arch arch) {
    SyscallTable table = SyscallTable.of(arch);
    SyscallEvent.Builder b = SyscallEvent.builder().arch(arch).pid(pid).tid(tid).comm(comm).timestampNanos(timestampNanos);
    try {
      if (body.startsWith("sys_exit: NR ")) {
        int eq = body.indexOf(" = ");
        b.nr(Integer.parseInt(body.substring("sys_exit: NR ".length(), eq)));
        return Optional.of(b.ret(Long.parseLong(body.substring(eq + 3).strip())).build());
      }
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
