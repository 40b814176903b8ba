package org.evfilter.tests.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.evfilter.events.net.Cidr;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Constants;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.cgroup.CgroupLeaf;
import org.evfilter.lsm.cgroup.SocketHooks;
import org.evfilter.lsm.cgroup.SocketLeaf;
import org.evfilter.lsm.ebpf.LoadedProgram;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.tests.kernel.KernelAccess;
import org.evfilter.tests.run.CPrograms;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket rules decided by cgroup eBPF programs on the real kernel: the {@code sockops} workload
 * decides alike under the supervisor ({@code --socket-hooks=off}) and at the hooks; every program
 * generated from random socket policies is accepted by the verifier; UDP connect probes from a
 * process in a leaf around each network's and port range's edges get what the predicate engine
 * says; the command cannot leave its leaf; a process outside is never affected; nothing stays.
 */
@Tag("kernel")
class SocketHooksTest {
  private static Path sockops;
  @TempDir Path work;
  private final List<AutoCloseable> listeners = new ArrayList<>();
  private int web;
  private int other;
  private int tcp6;
  private int udp4;

  @BeforeAll
  static void build() throws Exception {
    KernelAccess.assumeAvailable("cgroup socket hooks");
    assumeTrue(CgroupLeaf.mount().isPresent(), "no cgroup v2 hierarchy is mounted: nothing to test");
    assumeTrue(SocketHooks.available().containsAll(EnumSet.allOf(SocketHooks.Group.class)),
        "this kernel does not load cgroup_sock_addr programs (or this process may not)");
    sockops = CPrograms.build("sockops", true);
  }

  private List<Path> leavesBefore;

  @BeforeEach
  void listen() throws Exception {
    leavesBefore = leaves();
    web = tcp(new InetSocketAddress("127.0.0.1", 0));
    other = tcp(new InetSocketAddress("127.0.0.1", 0));
    tcp6 = tcp(new InetSocketAddress("::1", 0));
    DatagramChannel d = DatagramChannel.open(StandardProtocolFamily.INET);
    d.bind(new InetSocketAddress("127.0.0.1", 0));
    listeners.add(d);
    udp4 = ((InetSocketAddress) d.getLocalAddress()).getPort();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : listeners) {
      c.close();
    }
  }

  private int tcp(InetSocketAddress at) throws Exception {
    ServerSocketChannel s = ServerSocketChannel.open(at.getAddress() instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6
        : StandardProtocolFamily.INET);
    s.bind(at, 50);
    listeners.add(s);
    return ((InetSocketAddress) s.getLocalAddress()).getPort();
  }

  private Path policy() throws Exception {
    Files.writeString(work.resolve("net.labels"), String.join("\n",
        "nodecon 127.0.0.0/8 localhost_t",
        "nodecon ::1/128 localhost_t",
        "nodecon 10.0.0.0/8 intranet_t",
        "portcon tcp " + web + " web_t",
        "portcon udp 53 dns_t",
        ""));
    return Files.writeString(work.resolve("p.evf"), String.join("\n",
        "labels \"net.labels\"",
        "default allow",
        "errno(ECONNREFUSED) connect: type == SOCK_STREAM && protocol == IPPROTO_TCP && family == AF_INET && !(label & web_t)",
        "errno(ENETUNREACH) connect: type == SOCK_STREAM && protocol == IPPROTO_TCP && family == AF_INET6 && port == " + tcp6,
        "errno(EHOSTUNREACH) connect: (family == AF_INET || family == AF_INET6) && type == SOCK_DGRAM && protocol == IPPROTO_UDP && (label & intranet_t && !(label & dns_t)"
            + " || addr in {192.168.1.0/24, 2001:db8::/32})",
        "errno(EACCES) bind: (type == SOCK_STREAM && protocol == IPPROTO_TCP || type == SOCK_DGRAM && protocol == IPPROTO_UDP)"
            + " && family == AF_INET && port in {1..1023}",
        "errno(EADDRNOTAVAIL) sendto, sendmsg: addr in {::1/128}",
        "errno(EPERM) socket: family == AF_UNIX && type == SOCK_DGRAM",
        ""));
  }

  private List<String> ops() {
    String w = work.toString();
    return List.of(
        "socket unix-dgram",
        "socket udp6",
        "connect tcp4 127.0.0.1 " + web,
        "connect tcp4 127.0.0.1 " + other,
        "connect-nb tcp4 127.0.0.1 " + other,
        "connect tcp6 ::1 " + tcp6,
        "connect tcp6 ::ffff:127.0.0.1 " + web,
        "connect udp4 10.1.2.3 53",
        "connect udp4 10.1.2.3 54",
        "connect udp4 11.1.2.3 54",
        "connect udp6 ::ffff:10.9.9.9 54",
        "connect udp6 ::ffff:192.168.1.255 54",
        "connect udp6 2001:db8:ffff::1 54",
        "connect udp6 2001:db9::1 54",
        "sendto udp4 127.0.0.1 " + udp4,
        "sendmsg udp6 ::1 9",
        "send-connected udp4 127.0.0.1 " + udp4,
        "bind tcp4 127.0.0.1 80",
        "bind udp4 127.0.0.1 1023",
        "bind udp4 127.0.0.1 0",
        "bind tcp6 ::1 80",
        "connect unix-stream " + w + "/absent.sock",
        "bind unix-stream " + w + "/mine.sock");
  }

  private List<String> run(String hooks, Path policy, Path ops) throws Exception {
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "run", "--socket-hooks=" + hooks, "--policy", policy.toString(), "--",
        sockops.toString(), ops.toString());
    assertEquals(0, r.code(), r.err());
    return r.out().lines().toList();
  }

  @Test
  void theHooksDecideAsTheSupervisorDoes() throws Exception {
    Path policy = policy();
    ChildJvm.Result explain = ChildJvm.evfilter(work, List.of(), "explain", "--policy", policy.toString());
    assertTrue(explain.out().contains("cgroup eBPF decides connect in the kernel"), explain.out());
    assertTrue(explain.out().contains("cgroup eBPF decides bind in the kernel"), explain.out());
    assertTrue(explain.out().contains("[cgroup-eBPF]"), explain.out());
    Path ops = Files.write(work.resolve("ops"), ops());
    List<String> supervisor = run("off", policy, ops);
    Files.deleteIfExists(work.resolve("mine.sock"));
    List<String> hooks = run("auto", policy, ops);
    StringBuilder table = new StringBuilder("\nsocket operations: supervisor | cgroup eBPF\n");
    for (int i = 0; i < supervisor.size(); i++) {
      table.append(String.format("  %-58s %s%n", supervisor.get(i), i < hooks.size() ? hooks.get(i).substring(hooks.get(i).lastIndexOf(": ") + 2) : "?"));
    }
    System.err.print(table);
    assertEquals(supervisor, hooks);
    // The rules did refuse, with their errnos (a test that cannot fail is no test).
    assertTrue(hooks.contains("connect tcp4 127.0.0.1 " + other + ": ECONNREFUSED"), hooks.toString());
    assertTrue(hooks.contains("connect udp6 ::ffff:10.9.9.9 54: EHOSTUNREACH"), hooks.toString());
    assertTrue(hooks.contains("connect udp4 10.1.2.3 53: ok"), hooks.toString());
    assertTrue(hooks.contains("bind udp4 127.0.0.1 1023: EACCES"), hooks.toString());
    assertNoLeaves();
  }

  @Test
  void theCommandCannotLeaveItsLeaf() throws Exception {
    Path policy = policy();
    Path ops = Files.write(work.resolve("ops"), List.of("connect tcp4 127.0.0.1 " + other));
    Path mount = CgroupLeaf.mount().orElseThrow();
    String script = "grep '^0::' /proc/self/cgroup; echo $$ > " + mount + "/cgroup.procs; echo moved $?;"
        + " echo $$ > /proc/1/root" + mount + "/cgroup.procs; echo moved $?; mkdir " + mount + "/" + CgroupLeaf.PARENT
        + "/escape 2>/dev/null; echo made $?; grep '^0::' /proc/self/cgroup; " + sockops + " " + ops;
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "run", "--policy", policy.toString(), "--", "/bin/sh", "-c", script);
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of("0::/", "moved 2", "moved 2", "made 1", "0::/", "connect tcp4 127.0.0.1 " + other + ": ECONNREFUSED"),
        r.out().lines().toList(), r.err());
    assertFalse(Files.exists(mount.resolve(CgroupLeaf.PARENT).resolve("escape")));
    assertNoLeaves();
  }

  @Test
  void aProcessOutsideTheLeafIsUnaffected() throws Exception {
    Path policy = policy();
    Path ops = Files.write(work.resolve("ops"), List.of("connect tcp4 127.0.0.1 " + other, "bind udp4 127.0.0.1 1023"));
    Process sandboxed = new ProcessBuilder(List.of(System.getProperty("java.home") + "/bin/java", "-cp", System.getProperty("java.class.path"),
        "org.evfilter.cli.Main", "run", "--policy", policy.toString(), "--", "/bin/sh", "-c", sockops + " " + ops + "; sleep 2"))
        .redirectErrorStream(true).start();
    try {
      TimeUnit.MILLISECONDS.sleep(1500);
      Process outside = new ProcessBuilder(sockops.toString(), ops.toString()).redirectErrorStream(true).start();
      String out = new String(outside.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, outside.waitFor());
      assertEquals(List.of("connect tcp4 127.0.0.1 " + other + ": ok", "bind udp4 127.0.0.1 1023: ok"), out.lines().toList());
      String in = new String(sandboxed.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(in.contains(": ECONNREFUSED") && in.contains("1023: EACCES"), in);
    } finally {
      sandboxed.destroyForcibly().waitFor();
    }
    assertNoLeaves();
  }

  @Test
  void everyGeneratedProgramIsAcceptedByTheVerifier() throws Exception {
    Random r = new Random(20);
    int loaded = 0;
    for (int i = 0; i < 40; i++) {
      BoundPolicy p = bind(RandomSocketPolicies.policy(r));
      SocketHooks.Lowering l = SocketHooks.lower(p, EnumSet.allOf(SocketHooks.Group.class));
      for (SocketHooks.HookProgram hp : l.programs()) {
        try (LoadedProgram prog = LoadedProgram.load(hp.program(), hp.hook(), "evsock_verify")) {
          assertTrue(prog.fd() > 0);
          loaded++;
        }
      }
    }
    assertTrue(loaded >= 40, "only " + loaded + " programs were generated: the random policies are not decidable at hooks");
  }

  @Test
  void probesAroundEveryEdgeGetWhatTheEngineSays() throws Exception {
    Random r = new Random(7);
    for (int round = 0; round < 6; round++) {
      RandomSocketPolicies.Generated g = RandomSocketPolicies.connectPolicy(r);
      BoundPolicy p = bind(g.text());
      SocketHooks.Lowering l = SocketHooks.lower(p, EnumSet.allOf(SocketHooks.Group.class));
      assertTrue(l.decided().containsKey(SocketHooks.Group.CONNECT), g.text() + ": " + l.undecided());
      List<String> probes = new ArrayList<>();
      List<Endpoint> endpoints = new ArrayList<>();
      for (Cidr c : g.networks()) {
        for (IpAddress a : edges(c)) {
          for (int port : g.ports()) {
            boolean v6 = !a.isV4() || r.nextBoolean();
            probes.add("connect udp" + (v6 ? "6 " + (a.isV4() ? "::ffff:" + a : a.toString()) : "4 " + a) + " " + port);
            endpoints.add(Endpoint.inet(a, port, SOCK_DGRAM, UDP, v6));
          }
        }
      }
      Path ops = Files.write(work.resolve("probes"), probes);
      List<String> unconfined = outcomes(new ProcessBuilder(sockops.toString(), ops.toString()).redirectErrorStream(true).start());
      List<String> got;
      try (SocketLeaf leaf = SocketLeaf.attach(l.programs())) {
        Process child = new ProcessBuilder("sh", "-c", "read go; exec " + sockops + " " + ops).redirectErrorStream(true).start();
        Files.writeString(leaf.path().resolve("cgroup.procs"), Long.toString(child.pid()));
        try (OutputStream in = child.getOutputStream()) {
          in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        }
        got = outcomes(child);
      }
      PolicyEngine engine = PolicyEngine.compile(p, Arch.X86_64);
      for (int i = 0; i < probes.size(); i++) {
        BoundPolicy.Verdict v = engine.decide(view(p, endpoints.get(i)), new org.evfilter.predicates.eval.CompiledFilter.Counter());
        String expected = v.kind() == ActionKind.ALLOW ? unconfined.get(i) : RandomSocketPolicies.errnoName(v.data());
        assertEquals(expected, got.get(i), g.text() + "\n" + probes.get(i));
      }
    }
    assertNoLeaves();
  }

  private static final int SOCK_DGRAM = Constants.linux().require("SOCK_DGRAM");
  private static final int UDP = Constants.linux().require("IPPROTO_UDP");

  private static SeccompView view(BoundPolicy p, Endpoint e) {
    int nr = SyscallTable.of(Arch.X86_64).byName("connect").orElseThrow().nr();
    org.evfilter.events.SyscallEvent ev = org.evfilter.events.SyscallEvent.builder(Arch.X86_64, nr).endpoint(e).build();
    return new SeccompView().set(ev, p.labelsOf(e, p.labelResolver(16)));
  }

  // The first and last addresses of the network and their neighbours outside it.
  private static List<IpAddress> edges(Cidr c) {
    List<IpAddress> out = new ArrayList<>(List.of(c.first(), c.last()));
    step(c.first(), -1).filter(a -> a.isV4() == c.first().isV4()).ifPresent(out::add);
    step(c.last(), 1).filter(a -> a.isV4() == c.first().isV4()).ifPresent(out::add);
    return out;
  }

  private static Optional<IpAddress> step(IpAddress a, int by) {
    java.math.BigInteger n = new java.math.BigInteger(1, a.bytes()).add(java.math.BigInteger.valueOf(by));
    if (n.signum() < 0 || n.bitLength() > 128) {
      return Optional.empty();
    }
    byte[] raw = n.toByteArray();
    byte[] b = new byte[16];
    System.arraycopy(raw, Math.max(0, raw.length - 16), b, Math.max(0, 16 - raw.length), Math.min(16, raw.length));
    return Optional.of(IpAddress.of(b));
  }

  private BoundPolicy bind(String text) throws Exception {
    Path f = Files.writeString(work.resolve("r.evf"), text);
    if (!Files.exists(work.resolve("net.labels"))) {
      Files.writeString(work.resolve("net.labels"), RandomSocketPolicies.LABELS);
    }
    return PolicyBinder.load(f, List.of(), KernelFacts.ofThisMachine(), Arch.X86_64);
  }

  private static List<String> outcomes(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out.lines().map(l -> l.substring(l.lastIndexOf(": ") + 2)).toList();
  }

  private static List<Path> leaves() throws Exception {
    Path parent = CgroupLeaf.mount().orElseThrow().resolve(CgroupLeaf.PARENT);
    if (!Files.isDirectory(parent)) {
      return List.of();
    }
    try (var s = Files.list(parent)) {
      return s.filter(Files::isDirectory).toList();
    }
  }

  // No leaf made during the test is left, and no program of ours.
  private void assertNoLeaves() throws Exception {
    List<Path> left = new ArrayList<>(leaves());
    left.removeAll(leavesBefore);
    assertTrue(left.isEmpty(), "leaves left: " + left);
    // A removed cgroup releases its programs a moment later (the kernel frees it from a workqueue).
    String progs = "";
    for (int i = 0; i < 50; i++) {
      Process bpftool = new ProcessBuilder("bpftool", "prog", "show").redirectErrorStream(true).start();
      progs = new String(bpftool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      bpftool.waitFor();
      if (!progs.contains("evsock_")) {
        break;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    assertFalse(progs.contains("evsock_"), progs);
  }
}
