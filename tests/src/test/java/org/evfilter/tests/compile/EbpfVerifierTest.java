package org.evfilter.tests.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.FilterException;
import org.evfilter.lsm.ebpf.BpfMap;
import org.evfilter.lsm.ebpf.EbpfError;
import org.evfilter.lsm.ebpf.EbpfException;
import org.evfilter.lsm.ebpf.LoadedProgram;
import org.evfilter.lsm.ebpf.MapType;
import org.evfilter.lsm.ebpf.ProgramType;
import org.evfilter.lsm.ebpf.lower.CountingProgram;
import org.evfilter.lsm.ebpf.lower.TracepointFields;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.PolicyEngine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every tracepoint program compiled from a policy is accepted by this kernel's verifier: the
 * sample policies and random ones (every width, sign, mask, set and negation the generator makes),
 * each syscall's rules on its {@code syscalls/sys_enter_NAME} event; and a refusal names the rule.
 */
@Tag("kernel")
class EbpfVerifierTest {
  private static final String PREFIX = "evftv_";
  private static final KernelFacts FACTS = KernelFacts.of(2, Map.of());

  @BeforeAll
  static void bpfAvailable() {
    String why = BpfMap.unavailable().orElse(null);
    if (why != null) {
      System.err.println("\n*** SKIPPED: generated tracepoint programs not verified: " + why + " ***\n");
    }
    final String reason = why;
    Assumptions.assumeTrue(reason == null, () -> "not verified: " + reason);
  }

  @Test
  void theSamplePoliciesProgramsAreAccepted() throws Exception {
    int programs = 0;
    try (Stream<Path> files = Files.list(Path.of("../samples/policies/valid"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".evf")).sorted().toList()) {
        programs += verify(PolicyBinder.load(f, FACTS), f.getFileName().toString());
      }
    }
    assertTrue(programs > 20, programs + " programs");
  }

  @Test
  void randomPoliciesProgramsAreAccepted() {
    int programs = 0;
    for (long seed = 1; seed <= 150; seed++) {
      RandomPolicies gen = new RandomPolicies(7000 + seed, seed % 4 == 0);
      BoundPolicy policy;
      try {
        policy = PolicyBinder.bind("random-" + seed + ".evf", gen.policy(), FACTS);
      } catch (FilterException e) {
        continue;
      }
      programs += verify(policy, "random-" + seed);
    }
    assertTrue(programs > 150, programs + " programs");
  }

  @Test
  void aRefusalNamesTheRule() {
    BoundPolicy policy = PolicyBinder.bind("one.evf", "errno(EPERM) lseek: whence == 3\nerrno(EACCES) openat: filename == \"/etc/shadow\"\n", FACTS);
    EventSchema event = SchemaCatalog.bundled().find("syscalls/sys_enter_openat").orElseThrow();
    try (BpfMap counters = BpfMap.counters(MapType.PERCPU_ARRAY, 2, PREFIX + "c")) {
      List<CountingProgram.Rule> rules = CountingProgram.rules(PolicyEngine.compile(policy, Arch.X86_64).rules(257));
      CountingProgram.Built built = CountingProgram.build(rules, TracepointFields.forPolicy(event), counters,
          new CountingProgram.Options(true, OptionalInt.empty(), 0));
      // The same program as a socket filter, which may not read user memory: the string rule's helper call is refused.
      EbpfException e = org.junit.jupiter.api.Assertions.assertThrows(EbpfException.class,
          () -> LoadedProgram.load(built.program(), ProgramType.SOCKET_FILTER, PREFIX + "wrong").close());
      EbpfError.VerifierRefused refused = (EbpfError.VerifierRefused) e.error();
      assertEquals(Optional.of(policy.rules().get(1).origin()), refused.origin(), refused.message());
      assertTrue(refused.message().contains("one.evf"), refused.message());
    }
  }

  // Loads the program of each syscall's rules; the number loaded.
  private static int verify(BoundPolicy policy, String name) {
    PolicyEngine engine = PolicyEngine.compile(policy, Arch.X86_64);
    SchemaCatalog catalog = SchemaCatalog.bundled();
    List<String> refused = new ArrayList<>();
    int loaded = 0;
    try (BpfMap counters = BpfMap.counters(MapType.PERCPU_ARRAY, 64, PREFIX + "c")) {
      for (Syscall s : SyscallTable.of(Arch.X86_64).all()) {
        List<PolicyEngine.CompiledRule> rules = engine.rules(s.nr());
        Optional<EventSchema> event = catalog.find("syscalls/sys_enter_" + SyscallTable.tracefsName(s.name()));
        if (rules.isEmpty() || event.isEmpty() || rules.size() + 1 > counters.maxEntries()) {
          continue;
        }
        CountingProgram.Built built = CountingProgram.build(CountingProgram.rules(rules), TracepointFields.forPolicy(event.get()),
            counters, new CountingProgram.Options(true, OptionalInt.empty(), 0));
        try {
          LoadedProgram.load(built.program(), ProgramType.TRACEPOINT, PREFIX + "p").close();
          loaded++;
        } catch (EbpfException e) {
          refused.add(name + ", " + s.name() + ": " + e.getMessage());
        }
      }
    }
    assertEquals(List.of(), refused);
    return loaded;
  }
}
