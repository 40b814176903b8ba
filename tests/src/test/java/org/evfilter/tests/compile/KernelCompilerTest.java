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
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compiled programs on the real kernel: each is installed on a thread of a child process (never
 * this JVM), probe syscalls with chosen arguments and ABIs run under it, and the kernel's decision
 * must equal the interpreter's. Every action is first turned into a distinct errno, so no probe
 * actually executes; that every program installs is part of the check.
 */
class KernelCompilerTest {
  private static final int POLICIES = 120;
  private static final int PROBES = 160;
  private static final int ERRNO_BASE = 3000;
  private static final long URETPROBE = 335;
  private static Path prober;

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
      Map<Integer, Integer> errnos = new LinkedHashMap<>();
      BpfProgram probing = actionsAsErrnos(program, errnos);
      List<long[]> calls = new ArrayList<>();
      StringBuilder input = new StringBuilder();
      for (int i = 0; i < PROBES; i++) {
        boolean i386 = gen.random().nextInt(12) == 0;
        long[] call = new long[8];
        call[0] = i386 ? 32 : 64;
        call[1] = gen.syscallNumber() & 0xffffffffL;
        if (!i386 && call[1] == URETPROBE) {
          // Linux 6.11+ lets uretprobe past every filter (it is only for the kernel's trampoline): not a filter decision.
          call[1] = 0;
        }
        for (int a = 0; a < 6; a++) {
          call[2 + a] = i386 ? gen.argument() & 0xffffffffL : gen.argument();
        }
        calls.add(call);
        input.append(call[0]);
        for (int v = 1; v < call.length; v++) {
          input.append(' ').append(Long.toHexString(call[v]));
        }
        input.append('\n');
      }
      List<String> kernel = probe(probing, input.toString());
      assertEquals("installed", kernel.get(0), "the kernel refused the program of\n" + text);
      for (int i = 0; i < calls.size(); i++) {
        long[] c = calls.get(i);
        Arch abi = c[0] == 32 ? Arch.I386 : Arch.X86_64;
        long[] args = java.util.Arrays.copyOfRange(c, 2, 8);
        if (abi == Arch.I386) {
          // The prober leaves ebp (arg5) alone; the arch check decides i386 calls before any argument.
          args[5] = 0;
        }
        int expected = program.run(new SeccompData((int) c[1], (int) abi.auditArch(), 0, args)).value();
        int kernelErrno = Integer.parseInt(kernel.get(1 + i));
        assertEquals((int) errnos.get(expected), kernelErrno, "policy\n" + text + "probe " + java.util.Arrays.toString(c));
        probes++;
      }
      policies++;
    }
    System.out.printf("compiled programs on the kernel: %d policies, %d probes, 0 differ%n", policies, probes);
    assertEquals(POLICIES * PROBES, probes);
  }

  // The same program with each distinct return value replaced by ERRNO(3000 + i).
  static BpfProgram actionsAsErrnos(BpfProgram p, Map<Integer, Integer> errnos) {
    List<Instruction> out = new ArrayList<>();
    for (Instruction i : p.instructions()) {
      if (i.code() == (Opcodes.RET | Opcodes.K)) {
        int errno = errnos.computeIfAbsent(i.k(), k -> ERRNO_BASE + errnos.size());
        out.add(Instruction.stmt(i.code(), 0x00050000 | errno));
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
