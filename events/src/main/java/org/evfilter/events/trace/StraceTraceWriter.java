package org.evfilter.events.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.syscalls.Syscall;

/**
 * Writes strace-style logs as {@code strace -f -ttt -X raw} prints them: {@code PID SECONDS.MICROS
 * name(args) = ret}, numbers in hex, strings quoted, the address of connect, bind, sendto and
 * sendmsg as the sockaddr strace decodes. The strace reader reads them back.
 */
final class StraceTraceWriter implements TraceWriter {
  private final BufferedWriter out;
  private final java.util.Map<Integer, org.evfilter.events.syscalls.Arch> modes = new java.util.HashMap<>();

  StraceTraceWriter(OutputStream out) {
    this.out = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.ISO_8859_1), 1 << 16);
  }

  @Override
  public void write(SyscallEvent e) throws IOException {
    StringBuilder s = new StringBuilder(128);
    org.evfilter.events.syscalls.Arch arch = e.arch().orElse(org.evfilter.events.syscalls.Arch.X86_64);
    if (modes.getOrDefault(e.pid(), org.evfilter.events.syscalls.Arch.X86_64) != arch) {
      // strace's own marker for a process switching ABI.
      modes.put(e.pid(), arch);
      out.write((e.pid() == 0 ? "" : e.pid() + " ") + "[ Process PID=" + e.pid() + " runs in "
          + (arch == org.evfilter.events.syscalls.Arch.I386 ? "32 bit" : arch == org.evfilter.events.syscalls.Arch.X32 ? "x32" : "64 bit")
          + " mode. ]\n");
    }
    if (e.pid() != 0) {
      s.append(e.pid()).append(' ');
    }
    if (e.timestampNanos() >= 0) {
      long ns = e.timestampNanos();
      s.append(ns / 1_000_000_000L).append('.').append(String.format("%06d", (ns % 1_000_000_000L) / 1000)).append(' ');
    }
    int argc = e.syscall().filter(Syscall::argumentsKnown).map(sc -> sc.arguments().size()).orElse(6);
    s.append(e.syscall().map(Syscall::name).orElse("syscall_0x" + Integer.toHexString(e.nr()))).append('(');
    for (int i = 0; i < argc; i++) {
      if (i > 0) {
        s.append(", ");
      }
      String str = e.strings().get(i);
      if (e.endpoint().isPresent() && i == sockaddrIndex(e)) {
        sockaddr(e, s);
      } else if (str != null) {
        quote(str, s);
      } else {
        long a = e.arg(i);
        s.append(a >= 0 && a < 10 ? Long.toString(a) : "0x" + Long.toHexString(a));
      }
    }
    s.append(") = ");
    s.append(e.ret().isPresent() ? Long.toString(e.ret().getAsLong()) : "?");
    s.append('\n');
    out.write(s.toString());
  }

  // Where the call's address is: sendto's fifth argument, the second of connect, bind and sendmsg.
  private static int sockaddrIndex(SyscallEvent e) {
    String name = e.syscall().map(Syscall::name).orElse("");
    return !SocketFields.named(name) ? -1 : name.equals("sendto") ? 4 : 1;
  }

  // The endpoint as strace -X raw prints the sockaddr (inside a msghdr's msg_name for sendmsg);
  // the socket's type and protocol are not in it (the socket() line that made it carries them).
  private static void sockaddr(SyscallEvent e, StringBuilder s) {
    Endpoint a = e.endpoint().orElseThrow();
    boolean msghdr = e.syscall().map(Syscall::name).orElse("").equals("sendmsg");
    s.append(msghdr ? "{msg_name=" : "").append("{sa_family=0x").append(Integer.toHexString(a.family()));
    if (a.address().isPresent()) {
      boolean v6 = a.family() == Endpoint.AF_INET6;
      byte[] bytes = a.address().get().bytes();
      s.append(v6 ? ", sin6_port=" : ", sin_port=");
      hex(new byte[] {(byte) (a.port() >> 8), (byte) a.port()}, s);
      s.append(v6 ? ", sin6_flowinfo=" : ", sin_addr=");
      if (v6) {
        hex(new byte[4], s);
        s.append(", sin6_addr=");
      }
      hex(v6 ? bytes : java.util.Arrays.copyOfRange(bytes, 12, 16), s);
      s.append(v6 ? ", sin6_scope_id=0" : "");
    } else if (a.path().isPresent()) {
      String path = a.path().get();
      s.append(", sun_path=");
      // An abstract name: strace writes its leading NUL as '@' before the quotes.
      if (path.startsWith("@")) {
        s.append('@');
        path = path.substring(1);
      }
      quote(path, s);
    }
    s.append('}').append(msghdr ? "}" : "");
  }

  // Network-order bytes as strace -X raw prints them: every byte \xNN.
  private static void hex(byte[] bytes, StringBuilder s) {
    s.append('"');
    for (byte b : bytes) {
      s.append(String.format("\\x%02x", b & 0xff));
    }
    s.append('"');
  }

  private static void quote(String str, StringBuilder s) {
    s.append('"');
    for (int i = 0; i < str.length(); i++) {
      char c = str.charAt(i);
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        case '\t' -> s.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            s.append(String.format("\\x%02x", (int) c));
          } else {
            s.append(c);
          }
        }
      }
    }
    s.append('"');
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
