package org.evfilter.events.trace;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Constants;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * strace logs: {@code strace -f -ttt -X raw} and the default symbolic output alike. Each call
 * becomes a syscall event with numeric arguments (symbolic flags such as {@code O_RDONLY|O_CLOEXEC}
 * are read back into numbers), the strings strace printed (paths, unix socket paths) and, for
 * connect, bind, sendto and sendmsg, the endpoint of the address strace decoded ({@link
 * StraceSockaddr}), typed by the socket() call that made the descriptor when the trace has it. Calls
 * split by {@code <unfinished ...>}/{@code <... resumed>} are joined; signals and exits are
 * skipped; anything else that does not read is a problem with its line number.
 */
final class StraceTraceReader extends LineTraceReader {
  private final Map<Integer, String> unfinished = new java.util.LinkedHashMap<>();
  private final Map<Integer, Long> unfinishedAt = new HashMap<>();
  private final Map<Integer, Arch> arches = new HashMap<>();
  private final Constants constants = Constants.linux();
  private long undecoded;
  private final Map<Long, int[]> sockets = new HashMap<>();
  private static final int[] NO_SOCKET = {0, 0};
  private static final java.util.regex.Pattern NAMED = java.util.regex.Pattern.compile("([a-z_][a-z0-9_]*)=(.*)", java.util.regex.Pattern.DOTALL);
  // strace's names for clone's arguments, and the kernel's.
  private static final Map<String, String> CLONE_NAMES = Map.of(
      "child_stack", "newsp", "flags", "clone_flags", "parent_tid", "parent_tidptr", "child_tid", "child_tidptr");

  StraceTraceReader(InputStream in) {
    super(in);
  }

  /** Arguments that were neither a number, a string nor a known name (counted, left 0). */
  long undecodedArguments() {
    return undecoded;
  }

  @Override
  Optional<SyscallEvent> parse(String line, long lineNo) throws BadLine {
    String s = line.strip();
    int pid = 0;
    if (s.startsWith("[pid")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new BadLine("unclosed [pid ...]");
      }
      pid = (int) number(s.substring(4, close).strip());
      s = s.substring(close + 1).strip();
    } else {
      int sp = firstSpace(s);
      if (sp > 0 && s.substring(0, sp).chars().allMatch(Character::isDigit)) {
        pid = Integer.parseInt(s.substring(0, sp));
        s = s.substring(sp).strip();
      }
    }
    long ts = -1;
    int sp = firstSpace(s);
    if (sp > 0) {
      String first = s.substring(0, sp);
      OptionalLong t = timestamp(first);
      if (t.isPresent()) {
        ts = t.getAsLong();
        s = s.substring(sp).strip();
      }
    }
    if (s.startsWith("---") || s.startsWith("+++")) {
      return Optional.empty();
    }
    if (s.startsWith("[ Process PID=")) {
      // '[ Process PID=123 runs in 32 bit mode. ]' (or 64 bit, or x32 mode)
      int eq = s.indexOf('=');
      int end = s.indexOf(' ', eq);
      int who = Integer.parseInt(s.substring(eq + 1, end));
      pid = who;
      arches.put(who, s.contains("32 bit mode") ? Arch.I386 : s.contains("x32 mode") ? Arch.X32 : Arch.X86_64);
      return Optional.empty();
    }
    if (s.startsWith("strace: ")) {
      return Optional.empty();
    }
    if (s.startsWith("<...")) {
      int resumed = s.indexOf(" resumed>");
      if (resumed < 0) {
        throw new BadLine("'<...' without 'resumed>'");
      }
      String name = s.substring(5, resumed).strip();
      String start = unfinished.remove(pid);
      if (start == null && name.equals("execve")) {
        // A thread's execve finishes under the process's pid: take the one execve in flight.
        Integer other = unfinished.entrySet().stream().filter(e -> e.getValue().startsWith("execve("))
            .map(Map.Entry::getKey).findFirst().orElse(null);
        start = other == null ? null : unfinished.remove(other);
      }
      if (start == null) {
        throw new BadLine("a resumed call whose start is not in the trace");
      }
      s = start + s.substring(resumed + " resumed>".length());
    }
    int cut = s.indexOf(" <unfinished ...>");
    if (cut >= 0) {
      unfinished.put(pid, s.substring(0, cut));
      unfinishedAt.put(pid, ts);
      return Optional.empty();
    }
    return Optional.of(call(s, pid, ts));
  }

  // Calls that never finished (the process was killed in them): events without a result.
  @Override
  Optional<SyscallEvent> atEnd() {
    while (!unfinished.isEmpty()) {
      int pid = unfinished.keySet().iterator().next();
      String start = unfinished.remove(pid);
      try {
        return Optional.of(call(start + ") = ?", pid, unfinishedAt.getOrDefault(pid, -1L)));
      } catch (BadLine bad) {
        problem(lines(), "an unfinished call: " + bad.getMessage(), start);
      }
    }
    return Optional.empty();
  }

  private SyscallEvent call(String s, int pid, long ts) throws BadLine {
    int open = s.indexOf('(');
    if (open <= 0) {
      throw new BadLine("not a syscall line");
    }
    String name = s.substring(0, open);
    if (!name.matches("[a-z_][a-z0-9_]*")) {
      throw new BadLine("not a syscall name: '" + name + "'");
    }
    int close = matching(s, open);
    if (close < 0) {
      throw new BadLine("unbalanced parentheses or quotes");
    }
    Arch arch = arches.getOrDefault(pid, Arch.X86_64);
    SyscallTable table = SyscallTable.of(arch);
    int nr;
    if (name.startsWith("syscall_0x")) {
      nr = (int) number(name.substring("syscall_".length()));
    } else {
      Optional<Syscall> sc = table.byName(name);
      if (sc.isEmpty()) {
        throw new BadLine("no " + arch.id() + " syscall '" + name + "'");
      }
      nr = sc.get().nr();
    }
    SyscallEvent.Builder b = SyscallEvent.builder().arch(arch).nr(nr).pid(pid).tid(pid).timestampNanos(ts);
    List<String> args = split(s.substring(open + 1, close));
    if (args.size() > 6) {
      throw new BadLine(args.size() + " arguments");
    }
    Map<Integer, String> strings = new HashMap<>();
    Optional<Endpoint> endpoint = Optional.empty();
    Optional<Syscall> known = table.byNumber(nr);
    for (int pos = 0; pos < args.size(); pos++) {
      String a = stripComments(args.get(pos)).strip();
      int i = pos;
      java.util.regex.Matcher named = NAMED.matcher(a);
      if (named.matches()) {
        // strace names some arguments ('clone(child_stack=0, flags=...)'), in its own order.
        String key = CLONE_NAMES.getOrDefault(named.group(1), named.group(1));
        OptionalInt index = known.flatMap(sc -> sc.argument(key)).map(x -> OptionalInt.of(x.index())).orElse(OptionalInt.empty());
        if (index.isPresent()) {
          i = index.getAsInt();
        }
        a = named.group(2).strip();
      }
      if (a.startsWith("\"")) {
        strings.put(i, unquote(a));
      } else if (a.startsWith("{")) {
        String path = field(a, "sun_path=");
        if (path != null) {
          strings.put(i, path);
        }
        if (SocketFields.named(name) && endpoint.isEmpty()) {
          endpoint = StraceSockaddr.read(a);
        }
      } else if (a.startsWith("[") || a.startsWith("~[")) {
        // An array or signal set, printed from memory: its pointer is not in the trace.
      } else {
        // '-y' prints a descriptor's path after it: '3</etc/passwd>'.
        int angle = a.indexOf('<');
        if (angle > 0 && a.endsWith(">") && Character.isDigit(a.charAt(0))) {
          a = a.substring(0, angle);
        }
        OptionalLong v = value(a);
        if (v.isPresent()) {
          b.arg(i, signExtended(known, i, v.getAsLong()));
        } else {
          undecoded++;
        }
      }
    }
    b.strings(strings);
    if (endpoint.isPresent()) {
      // The descriptor is the first argument of every call that names an address.
      int[] socket = sockets.getOrDefault(socketKey(pid, b.build().arg(0)), NO_SOCKET);
      b.endpoint(endpoint.get().onSocket(socket[0], socket[1]));
    }
    String rest = s.substring(close + 1).strip();
    if (rest.startsWith("=")) {
      String r = rest.substring(1).strip();
      int end = 0;
      while (end < r.length() && !Character.isWhitespace(r.charAt(end)) && r.charAt(end) != '<') {
        end++;
      }
      String ret = r.substring(0, end);
      if (!ret.equals("?")) {
        long v = number(ret);
        if (v == -1 && end < r.length()) {
          // '-1 ENOENT (...)': the kernel returned -ENOENT.
          String[] words = r.substring(end).strip().split("\\s+");
          OptionalLong errno = constants.value(words[0]);
          if (errno.isPresent()) {
            v = -errno.getAsLong();
          }
        }
        b.ret(v);
      }
    } else if (!rest.isEmpty()) {
      throw new BadLine("expected '= RESULT' after the arguments");
    }
    SyscallEvent e = b.build();
    remember(name, e, pid);
    return e;
  }

  // A socket's type and protocol, from the socket() call that made its descriptor, for the
  // endpoints of the calls on it (what network labels' portcon entries need). Per process: a
  // descriptor a child inherited or a thread made has an unknown (0) type rather than a wrong one.
  private void remember(String name, SyscallEvent e, int pid) {
    long fd = e.ret().orElse(-1);
    if (name.equals("socket") && fd >= 0) {
      sockets.put(socketKey(pid, fd), new int[] {(int) (e.arg(1) & ~SocketFields.SOCK_FLAGS), (int) e.arg(2)});
    } else if (name.equals("close")) {
      sockets.remove(socketKey(pid, e.arg(0)));
    }
  }

  private static long socketKey(int pid, long fd) {
    return ((long) pid << 32) | (fd & 0xffffffffL);
  }

  // strace -X raw prints an int argument in 32 bits (AT_FDCWD as 0xffffff9c); as a name or a
  // negative number it is the register's 64-bit value (-100). An int is the same value either way.
  private static long signExtended(Optional<Syscall> known, int index, long v) {
    boolean int32 = known.filter(sc -> index < sc.arguments().size())
        .map(sc -> sc.arguments().get(index)).filter(arg -> arg.width() == 4 && arg.signed()).isPresent();
    return int32 && v >= 0x80000000L && v <= 0xffffffffL ? (int) v : v;
  }

  private OptionalLong value(String a) {
    if (a.equals("NULL")) {
      return OptionalLong.of(0);
    }
    long v = 0;
    if (a.isBlank() || a.replace("|", "").isBlank()) {
      return OptionalLong.empty();
    }
    for (String part : a.split("\\|")) {
      String p = part.strip();
      if (p.isEmpty()) {
        // -X raw leaves a zero flag's place empty: statx(-100, "/usr/share", |0x800, 0x2, ...).
        continue;
      }
      if (Character.isDigit(p.charAt(0)) || p.charAt(0) == '-') {
        try {
          v |= number(p);
        } catch (BadLine e) {
          return OptionalLong.empty();
        }
      } else {
        OptionalLong c = constants.value(p);
        if (c.isEmpty()) {
          return OptionalLong.empty();
        }
        v |= c.getAsLong();
      }
    }
    return OptionalLong.of(v);
  }

  private static OptionalLong timestamp(String t) {
    if (t.matches("\\d+\\.\\d+")) {
      int dot = t.indexOf('.');
      String frac = (t.substring(dot + 1) + "000000000").substring(0, 9);
      return OptionalLong.of(Long.parseLong(t.substring(0, dot)) * 1_000_000_000L + Long.parseLong(frac));
    }
    if (t.matches("\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?")) {
      long secs = Long.parseLong(t.substring(0, 2)) * 3600 + Long.parseLong(t.substring(3, 5)) * 60
          + Long.parseLong(t.substring(6, 8));
      long nanos = t.length() > 9 ? Long.parseLong((t.substring(9) + "000000000").substring(0, 9)) : 0;
      return OptionalLong.of(secs * 1_000_000_000L + nanos);
    }
    return OptionalLong.empty();
  }

  private static int firstSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  // The ')' that closes the '(' at 'open', skipping strings and nested brackets.
  private static int matching(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        i = endOfString(s, i);
        if (i < 0) {
          return -1;
        }
      } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
        int end = s.indexOf("*/", i + 2);
        if (end < 0) {
          return -1;
        }
        i = end + 1;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
        if (depth == 0) {
          return c == ')' ? i : -1;
        }
      }
    }
    return -1;
  }

  private static int endOfString(String s, int quote) {
    for (int i = quote + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return i;
      }
    }
    return -1;
  }

  // Top-level comma-separated arguments.
  static List<String> split(String args) {
    List<String> out = new ArrayList<>();
    if (args.isBlank()) {
      return out;
    }
    int depth = 0;
    int start = 0;
    for (int i = 0; i < args.length(); i++) {
      char c = args.charAt(i);
      if (c == '"') {
        i = Math.max(i, endOfString(args, i));
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(args.substring(start, i));
        start = i + 1;
      }
    }
    out.add(args.substring(start));
    return out;
  }

  // Drops strace's "/* 5 entries */" comments (-X verbose writes one per decoded member), never
  // text inside a string ("/* C source */").
  private static String stripComments(String a) {
    StringBuilder out = new StringBuilder(a.length());
    for (int i = 0; i < a.length(); i++) {
      char c = a.charAt(i);
      if (c == '"') {
        int end = endOfString(a, i);
        if (end < 0) {
          return out.append(a, i, a.length()).toString();
        }
        out.append(a, i, end + 1);
        i = end;
      } else if (c == '/' && i + 1 < a.length() && a.charAt(i + 1) == '*') {
        int end = a.indexOf("*/", i + 2);
        if (end < 0) {
          break;
        }
        i = end + 1;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  // The text of a C-quoted string strace printed ("..." with escapes, maybe followed by '...').
  static String unquote(String a) throws BadLine {
    int end = endOfString(a, 0);
    if (end < 0) {
      throw new BadLine("unterminated string");
    }
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < end; i++) {
      char c = a.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = a.charAt(++i);
      switch (e) {
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        case 'v' -> out.append('\u000b');
        case 'f' -> out.append('\f');
        case 'x' -> {
          int j = i + 1;
          while (j < end && j < i + 3 && Character.digit(a.charAt(j), 16) >= 0) {
            j++;
          }
          out.append((char) Integer.parseInt(a.substring(i + 1, j), 16));
          i = j - 1;
        }
        default -> {
          if (e >= '0' && e <= '7') {
            int j = i;
            while (j < end && j < i + 3 && a.charAt(j) >= '0' && a.charAt(j) <= '7') {
              j++;
            }
            out.append((char) Integer.parseInt(a.substring(i, j), 8));
            i = j - 1;
          } else {
            out.append(e);
          }
        }
      }
    }
    return out.toString();
  }

  private static String field(String struct, String key) throws BadLine {
    int at = struct.indexOf(key);
    if (at < 0 || at + key.length() >= struct.length() || struct.charAt(at + key.length()) != '"') {
      return null;
    }
    return unquote(struct.substring(at + key.length()));
  }
}
