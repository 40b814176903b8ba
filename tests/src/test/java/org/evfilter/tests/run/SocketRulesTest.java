package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket rules decided by the supervisor on the real kernel: {@code sockops} (one result line per
 * socket operation) under {@code evfilter run}, TCP and UDP over IPv4 and IPv6, unix sockets,
 * connect, bind, sendto and sendmsg, each allowed or refused with its rule's errno, a rule on a
 * network label; and the same workload outside the sandbox, unaffected. The listeners are this
 * JVM's, outside every sandbox; a datagram a rule refused never reaches them.
 */
@Tag("kernel")
class SocketRulesTest {
  private static Path sockops;
  @TempDir Path work;
  private final List<AutoCloseable> listeners = new ArrayList<>();
  private int tcp4;
  private int tcp4b;
  private int tcp6;
  private DatagramChannel udp4;
  private DatagramChannel udp6;
  private Path unixServer;

  @BeforeAll
  static void build() throws Exception {
    CPrograms.needUserNotification("socket rules decided by the supervisor");
    sockops = CPrograms.build("sockops", true);
  }

  @BeforeEach
  void listen() throws Exception {
    tcp4 = tcp(new InetSocketAddress("127.0.0.1", 0));
    tcp4b = tcp(new InetSocketAddress("127.0.0.1", 0));
    tcp6 = tcp(new InetSocketAddress("::1", 0));
    udp4 = udp(StandardProtocolFamily.INET, new InetSocketAddress("127.0.0.1", 0));
    udp6 = udp(StandardProtocolFamily.INET6, new InetSocketAddress("::1", 0));
    unixServer = work.resolve("srv.sock");
    ServerSocketChannel u = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    u.bind(UnixDomainSocketAddress.of(unixServer), 50);
    listeners.add(u);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : listeners) {
      c.close();
    }
  }

  private int tcp(InetSocketAddress at) throws Exception {
    ServerSocketChannel s = ServerSocketChannel.open();
    s.bind(at, 50);
    listeners.add(s);
    return s.socket().getLocalPort();
  }

  private DatagramChannel udp(StandardProtocolFamily family, InetSocketAddress at) throws Exception {
    DatagramChannel d = DatagramChannel.open(family);
    d.bind(at);
    d.configureBlocking(false);
    listeners.add(d);
    return d;
  }

  private static int port(DatagramChannel d) throws Exception {
    return ((InetSocketAddress) d.getLocalAddress()).getPort();
  }

  // The datagrams a listener got.
  private static int received(DatagramChannel d) throws Exception {
    int n = 0;
    ByteBuffer b = ByteBuffer.allocate(64);
    TimeUnit.MILLISECONDS.sleep(100);
    while (d.receive(b) != null) {
      n++;
      b.clear();
    }
    return n;
  }

  private static int mode(Path p) throws Exception {
    int m = 0;
    for (java.nio.file.attribute.PosixFilePermission b : Files.getPosixFilePermissions(p)) {
      m |= 0400 >> b.ordinal();
    }
    return m;
  }

  private record Op(String line, String confined) {}

  private List<Op> ops() throws Exception {
    String w = work.toString();
    int u4 = port(udp4);
    int u6 = port(udp6);
    return List.of(
        new Op("socket unix-dgram", "EPERM"),
        new Op("socket udp6", "ok"),
        new Op("socket tcp6", "ok"),
        new Op("connect tcp4 127.0.0.1 " + tcp4, "ok"),
        new Op("connect tcp6 ::1 " + tcp6, "ENETUNREACH"),
        new Op("connect-nb tcp4 127.0.0.1 " + tcp4, "EINPROGRESS"),
        // Its port has no network label: refused by the label rule.
        new Op("connect tcp4 127.0.0.1 " + tcp4b, "ECONNREFUSED"),
        new Op("sendto udp4 127.0.0.1 " + u4, "ok"),
        new Op("sendmsg udp4 127.0.0.1 " + u4, "ok"),
        new Op("send-connected udp4 127.0.0.1 " + u4, "ok"),
        new Op("sendto udp6 ::1 " + u6, "EHOSTUNREACH"),
        new Op("sendmsg udp6 ::1 " + u6, "EHOSTUNREACH"),
        new Op("bind udp4 127.0.0.1 0", "ok"),
        new Op("bind tcp4 127.0.0.1 80", "EACCES"),
        new Op("bind tcp6 ::1 0", "ok"),
        new Op("connect unix-stream " + unixServer, "ok"),
        new Op("connect unix-stream " + w + "/absent.sock", "ENOENT"),
        new Op("bind unix-stream " + w + "/mine.sock", "ok"),
        new Op("bind unix-stream " + w + "/denied.sock", "EADDRNOTAVAIL"),
        new Op("bind unix-stream @evfilter-socklang-" + ProcessHandle.current().pid(), "ok"));
  }

  private Path policy() throws Exception {
    Files.writeString(work.resolve("net.labels"), String.join("\n",
        "nodecon 127.0.0.0/8 system_u:object_r:localhost_t:s0",
        "nodecon ::1/128 localhost_t",
        "portcon tcp " + tcp4 + " web_t",
        ""));
    return Files.writeString(work.resolve("p.evf"), String.join("\n",
        "labels \"net.labels\"",
        "default allow",
        "errno(ECONNREFUSED) connect: family == AF_INET && type == SOCK_STREAM && !(label & web_t)",
        "errno(ENETUNREACH) connect: family == AF_INET6 && port == " + tcp6,
        "errno(EACCES) bind: family == AF_INET && port in {1..1023}",
        "errno(EHOSTUNREACH) sendto, sendmsg: addr in {::1/128}",
        "errno(EADDRNOTAVAIL) bind: path ~ \"*/denied.sock\"",
        "errno(EPERM) socket: family == AF_UNIX && type == SOCK_DGRAM",
        ""));
  }

  @Test
  void socketRulesAreDecidedOnTheAddressTheCallNames() throws Exception {
    List<Op> ops = ops();
    Path file = Files.write(work.resolve("ops"), ops.stream().map(Op::line).toList());
    ChildJvm.Result res = ChildJvm.evfilter(work, List.of(), "run", "--policy", policy().toString(), "--", sockops.toString(),
        file.toString());
    assertEquals(0, res.code(), res.err());
    List<String> outcomes = res.out().lines().map(l -> l.substring(l.lastIndexOf(": ") + 2)).toList();
    StringBuilder table = new StringBuilder("\nsocket operations under the supervisor\n");
    for (int i = 0; i < ops.size(); i++) {
      table.append(String.format("  %-60s %s%n", ops.get(i).line(), i < outcomes.size() ? outcomes.get(i) : "?"));
    }
    System.err.print(table);
    assertEquals(ops.stream().map(Op::confined).toList(), outcomes, res.out() + res.err());
    // Performed for the task: two datagrams and the connected one reached the IPv4 listener, none the IPv6 one.
    assertEquals(3, received(udp4));
    assertEquals(0, received(udp6));
    // The socket file the supervisor bound for the task has the task's umask, not the supervisor's 0.
    int umask = Integer.parseInt(Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Umask:"))
        .findFirst().orElseThrow().substring(6).trim(), 8);
    assertEquals(0777 & ~umask, mode(work.resolve("mine.sock")));
    assertTrue(res.err().contains("denied connect [::1]:" + tcp6 + " (localhost_t)"), res.err());
    assertTrue(res.err().contains("denied connect 127.0.0.1:" + tcp4b + " (localhost_t): "), res.err());
  }

  @Test
  void aProcessOutsideTheSandboxIsUnaffected() throws Exception {
    List<Op> ops = ops();
    Path file = Files.write(work.resolve("ops"), ops.stream().map(Op::line).toList());
    Process p = new ProcessBuilder(sockops.toString(), file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    List<String> outcomes = out.lines().map(l -> l.substring(l.lastIndexOf(": ") + 2)).toList();
    List<String> expected = new ArrayList<>();
    for (Op o : ops) {
      // Unconfined, only the kernel refuses: there is no absent.sock.
      expected.add(o.line().contains("absent.sock") ? "ENOENT" : o.line().startsWith("connect-nb") ? "EINPROGRESS" : "ok");
    }
    assertEquals(expected, outcomes, out);
    assertEquals(3, received(udp4));
    assertEquals(2, received(udp6));
  }
}
