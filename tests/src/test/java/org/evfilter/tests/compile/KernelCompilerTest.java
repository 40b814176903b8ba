package org.evfilter.tests.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.FilterException;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.Instruction;
import org.evfilter.lsm.bpf.Opcodes;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.bpf.SeccompReturn;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Compiled programs on the real kernel: each is installed on a thread of a child process (never
 * this JVM), probe syscalls with chosen arguments and ABIs run under it, and the kernel's decision
 * must equal the interpreter's. Every action is first turned into a distinct errno, so no probe
 * actually executes; that every program installs is part of the check.
 */
@Tag("kernel")
class KernelCompilerTest {
  private static final int POLICIES = 120;
  private static final int PROBES = 160;
  private static final int ERRNO_BASE = 3000;
  // Linux 6.11+ and 6.16+ let uretprobe and uprobe past every filter (they are only for the kernel's
  // trampolines, and fault elsewhere): no filter decides them.
  private static final java.util.Set<Long> UNFILTERED = java.util.Set.of(335L, 336L);
  private static Path prober;
  // Whether this kernel takes i386 syscalls (int 0x80) from a 64-bit task: some builds run without
  // IA32 emulation, and there the attack the i386 probes stand for does not exist.
  private static boolean int80;

  static Path work;

  @BeforeAll
  static void buildProber() throws Exception {
    Optional<String> why = unavailable();
    if (why.isPresent()) {
      System.err.println("\n*** SKIPPED: compiled programs not checked on the kernel: " + why.get() + " ***\n");
    }
    Assumptions.assumeTrue(why.isEmpty(), () -> why.get());
    work = Files.createDirectories(Path.of("target/kernel-compiler"));
    prober = work.resolve("seccomp_probe");
    Process gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Werror", "-o", prober.toString(),
        Path.of("src/test/c/seccomp_probe.c").toAbsolutePath().toString(), "-lpthread").redirectErrorStream(true).start();
    String out = new String(gcc.getInputStream().readAllBytes());
    assertEquals(0, gcc.waitFor(), out);
    Process check = new ProcessBuilder(prober.toString(), "--int80").redirectErrorStream(true).start();
    String said = new String(check.getInputStream().readAllBytes());
    int80 = check.waitFor() == 0 && said.trim().equals("int80 ok");
    if (!int80) {
      System.err.println("\n*** i386 probes NOT RUN: this kernel refuses int 0x80 from 64-bit tasks (no IA32 emulation: the prober"
          + " got " + (check.exitValue() > 128 ? "signal " + (check.exitValue() - 128) : said.trim()) + "); x86_64 probes only ***\n");
    }
  }

  private static Optional<String> unavailable() {
    if (!System.getProperty("os.name").equals("Linux") || !System.getProperty("os.arch").equals("amd64")) {
      return Optional.of("the prober is x86_64 Linux code");
    }
    if (!Files.exists(Path.of("/proc/sys/kernel/seccomp/actions_avail"))) {
      return Optional.of("this kernel has no seccomp filter mode (/proc/sys/kernel/seccomp/actions_avail)");
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, "gcc"))) {
        return Optional.empty();
      }
    }
    return Optional.of("no gcc to build the prober");
  }

  @Test
  void theKernelDecidesLikeTheInterpreter() throws Exception {
    int policies = 0;
    int probes = 0;
    for (long seed = 1; policies < POLICIES; seed++) {
      RandomPolicies gen = new RandomPolicies(1000 + seed, seed % 4 == 0);
      String text = gen.policy();
      BoundPolicy policy;
      try {
        policy = PolicyBinder.bind("random-" + seed + ".evf", text, KernelFacts.of(2, Map.of()));
      } catch (FilterException e) {
        continue;
      }
      BpfProgram program = SeccompCompiler.compile(policy, SeccompCompiler.Options.defaults()).program();
      List<long[]> calls = new ArrayList<>();
      for (int i = 0; i < PROBES; i++) {
        boolean i386 = gen.random().nextInt(12) == 0 && int80;
        long[] call = new long[8];
        call[0] = i386 ? 32 : 64;
        call[1] = gen.syscallNumber() & 0xffffffffL;
        if (!i386 && UNFILTERED.contains(call[1])) {
          call[1] = 0;
        }
        for (int a = 0; a < 6; a++) {
          call[2 + a] = i386 ? gen.argument() & 0xffffffffL : gen.argument();
        }
        calls.add(call);
      }
      probes += assertKernelAgrees(program, calls, "policy\n" + text);
      policies++;
    }
    System.out.printf("compiled programs on the kernel: %d policies, %d probes, 0 differ%n", policies, probes);
    assertEquals(POLICIES * PROBES, probes);
  }

  @Test
  void i386ProgramsDecideOnTheKernelAsInTheInterpreter() throws Exception {
    Assumptions.assumeTrue(int80, "this kernel refuses int 0x80 from 64-bit tasks (no IA32 emulation)");
    int policies = 0;
    int probes = 0;
    for (long seed = 1; policies < POLICIES / 3; seed++) {
      RandomPolicies gen = new RandomPolicies(5000 + seed, false, Arch.I386);
      String text = gen.policy();
      BoundPolicy policy;
      try {
        policy = PolicyBinder.bind("i386-" + seed + ".evf", text, KernelFacts.of(2, Map.of()), Arch.I386);
      } catch (FilterException e) {
        continue;
      }
      BpfProgram program = SeccompCompiler.compile(policy,
          new SeccompCompiler.Options(Arch.I386, org.evfilter.predicates.eval.PolicyEngine.BAD_ARCH, false, Map.of(), true)).program();
      List<long[]> calls = new ArrayList<>();
      for (int i = 0; i < PROBES; i++) {
        // Mostly int 0x80, the ABI of the program; some native calls, which are a foreign arch here.
        boolean native64 = gen.random().nextInt(10) == 0;
        long[] call = new long[8];
        call[0] = native64 ? 64 : 32;
        call[1] = gen.syscallNumber() & 0xffffffffL;
        if (native64 && UNFILTERED.contains(call[1])) {
          call[1] = 0;
        }
        for (int a = 0; a < 5; a++) {
          call[2 + a] = gen.argument() & 0xffffffffL;
        }
        calls.add(call);
      }
      probes += assertKernelAgrees(program, calls, "policy\n" + text);
      policies++;
    }
    System.out.printf("i386 programs on the kernel: %d policies, %d probes through int 0x80, 0 differ%n", policies, probes);
  }

  @Test
  void dockersProfileDecidesOnTheKernelAsInTheInterpreter() throws Exception {
    // shared/profiles beside the checkout, or above a worktree.
    Path profile = java.util.stream.Stream.iterate(Path.of("").toAbsolutePath(), java.util.Objects::nonNull, Path::getParent)
        .map(dir -> dir.resolve("shared/profiles/docker-default.json")).filter(Files::isRegularFile).findFirst().orElse(null);
    if (profile == null) {
      System.err.println("\n*** SKIPPED: Docker's profile not checked on the kernel: no shared/profiles/docker-default.json above "
          + Path.of("").toAbsolutePath() + " ***\n");
      Assumptions.assumeTrue(false, "no shared profiles");
    }
    String text = org.evfilter.lsm.profiles.OciProfile.read(profile, Arch.X86_64, java.util.Set.of(), "6.1").policy();
    BoundPolicy policy = PolicyBinder.bind("docker.evf", text, KernelFacts.of(2, Map.of()));
    BpfProgram program = SeccompCompiler.compile(policy, SeccompCompiler.Options.defaults()).program();
    List<long[]> calls = new ArrayList<>();
    // Every number of the table and around it, with Docker's argument edge cases: AF_VSOCK with
    // high bits set (libseccomp lets it through), clone namespace flags, personality values.
    for (int nr = 0; nr < 480; nr++) {
      if (!UNFILTERED.contains((long) nr)) {
        calls.add(new long[] {64, nr, 0, 1, 0, 0, 0, 0});
      }
    }
    int socket = org.evfilter.events.syscalls.SyscallTable.of(Arch.X86_64).byName("socket").orElseThrow().nr();
    int clone = org.evfilter.events.syscalls.SyscallTable.of(Arch.X86_64).byName("clone").orElseThrow().nr();
    int personality = org.evfilter.events.syscalls.SyscallTable.of(Arch.X86_64).byName("personality").orElseThrow().nr();
    for (long family : new long[] {1, 2, 37, 38, 39, 40, 41, 0x100000028L, 0xffffffff00000028L, 0x100000002L}) {
      calls.add(new long[] {64, socket, family, 1, 0, 0, 0, 0});
    }
    for (long flags : new long[] {0x11, 0x10000000, 0x20000000, 0x40000000, 0x100000000L, 0x7e020000}) {
      calls.add(new long[] {64, clone, flags, 0, 0, 0, 0, 0});
    }
    for (long p : new long[] {0, 8, 0x20000, 0x20008, 0xffffffffL, 0x100000000L, 1, 0x400000}) {
      calls.add(new long[] {64, personality, p, 0, 0, 0, 0, 0});
    }
    calls.add(new long[] {64, 0x40000000L | 1, 0, 0, 0, 0, 0, 0});
    if (int80) {
      calls.add(new long[] {32, 20, 0, 0, 0, 0, 0, 0});
    }
    assertKernelAgrees(program, calls, "Docker's profile");
    // AF_VSOCK is refused whatever the high word holds.
    int vsock = program.run(new SeccompData(socket, (int) Arch.X86_64.auditArch(), 0, new long[] {0x100000028L, 1, 0, 0, 0, 0})).value();
    assertEquals("ERRNO(1)", org.evfilter.lsm.bpf.Disassembler.action(vsock));
    System.out.printf("Docker's profile on the kernel: %d probes, 0 differ%n", calls.size());
  }

  @Test
  void bubblewrapLoadsTheRawProgram() throws Exception {
    Optional<Path> bwrap = Optional.empty();
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, "bwrap"))) {
        bwrap = Optional.of(Path.of(dir, "bwrap"));
      }
    }
    if (bwrap.isEmpty()) {
      System.err.println("\n*** SKIPPED: bwrap --seccomp not tested: no bubblewrap (apt-get install bubblewrap) ***\n");
      Assumptions.assumeTrue(false, "no bwrap");
    }
    BoundPolicy policy = PolicyBinder.bind("deny-mkdir.evf", "default allow\nerrno(EROFS) mkdir, mkdirat\n", KernelFacts.of(2, Map.of()));
    Path raw = work.resolve("deny-mkdir.bpf");
    Files.write(raw, SeccompCompiler.compile(policy, SeccompCompiler.Options.defaults()).program().toRaw());
    Path made = work.resolve("made-" + System.nanoTime());
    Process p = new ProcessBuilder("sh", "-c", "exec \"$0\" --bind / / --seccomp 3 mkdir \"$1\" 3< \"$2\"",
        bwrap.get().toString(), made.toAbsolutePath().toString(), raw.toAbsolutePath().toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue(), out);
    assertTrue(out.contains("Read-only file system"), out);
    assertTrue(!Files.exists(made));
    Process ok = new ProcessBuilder("sh", "-c", "exec \"$0\" --bind / / --seccomp 3 true 3< \"$1\"",
        bwrap.get().toString(), raw.toAbsolutePath().toString()).redirectErrorStream(true).start();
    String okOut = new String(ok.getInputStream().readAllBytes());
    assertTrue(ok.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, ok.exitValue(), okOut);
  }

  /**
   * Installs {@code program} (actions as errnos) in the prober, makes each call ({abi, nr, args...})
   * and requires the kernel to answer as the interpreter; returns the calls compared.
   */
  static int assertKernelAgrees(BpfProgram program, List<long[]> calls, String context) throws Exception {
    Map<Integer, Integer> errnos = new LinkedHashMap<>();
    BpfProgram probing = actionsAsErrnos(program, errnos);
    StringBuilder input = new StringBuilder();
    for (long[] call : calls) {
      input.append(call[0]);
      for (int v = 1; v < call.length; v++) {
        input.append(' ').append(Long.toHexString(call[v]));
      }
      input.append('\n');
    }
    List<String> kernel = probe(probing, input.toString());
    assertEquals("installed", kernel.get(0), "the kernel refused the program of " + context);
    for (int i = 0; i < calls.size(); i++) {
      long[] c = calls.get(i);
      Arch abi = c[0] == 32 ? Arch.I386 : Arch.X86_64;
      long[] args = java.util.Arrays.copyOfRange(c, 2, 8);
      if (abi == Arch.I386) {
        // The prober leaves ebp (arg5) alone: policies probed through int 0x80 never read it.
        args[5] = 0;
      }
      int expected = program.run(new SeccompData((int) c[1], (int) abi.auditArch(), 0, args)).value();
      assertEquals((int) errnos.get(expected), Integer.parseInt(kernel.get(1 + i)), context + "\nprobe " + java.util.Arrays.toString(c));
    }
    return calls.size();
  }

  // The same program with each distinct return value replaced by ERRNO(3000 + i).
  static BpfProgram actionsAsErrnos(BpfProgram p, Map<Integer, Integer> errnos) {
    List<Instruction> out = new ArrayList<>();
    for (Instruction i : p.instructions()) {
      if (i.code() == (Opcodes.RET | Opcodes.K)) {
        int errno = errnos.computeIfAbsent(i.k(), k -> ERRNO_BASE + errnos.size());
        out.add(Instruction.stmt(i.code(), SeccompReturn.ERRNO | errno));
      } else {
        out.add(i);
      }
    }
    return BpfProgram.of(out);
  }

  static List<String> probe(BpfProgram p, String input) throws IOException, InterruptedException {
    Path raw = Files.createTempFile(work, "prog", ".raw");
    Files.write(raw, p.toRaw());
    Process proc = new ProcessBuilder(prober.toString(), raw.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    proc.getOutputStream().write(input.getBytes());
    proc.getOutputStream().close();
    String out = new String(proc.getInputStream().readAllBytes());
    assertTrue(proc.waitFor(30, TimeUnit.SECONDS), "the prober hangs");
    if (proc.exitValue() != 0) {
      Files.writeString(work.resolve("input"), input);
      throw new AssertionError("the prober ended with " + proc.exitValue() + " on " + raw + " and " + work.resolve("input"));
    }
    Files.delete(raw);
    return out.lines().toList();
  }
}
