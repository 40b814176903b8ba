package org.evfilter.lsm.ebpf;

import static org.evfilter.lsm.ebpf.Register.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.evfilter.events.syscalls.Errno;
import org.evfilter.events.tracefs.TracingInstance;
import org.evfilter.lsm.cgroup.CgroupLeaf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The eBPF toolkit against the running kernel: cgroup connect programs refuse for the processes in
 * a leaf only, with EPERM or the errno {@code bpf_set_retval} sets; the verifier's refusal names the
 * rule; a tracepoint program counts one process's syscalls; the disassembler agrees with bpftool;
 * and nothing stays attached afterwards.
 */
@Tag("kernel")
class EbpfKernelTest {
  /** Every program and map here is named with this prefix, so bpftool can tell whether one is left. */
  private static final String PREFIX = "evft_";

  private final List<Process> children = new ArrayList<>();
  private final List<CgroupLeaf> leaves = new ArrayList<>();

  @BeforeAll
  static void kernelAvailable() {
    String why = BpfMap.unavailable().orElse(CgroupLeaf.mount().isEmpty() ? "no cgroup v2 mount" : null);
    if (why != null) {
      System.err.println("\n*** SKIPPED: eBPF toolkit not checked against the kernel: " + why + " ***\n");
    }
    final String reason = why;
    Assumptions.assumeTrue(reason == null, () -> "eBPF toolkit not checked: " + reason);
  }

  @AfterEach
  void nothingStaysAttached() throws Exception {
    for (Process p : children) {
      p.destroyForcibly().waitFor();
    }
    // A test that failed with a child still in its leaf could not remove it: the child is dead now.
    for (CgroupLeaf leaf : leaves) {
      for (int tries = 0; tries < 50 && !leaf.remove(); tries++) {
        Thread.sleep(20);
      }
      assertFalse(Files.exists(leaf.path()), leaf.path() + " is left behind");
    }
    // The kernel frees a closed program and then its maps after an RCU grace period: wait for it.
    String left = "";
    for (int tries = 0; tries < 50; tries++) {
      left = (run("bpftool", "prog", "show") + run("bpftool", "map", "show")).lines().filter(l -> l.contains(PREFIX))
          .reduce("", (a, b) -> a + b + "\n");
      if (left.isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    assertEquals("", left, "programs or maps left");
  }

  /**
   * A connect4 program refusing connections to {@code port} (with {@code errno} through
   * bpf_set_retval, or 0 for the default EPERM) and allowing the rest.
   */
  private static Program refusing(int port, Object origin, int errno) {
    Assembler a = new Assembler();
    Assembler.Label allow = a.label("allow");
    a.origin(origin)
        .ldx(Size.W, R2, R1, SockAddrContext.USER_PORT)
        .jump(JumpOp.JNE, R2, SockAddrContext.networkOrder16(port), allow);
    if (errno != 0) {
      a.mov(R1, -errno).call(Helper.SET_RETVAL);
    }
    return a.mov(R0, 0).exit().noOrigin().bind(allow).mov(R0, 1).exit().assemble();
  }

  @Test
  void aConnectProgramRefusesOnePortForTheLeafOnly() throws Exception {
    try (ServerSocket refused = listener(); ServerSocket other = listener();
        CgroupLeaf leaf = leaf();
        LoadedProgram p = LoadedProgram.load(refusing(refused.getLocalPort(), "deny port", 0),
            AttachType.CGROUP_INET4_CONNECT, PREFIX + "conn");
        CgroupAttachment attached = CgroupAttachment.attach(leaf.path(), p, AttachType.CGROUP_INET4_CONNECT)) {
      assertEquals("connect: Operation not permitted", connectInLeaf(leaf, refused.getLocalPort()));
      // A UDP connect() sends nothing and runs the same hook: a cheap probe of any address and port.
      assertEquals("connect: Operation not permitted", output(inLeaf(leaf, "read go; " + connectScript("udp", "127.0.0.2", refused.getLocalPort()))));
      assertEquals("connected", output(inLeaf(leaf, "read go; " + connectScript("udp", "127.0.0.2", other.getLocalPort()))));
      assertEquals("connected", connectInLeaf(leaf, other.getLocalPort()));
      assertEquals("connected", connect(refused.getLocalPort()), "a process outside the leaf is not affected");
      assertFalse(attached.isLink());
    }
  }

  @Test
  void setRetvalChoosesTheErrnoOfARefusal() throws Exception {
    record Case(int errno, String text) {}
    List<Case> cases = List.of(new Case(Errno.EACCES, "Permission denied"), new Case(111, "Connection refused"),
        new Case(101, "Network is unreachable"));
    for (Case c : cases) {
      try (ServerSocket refused = listener(); CgroupLeaf leaf = leaf();
          LoadedProgram p = LoadedProgram.load(refusing(refused.getLocalPort(), "deny port", c.errno),
              AttachType.CGROUP_INET4_CONNECT, PREFIX + "retval");
          CgroupAttachment linked = CgroupAttachment.link(leaf.path(), p, AttachType.CGROUP_INET4_CONNECT)) {
        assertTrue(linked.isLink());
        assertEquals("connect: " + c.text, connectInLeaf(leaf, refused.getLocalPort()), "errno " + c.errno);
        assertEquals("connected", connect(refused.getLocalPort()));
      }
    }
  }

  @Test
  void theRetvalDecidesEvenWhenTheProgramAllows() throws Exception {
    // (retval set, program returns) -> what connect() says: an error retval fails the call whatever
    // the program returns; a value that is not -1..-4095 leaves a refusal at EPERM.
    record Case(int retval, int returns, String says) {}
    for (Case c : List.of(new Case(-Errno.EACCES, 1, "connect: Permission denied"),
        new Case(5, 0, "connect: Operation not permitted"), new Case(-4096, 0, "connect: Operation not permitted"))) {
      try (ServerSocket server = listener(); CgroupLeaf leaf = leaf();
          LoadedProgram p = LoadedProgram.load(new Assembler().mov(R1, c.retval).call(Helper.SET_RETVAL).mov(R0, c.returns).exit()
              .assemble(), AttachType.CGROUP_INET4_CONNECT, PREFIX + "retval");
          CgroupAttachment linked = CgroupAttachment.link(leaf.path(), p, AttachType.CGROUP_INET4_CONNECT)) {
        assertEquals(c.says, connectInLeaf(leaf, server.getLocalPort()), c + (linked.isLink() ? " (link)" : ""));
      }
    }
  }

  @Test
  void setRetvalLoadsAtTheHooksThatHaveIt() {
    Program p = new Assembler().mov(R1, -Errno.EACCES).call(Helper.SET_RETVAL).mov(R0, 1).exit().assemble();
    for (AttachType hook : List.of(AttachType.CGROUP_INET4_CONNECT, AttachType.CGROUP_INET6_CONNECT, AttachType.CGROUP_INET4_BIND,
        AttachType.CGROUP_INET6_BIND, AttachType.CGROUP_UDP4_SENDMSG, AttachType.CGROUP_UDP6_SENDMSG,
        AttachType.CGROUP_INET_SOCK_CREATE, AttachType.CGROUP_INET_SOCK_RELEASE, AttachType.CGROUP_INET4_POST_BIND,
        AttachType.CGROUP_DEVICE, AttachType.CGROUP_SYSCTL, AttachType.CGROUP_GETSOCKOPT, AttachType.CGROUP_SETSOCKOPT)) {
      try (LoadedProgram loaded = LoadedProgram.load(p, hook, PREFIX + "retval")) {
        assertEquals(Optional.of(hook), loaded.attachType());
      }
    }
  }

  @Test
  void setRetvalIsRefusedAtHooksWithoutIt() {
    for (AttachType hook : List.of(AttachType.CGROUP_UDP4_RECVMSG, AttachType.CGROUP_INET4_GETPEERNAME, AttachType.CGROUP_INET_EGRESS)) {
      Program p = new Assembler().mov(R1, -Errno.EACCES).origin("the errno of rule 1").call(Helper.SET_RETVAL).noOrigin().mov(R0, 1)
          .exit().assemble();
      EbpfException e = assertThrows(EbpfException.class, () -> LoadedProgram.load(p, hook, PREFIX + "noretval").close());
      EbpfError.VerifierRefused r = assertInstanceOf(EbpfError.VerifierRefused.class, e.error(), hook.toString());
      assertEquals("instruction 1 (from the errno of rule 1): program of this type cannot use helper bpf_set_retval#187",
          r.message().substring(r.message().indexOf("instruction")));
    }
  }

  @Test
  void aRefusedProgramNamesTheRuleThatProducedTheInstruction() {
    Program p = new Assembler().origin("allow connect: port == 443").mov(R0, 1)
        .origin("allow connect: addr == 10.0.0.1").mov(R0, R2).exit().assemble();
    EbpfException e = assertThrows(EbpfException.class,
        () -> LoadedProgram.load(p, AttachType.CGROUP_INET4_CONNECT, PREFIX + "bad").close());
    EbpfError.VerifierRefused r = assertInstanceOf(EbpfError.VerifierRefused.class, e.error());
    assertEquals(1, r.instruction());
    assertEquals(Optional.of("allow connect: addr == 10.0.0.1"), r.origin());
    assertEquals("R2 !read_ok", r.reason());
    assertEquals(Errno.EACCES, r.errno());
  }

  @Test
  void aTracepointProgramCountsOneProcesssSyscalls() throws Exception {
    long event = sysEnterId();
    Process child = start("read go; for i in 1 2 3 4 5 6 7 8 9 10; do for j in 1 2 3 4 5 6 7 8 9 10; do read -r l < /proc/self/stat; done; done");
    try (BpfMap counts = BpfMap.counters(MapType.ARRAY, 1, PREFIX + "count");
        BpfMap perCpu = BpfMap.counters(MapType.PERCPU_ARRAY, 1, PREFIX + "percpu")) {
      Assembler a = new Assembler();
      Assembler.Label out = a.label("out");
      Assembler.Label second = a.label("second");
      Program prog = a.call(Helper.GET_CURRENT_PID_TGID)
          .alu64(AluOp.RSH, R0, 32)
          .jump(JumpOp.JNE, R0, (int) child.pid(), out)
          .st(Size.W, R10, -4, 0)
          // An array shared by the CPUs: an atomic add.
          .mov(R2, R10).alu64(AluOp.ADD, R2, -4)
          .ldMapFd(R1, counts.fd())
          .call(Helper.MAP_LOOKUP_ELEM)
          .jump(JumpOp.JEQ, R0, 0, second)
          .mov(R1, 1)
          .atomicAdd(Size.DW, R0, 0, R1)
          // A per-CPU array: this CPU's own counter, a plain add.
          .bind(second).mov(R2, R10).alu64(AluOp.ADD, R2, -4)
          .ldMapFd(R1, perCpu.fd())
          .call(Helper.MAP_LOOKUP_ELEM)
          .jump(JumpOp.JEQ, R0, 0, out)
          .ldx(Size.DW, R1, R0, 0).alu64(AluOp.ADD, R1, 1).stx(Size.DW, R0, 0, R1)
          .bind(out).mov(R0, 0).exit()
          .assemble();
      try (LoadedProgram p = LoadedProgram.load(prog, ProgramType.TRACEPOINT, PREFIX + "count")) {
        TracepointAttachment attached = TracepointAttachment.attach(p, event);
        try (OutputStream in = child.getOutputStream()) {
          in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        long counted = counts.counter(0);
        assertTrue(counted >= 300, "100 times open, read and close, at least: " + counted);
        assertEquals(counted, perCpu.counter(0), "the per-CPU counters summed");
        Files.readString(Path.of("/proc/self/stat"));
        Thread.sleep(50);
        assertEquals(counted, counts.counter(0), "the test's own syscalls are not counted");
        attached.close();
        child = start("true");
        assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        assertEquals(counted, counts.counter(0), "detached");
      }
    }
  }

  @Test
  void aHashMapIsReadWrittenAndEmptiedFromUserSpace() {
    try (BpfMap m = BpfMap.create(MapType.HASH, 4, 8, 16, PREFIX + "hash")) {
      byte[] key = BpfMap.key(443);
      byte[] value = {1, 2, 3, 4, 5, 6, 7, 8};
      assertEquals(Optional.empty(), m.lookup(key));
      m.update(key, value);
      assertEquals(List.of(value[0], value[7]), m.lookup(key).map(v -> List.of(v[0], v[7])).orElseThrow());
      assertTrue(m.delete(key));
      assertFalse(m.delete(key));
      assertTrue(m.id() > 0);
      EbpfException e = assertThrows(EbpfException.class, () -> BpfMap.create(MapType.ARRAY, 4, 8, 0, PREFIX + "empty"));
      assertEquals(new EbpfError.CallFailed("BPF_MAP_CREATE", Errno.EINVAL), e.error());
    }
  }

  @Test
  void theDisassemblerAgreesWithBpftool() throws Exception {
    Assembler a = new Assembler();
    Assembler.Label skip = a.label("skip");
    Program prog = a.mov(R6, R1)
        .call(Helper.GET_CURRENT_PID_TGID)
        .mov(R2, R0).alu64(AluOp.RSH, R2, 32).alu32(AluOp.AND, R2, 0xffff).alu64(AluOp.LSH, R2, 3)
        .ldImm64(R3, 0x1234_5678_9abcL)
        .jump(JumpOp.JGT, R2, R3, skip)
        .jump32(JumpOp.JSLE, R2, -5, skip)
        .stx(Size.DW, R10, -8, R2).st(Size.W, R10, -16, 7).ldx(Size.DW, R4, R10, -8)
        .alu64(AluOp.XOR, R4, R2).alu64(AluOp.NEG, R4, 0).toBigEndian(R4, 32)
        .bind(skip).mov(R0, 0).exit()
        .assemble();
    try (LoadedProgram p = LoadedProgram.load(prog, ProgramType.TRACEPOINT, PREFIX + "xcheck")) {
      String bpftool = run("bpftool", "prog", "dump", "xlated", "id", Integer.toString(p.id()));
      // In the kernel's dump a helper call holds the helper's address, which bpftool names from
      // kallsyms and prints after '#'; the verifier's log (and this disassembler) print its id there.
      assertEquals(bpftool.replaceAll("(call \\w+)#\\d+", "$1"), Disassembler.text(prog).replaceAll("(call \\w+)#\\d+", "$1"));
      assertEquals(Disassembler.text(prog).replaceAll("call .*", "call"),
          Disassembler.text(p.xlated(), Disassembler.MapReference.ID).replaceAll("call .*", "call"),
          "the kernel's dump decodes to the program loaded (the verifier rewrote nothing in this one)");
    }
  }

  private CgroupLeaf leaf() {
    CgroupLeaf leaf = CgroupLeaf.create();
    leaves.add(leaf);
    return leaf;
  }

  private static ServerSocket listener() throws IOException {
    return new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
  }

  /** Connects from a child moved into {@code leaf} before it connects: "connected" or bash's error. */
  private String connectInLeaf(CgroupLeaf leaf, int port) throws Exception {
    return output(inLeaf(leaf, "read go; " + connectScript("tcp", "127.0.0.1", port)));
  }

  /** A child running {@code script} (which starts by reading a line), moved into {@code leaf}, then let go. */
  private Process inLeaf(CgroupLeaf leaf, String script) throws Exception {
    Process child = start(script);
    leaf.moveIn(child.pid());
    try (OutputStream in = child.getOutputStream()) {
      in.write("go\n".getBytes(StandardCharsets.US_ASCII));
    }
    return child;
  }

  private String connect(int port) throws Exception {
    return output(start(connectScript("tcp", "127.0.0.1", port)));
  }

  private static String connectScript(String protocol, String address, int port) {
    return "exec 2>&1; if exec 3<>/dev/" + protocol + "/" + address + "/" + port + "; then echo connected; fi";
  }

  private Process start(String script) throws IOException {
    Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    children.add(p);
    return p;
  }

  private static String output(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    // bash says "bash: line 1: connect: Operation not permitted", then a second line naming the path.
    return out.lines().map(l -> l.replaceFirst("^bash: (line \\d+: )?", "")).filter(l -> !l.contains("/dev/tcp")).findFirst().orElse("");
  }

  private static long sysEnterId() throws Exception {
    Optional<Path> tracefs = TracingInstance.mounted();
    if (tracefs.isPresent()) {
      return TracepointAttachment.eventId(tracefs.get(), "raw_syscalls", "sys_enter");
    }
    // Mounted only in a private mount namespace: the ids are the kernel's, the same everywhere.
    return Long.parseLong(run("unshare", "-m", "--propagation", "private", "sh", "-c",
        "mount -t tracefs nodev /sys/kernel/tracing && cat /sys/kernel/tracing/events/raw_syscalls/sys_enter/id").strip());
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    return out;
  }
}
