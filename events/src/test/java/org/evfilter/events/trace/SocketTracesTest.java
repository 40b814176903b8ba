package org.evfilter.events.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.syscalls.Arch;
import org.junit.jupiter.api.Test;

/** The endpoints of connect, bind, sendto and sendmsg in traces: strace's lines read, TSV written and read back. */
class SocketTracesTest {
  // family/type/protocol endpoint, or "none".
  private static String described(SyscallEvent e) {
    return e.endpoint().map(a -> a.family() + "/" + a.type() + "/" + a.protocol() + " " + a).orElse("none");
  }

  private static List<String> endpoints(String strace) throws IOException {
    return TraceFormatsTest.read(TraceFormat.STRACE, strace).stream().map(SocketTracesTest::described).toList();
  }

  @Test
  void straceLinesOfEveryFamilyAndSpellingBecomeEndpoints() throws IOException {
    // Lines as strace 6 prints them on this kernel (-X abbrev, the default; -X raw; -X verbose).
    String[][] table = {
      {"connect(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr(\"1.2.3.4\")}, 16) = 0", "2/0/0 1.2.3.4:443"},
      {"sendto(5, \"x\", 1, 0, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0),"
          + " inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, 28) = 1", "10/0/0 [::1]:9"},
      {"sendto(5, \"y\", 1, 0, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(5),"
          + " inet_pton(AF_INET6, \"fe80::1\", &sin6_addr), sin6_scope_id=if_nametoindex(\"lo\")}, 28)"
          + " = -1 ENETUNREACH (Network is unreachable)", "10/0/0 [fe80::1]:9"},
      {"bind(6, {sa_family=AF_UNIX, sun_path=\"/tmp/u.sock\"}, 24) = 0", "1/0/0 unix:/tmp/u.sock"},
      {"connect(9, {sa_family=AF_UNIX, sun_path=@\"abstract-x\"}, 13) = 0", "1/0/0 unix:@abstract-x"},
      {"bind(13, {sa_family=AF_UNIX}, 2)  = 0", "1/0/0 family:1"},
      {"sendmsg(11, {msg_name={sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\"127.0.0.1\")}, msg_namelen=16,"
          + " msg_iov=[{iov_base=\"q\", iov_len=1}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 1", "2/0/0 127.0.0.1:9"},
      {"sendto(11, \"r\", 1, 0, NULL, 0)    = 1", "none"},
      {"sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"q\", iov_len=1}], msg_iovlen=1, msg_controllen=0,"
          + " msg_flags=0}, 0) = 1", "none"},
      {"connect(3, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 0", "16/0/0 family:16"},
      {"sendto(3, \"x\", 1, 0, {sa_family=0x2, sin_port=\"\\x00\\x09\", sin_addr=\"\\x7f\\x00\\x00\\x01\"}, 16) = 1", "2/0/0 127.0.0.1:9"},
      {"sendto(4, \"x\", 1, 0, {sa_family=0xa, sin6_port=\"\\x00\\x09\", sin6_flowinfo=\"\\x00\\x00\\x00\\x00\","
          + " sin6_addr=\"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xff\\xff\\x7f\\x00\\x00\\x01\", sin6_scope_id=0}, 28) = 1",
          "10/0/0 [127.0.0.1]:9"},
      {"sendto(3, \"x\", 1, 0, {sa_family=0x2 /* AF_INET */, sin_port=\"\\x01\\xbb\" /* htons(443) */,"
          + " sin_addr=\"\\x7f\\x00\\x00\\x01\" /* inet_addr(\"127.0.0.1\") */}, 16) = 1", "2/0/0 127.0.0.1:443"},
      {"bind(5, {sa_family=0x1 /* AF_UNIX */, sun_path=@\"ab\\1c\"}, 7) = 0", "1/0/0 unix:@ab\u0001c"},
      // Not a call that names an address: its sockaddr is an output, not an endpoint.
      {"getpeername(9, {sa_family=AF_UNIX, sun_path=@\"abstract-x\"}, [110 => 13]) = 0", "none"},
    };
    for (String[] row : table) {
      assertEquals(List.of(row[1]), endpoints(row[0] + "\n"), row[0]);
    }
  }

  @Test
  void theSocketCallThatMadeTheDescriptorGivesTheEndpointItsTypeAndProtocol() throws IOException {
    String dns = ", {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 1";
    assertEquals(List.of("none", "2/1/6 127.0.0.1:1", "none", "2/2/0 127.0.0.1:53", "2/0/0 127.0.0.1:53", "none", "2/0/0 127.0.0.1:53"),
        endpoints(String.join("\n",
            "30704 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_TCP) = 5",
            "30704 connect(5, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr(\"127.0.0.1\")}, 16)"
                + " = -1 ECONNREFUSED (Connection refused)",
            "30704 socket(AF_INET, SOCK_DGRAM, 0) = 5",
            "30704 sendto(5, \"q\", 1, 0" + dns,
            // Another process's descriptor 5, and one closed: unknown (0), never another socket's type.
            "30705 sendto(5, \"q\", 1, 0" + dns,
            "30704 close(5) = 0",
            "30704 sendto(5, \"q\", 1, 0" + dns,
            "")));
  }

  @Test
  void tsvEndpointColumnsRoundTrip() throws IOException {
    List<SyscallEvent> events = List.of(
        SyscallEvent.builder(Arch.X86_64, 42, 3, 0x7ffd0000L, 16).pid(7).ret(0)
            .endpoint(Endpoint.inet(IpAddress.parse("1.2.3.4").orElseThrow(), 443, 1, 6, false)).build(),
        SyscallEvent.builder(Arch.X86_64, 44, 5, 0x1000, 1, 0, 0x7ffd0000L, 28).ret(1)
            .endpoint(Endpoint.inet(IpAddress.parse("::ffff:10.1.2.3").orElseThrow(), 53, 2, 0, true)).build(),
        SyscallEvent.builder(Arch.X86_64, 49, 6, 0x7ffd0000L, 24)
            .endpoint(Endpoint.unix("/run/a b\\c\t-", 1)).build(),
        SyscallEvent.builder(Arch.X86_64, 42, 9, 0x7ffd0000L, 13).endpoint(Endpoint.unix("@abstract\u0000x", 1)).build(),
        SyscallEvent.builder(Arch.X86_64, 49, 9, 0x7ffd0000L, 2).endpoint(Endpoint.unix("-", 2)).build(),
        SyscallEvent.builder(Arch.X86_64, 49, 13, 0x7ffd0000L, 2)
            .endpoint(new Endpoint(Endpoint.AF_UNIX, 2, 0, Optional.empty(), 0, Optional.empty())).build(),
        SyscallEvent.builder(Arch.X86_64, 0, 3, 0x1000, 4096).build());
    String tsv = TraceFormatsTest.write(TraceFormat.TSV, events);
    assertEquals(String.join("\n",
        "# arch\tnr\ta0\ta1\ta2\ta3\ta4\ta5\tpid\ttid\tts\tret\tfamily\ttype\tprotocol\taddr\tport\tpath",
        "x86_64\t42\t0x3\t0x7ffd0000\t0x10\t0\t0\t0\t7\t-\t-\t0\t2\t1\t6\t1.2.3.4\t443\t-",
        "x86_64\t44\t0x5\t0x1000\t0x1\t0\t0x7ffd0000\t0x1c\t-\t-\t-\t1\t10\t2\t0\t10.1.2.3\t53\t-",
        "x86_64\t49\t0x6\t0x7ffd0000\t0x18\t0\t0\t0\t-\t-\t-\t-\t1\t1\t0\t-\t0\t/run/a\\x20b\\x5cc\\x09-",
        "x86_64\t42\t0x9\t0x7ffd0000\t0xd\t0\t0\t0\t-\t-\t-\t-\t1\t1\t0\t-\t0\t@abstract\\x00x",
        "x86_64\t49\t0x9\t0x7ffd0000\t0x2\t0\t0\t0\t-\t-\t-\t-\t1\t2\t0\t-\t0\t\\x2d",
        "x86_64\t49\t0xd\t0x7ffd0000\t0x2\t0\t0\t0\t-\t-\t-\t-\t1\t2\t0\t-\t0\t-",
        "x86_64\t0\t0x3\t0x1000\t0x1000\t0\t0\t0\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-",
        ""), tsv);
    assertEquals(events, TraceFormatsTest.read(TraceFormat.TSV, tsv));
    // And through JSON Lines and back to the same TSV.
    assertEquals(tsv, TraceFormatsTest.write(TraceFormat.TSV, TraceFormatsTest.read(TraceFormat.JSONL,
        TraceFormatsTest.write(TraceFormat.JSONL, events))));
  }

  @Test
  void straceLogsWriteTheAddressAsStraceDecodesItAndReadItBack() throws IOException {
    List<SyscallEvent> events = List.of(
        SyscallEvent.builder(Arch.X86_64, 41, 2, 1, 6).pid(7).ret(3).build(),
        SyscallEvent.builder(Arch.X86_64, 42, 3, 0x7ffd0000L, 16).pid(7).ret(0)
            .endpoint(Endpoint.inet(IpAddress.parse("1.2.3.4").orElseThrow(), 443, 0, 0, false)).build(),
        SyscallEvent.builder(Arch.X86_64, 44, 3, 0x1000, 1, 0, 0x7ffd0000L, 28).pid(7).ret(1)
            .endpoint(Endpoint.inet(IpAddress.parse("::ffff:10.1.2.3").orElseThrow(), 53, 0, 0, true)).build(),
        SyscallEvent.builder(Arch.X86_64, 46, 3, 0x7ffd0000L, 0).pid(7).ret(1)
            .endpoint(Endpoint.inet(IpAddress.parse("fe80::1").orElseThrow(), 9, 0, 0, true)).build(),
        SyscallEvent.builder(Arch.X86_64, 49, 4, 0x7ffd0000L, 13).pid(7).ret(0).endpoint(Endpoint.unix("@abs\"tract", 0)).build(),
        SyscallEvent.builder(Arch.X86_64, 49, 5, 0x7ffd0000L, 2).pid(7).ret(0)
            .endpoint(new Endpoint(Endpoint.AF_UNIX, 0, 0, Optional.empty(), 0, Optional.empty())).build());
    String strace = TraceFormatsTest.write(TraceFormat.STRACE, events);
    String v4 = "\\x0a\\x01\\x02\\x03";
    String zeros = "\\x00".repeat(10);
    assertEquals(String.join("\n",
        "7 socket(2, 1, 6) = 3",
        "7 connect(3, {sa_family=0x2, sin_port=\"\\x01\\xbb\", sin_addr=\"\\x01\\x02\\x03\\x04\"}, 0x10) = 0",
        "7 sendto(3, 0x1000, 1, 0, {sa_family=0xa, sin6_port=\"\\x00\\x35\", sin6_flowinfo=\"\\x00\\x00\\x00\\x00\","
            + " sin6_addr=\"" + zeros + "\\xff\\xff" + v4 + "\", sin6_scope_id=0}, 0x1c) = 1",
        "7 sendmsg(3, {msg_name={sa_family=0xa, sin6_port=\"\\x00\\x09\", sin6_flowinfo=\"\\x00\\x00\\x00\\x00\","
            + " sin6_addr=\"\\xfe\\x80" + "\\x00".repeat(13) + "\\x01\", sin6_scope_id=0}}, 0) = 1",
        "7 bind(4, {sa_family=0x1, sun_path=@\"abs\\\"tract\"}, 0xd) = 0",
        "7 bind(5, {sa_family=0x1}, 2) = 0",
        ""), strace);
    // Read back: the same endpoints, typed by the socket() line (the pointers are not in an strace log).
    assertEquals(List.of("none", "2/1/6 1.2.3.4:443", "10/1/6 [10.1.2.3]:53", "10/1/6 [fe80::1]:9", "1/0/0 unix:@abs\"tract", "1/0/0 family:1"),
        endpoints(strace));
  }

  @Test
  void tsvEndpointCellsByNameAndTheirErrors() throws IOException {
    String header = "# nr a0 family type protocol addr port path\n";
    assertEquals(List.of("10/2/17 [::1]:53", "2/0/0 10.0.0.1:0", "1/0/0 unix:/run/x"),
        TraceFormatsTest.read(TraceFormat.TSV, header
            + "44 3 AF_INET6 SOCK_DGRAM IPPROTO_UDP ::1 53 -\n"
            + "42 3 - - - 10.0.0.1 - -\n"
            + "42 3 - - - - - /run/x\n").stream().map(SocketTracesTest::described).toList());
    String[][] bad = {
      {"42 3 AF_NOPE 0 0 - - -", "no constant 'AF_NOPE'"},
      {"42 3 2 1 6 10.0.0.300 1 -", "'10.0.0.300' is not an IP address"},
      {"42 3 2 1 6 10.0.0.1 65536 -", "port 65536 is not 0 to 65535"},
      {"42 3 1 1 0 - 0 /run/\\q", "'/run/\\q': write a byte as \\xNN (two hex digits)"},
    };
    for (String[] row : bad) {
      TraceReader r = Traces.reader(TraceFormat.TSV, new ByteArrayInputStream((header + row[0] + "\n").getBytes(StandardCharsets.ISO_8859_1)));
      assertEquals(List.of(), TraceFormatsTest.read(r), row[0]);
      assertEquals(row[1], r.problems().get(0).message(), row[0]);
    }
  }
}
