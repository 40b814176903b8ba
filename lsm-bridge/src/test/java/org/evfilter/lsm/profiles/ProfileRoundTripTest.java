package org.evfilter.lsm.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.profiles.OciExport.NarrowComparisons;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Docker's profile imported, exported and imported again decides every call as the first import
 * did: every syscall number of the table (and some beyond it), boundary values in each argument.
 */
class ProfileRoundTripTest {
  private static final Arch ARCH = Arch.X86_64;
  private static final ObjectMapper JSON = new ObjectMapper();
  // Docker's socket and personality operands and their neighbours, word and sign edges, the
  // same with the high word set (which the kernel drops from an int), clone's namespace flags.
  static final long[] BOUNDARIES = {0, 1, 2, 8, 37, 38, 39, 40, 41, 0x20000, 0x20008, 0x7fffffffL, 0x80000000L, 0xffffffffL,
      1L << 32, 1L << 32 | 37, 1L << 32 | 38, 1L << 32 | 40, 1L << 32 | 41, 0xffffffff00000028L, 0x7e020000L, 0x10000000L,
      0x7e020000L | 1L << 32, -1L, -2L, Long.MIN_VALUE, Long.MIN_VALUE | 40, Long.MAX_VALUE};

  @Test
  void dockersProfileThroughOciDecidesAsItsImport() throws Exception {
    roundTrip(docker(), NarrowComparisons.LIBSECCOMP, Function.identity());
  }

  @Test
  void dockersProfileThroughKubernetesDecidesAsItsImport() throws Exception {
    roundTrip(docker(), NarrowComparisons.LIBSECCOMP, seccomp -> OciExport.kubernetes(seccomp, "docker"));
  }

  @Test
  void dockersProfileExportedExactlyDecidesAsItsImport() throws Exception {
    roundTrip(docker(), NarrowComparisons.EXACT, seccomp -> OciExport.kubernetes(seccomp, "docker"));
  }

  @Test
  void dockersSocketRuleIsWhatTheRoundTripChecks() throws Exception {
    // The first import refuses AF_VSOCK in the low word whatever the high word holds, and allows AF_INET:
    // a round trip that lost the rule (or widened it as libseccomp reads it) would decide these otherwise.
    PolicyEngine engine = PolicyEngine.compile(bind(docker()), ARCH);
    int socket = SyscallTable.of(ARCH).byName("socket").orElseThrow().nr();
    assertEquals(new Verdict(ActionKind.ERRNO, 1), decide(engine, socket, 1L << 32 | 40));
    assertEquals(new Verdict(ActionKind.ALLOW, 0), decide(engine, socket, 1L << 32 | 2));
    assertEquals(new Verdict(ActionKind.ERRNO, 1), decide(engine, socket, 40));
  }

  private static void roundTrip(String first, NarrowComparisons narrow, Function<com.fasterxml.jackson.databind.node.ObjectNode,
      com.fasterxml.jackson.databind.node.ObjectNode> wrap) throws Exception {
    BoundPolicy policy = bind(first);
    OciExport.Exported exported = OciExport.oci(policy, ARCH, narrow);
    // Through text, as a user would keep it: u64 operands above 2^63 are read back as such.
    JsonNode reread = JSON.readTree(JSON.writeValueAsString(wrap.apply(exported.seccomp())));
    String second = OciProfile.convert(reread, "exported.json", ARCH, Set.of(), "6.1").policy();
    PolicyEngine before = PolicyEngine.compile(policy, ARCH);
    PolicyEngine after = PolicyEngine.compile(bind(second), ARCH);
    List<Integer> numbers = new ArrayList<>();
    SyscallTable.of(ARCH).all().forEach(s -> numbers.add(s.nr()));
    numbers.addAll(List.of(-1, 999, 4096, 0x40000000 | 1));
    int decisions = 0;
    for (int nr : numbers) {
      for (long[] args : argumentVectors()) {
        Verdict a = decide(before, nr, args);
        Verdict b = decide(after, nr, args);
        if (!a.equals(b)) {
          throw new AssertionError(name(nr) + hexArgs(args) + ": first import " + a + ", after " + narrow + " export and import " + b
              + "\nexported rules:\n" + second);
        }
        decisions++;
      }
    }
    assertTrue(decisions > 400 * 6 * BOUNDARIES.length, "decisions: " + decisions);
    System.out.printf("round trip (%s, %d warnings): %d decisions over %d syscall numbers, 0 differ%n", narrow,
        exported.warnings().size(), decisions, numbers.size());
  }

  // Each boundary value in each argument position, the others zero; and each in all six.
  static List<long[]> argumentVectors() {
    List<long[]> out = new ArrayList<>();
    for (long v : BOUNDARIES) {
      for (int i = 0; i < 6; i++) {
        long[] args = new long[6];
        args[i] = v;
        out.add(args);
      }
      out.add(new long[] {v, v, v, v, v, v});
    }
    return out;
  }

  static Verdict decide(PolicyEngine engine, int nr, long... args) {
    long[] six = java.util.Arrays.copyOf(args, 6);
    SyscallEvent e = SyscallEvent.builder(ARCH, nr, six).build();
    return engine.decide(new SeccompView().set(e, 0), new CompiledFilter.Counter());
  }

  static BoundPolicy bind(String text) {
    return PolicyBinder.bind("docker.evf", text, KernelFacts.of(2, Map.of()));
  }

  private static String name(int nr) {
    return SyscallTable.of(ARCH).byNumber(nr).map(Syscall::name).orElse("nr " + nr);
  }

  private static String hexArgs(long[] args) {
    StringBuilder b = new StringBuilder("(");
    for (long a : args) {
      b.append(b.length() > 1 ? ", " : "").append("0x").append(Long.toHexString(a));
    }
    return b.append(')').toString();
  }

  // Docker's default profile, imported as `evfilter import` does for a container without capabilities.
  private static String docker() throws Exception {
    Optional<Path> profile = sharedProfile("docker-default.json");
    if (profile.isEmpty()) {
      System.err.println("\n*** SKIPPED: no shared/profiles/docker-default.json above " + Path.of("").toAbsolutePath() + " ***\n");
      Assumptions.assumeTrue(false, "no shared profiles");
    }
    return OciProfile.read(profile.get(), ARCH, Set.of(), "6.1").policy();
  }

  // The shared profiles sit beside the checkout (or one level up from a worktree's).
  static Optional<Path> sharedProfile(String name) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path p = dir.resolve("shared").resolve("profiles").resolve(name);
      if (Files.isRegularFile(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
