package org.evfilter.tests.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashSet;
import java.util.Set;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.Disassembler;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.compile.SeccompActions;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.junit.jupiter.api.Test;

/**
 * Random policies × boundary-value events: the predicate engine, the unoptimised program and the
 * optimised program decide alike. Where the program defers to user space (labels), the engine's
 * answer must depend on the label, or be user_notif itself.
 */
class CompilerDifferentialTest {
  private static final KernelFacts FACTS = KernelFacts.of(2, java.util.Map.of());
  private static final int POLICIES = 600;
  private static final int EVENTS = 300;

  @Test
  void engineUnoptimisedAndOptimisedAgree() {
    int bound = 0;
    long events = 0;
    long deferred = 0;
    long needless = 0;
    for (long seed = 1; seed <= POLICIES; seed++) {
      RandomPolicies gen = new RandomPolicies(seed, seed % 3 == 0);
      String text = gen.policy();
      BoundPolicy policy;
      try {
        policy = PolicyBinder.bind("random-" + seed + ".evf", text, FACTS);
      } catch (FilterException e) {
        continue;
      }
      bound++;
      SeccompCompiler.Compilation c = SeccompCompiler.compile(policy, SeccompCompiler.Options.defaults());
      BpfProgram unoptimised = c.unoptimised().toProgram();
      BpfProgram optimised = c.program();
      PolicyEngine engine = PolicyEngine.compile(policy, Arch.X86_64);
      SeccompView view = new SeccompView();
      CompiledFilter.Counter counter = new CompiledFilter.Counter();
      for (int i = 0; i < EVENTS; i++) {
        switch (check(gen, text, c, optimised, unoptimised, engine, view, counter, seed)) {
          case NEEDLESS -> needless++;
          case DEFERRED -> deferred++;
          default -> { }
        }
        events++;
      }
    }
    System.out.printf("compiler differential: %d policies, %d events, %d deferred to user space (%d where every label"
        + " decides alike), 0 differ%n", bound, events, deferred, needless);
    assertTrue(bound > POLICIES * 8 / 10, "only " + bound + " of " + POLICIES + " random policies bound");
    // These policies hold no tautologies over labels: user space is asked only where the label decides.
    assertEquals(0, needless, "events deferred although every label decides alike");
  }

  /** How one event went: both designs decided alike, the program deferred it as it had to, or needlessly. */
  enum Outcome { DECIDED, DEFERRED, NEEDLESS }

  /**
   * One event from {@code gen}, decided by the optimised and unoptimised programs and the engine
   * (with every label): asserts that they agree, or that the program deferred what the label decides.
   */
  static Outcome check(RandomPolicies gen, String text, SeccompCompiler.Compilation c, BpfProgram optimised, BpfProgram unoptimised,
      PolicyEngine engine, SeccompView view, CompiledFilter.Counter counter, Object seed) {
    int nr = gen.syscallNumber();
    long[] args = new long[6];
    for (int a = 0; a < 6; a++) {
      args[a] = gen.argument();
    }
    int r = gen.random().nextInt(20);
    long audit = r == 0 ? Arch.I386.auditArch() : r == 1 ? gen.random().nextInt() : Arch.X86_64.auditArch();
    long ip = gen.random().nextLong();
    SeccompData data = new SeccompData(nr, (int) audit, ip, args);
    int fast = optimised.run(data).value();
    int slow = unoptimised.run(data).value();
    SyscallEvent e = SyscallEvent.builder(Arch.X86_64, nr, args).auditArch(audit).instructionPointer(ip).build();
    Set<BoundPolicy.Verdict> engineSays = new HashSet<>();
    for (long labels : new long[] {0, 1, 2, 3}) {
      engineSays.add(engine.decide(view.set(e, labels), counter));
    }
    String where = "seed " + seed + "\n" + text + "event " + e + "\nengine " + engineSays + " optimised "
        + Disassembler.action(fast) + " unoptimised " + Disassembler.action(slow) + "\n"
        + Disassembler.text(optimised.instructions());
    assertEquals(slow, fast, where);
    BoundPolicy.Verdict bpf = SeccompActions.verdict(fast);
    if (engineSays.size() == 1 && bpf.kind() == ActionKind.USER_NOTIF && c.defers()
        && engineSays.iterator().next().kind() != ActionKind.USER_NOTIF) {
      // Deferred although every label gives one answer: allowed (three-valued logic cannot see
      // every tautology), counted.
      return Outcome.NEEDLESS;
    } else if (engineSays.size() == 1) {
      assertEquals(engineSays.iterator().next(), bpf, where);
      return Outcome.DECIDED;
    } else if (bpf.kind() == ActionKind.USER_NOTIF) {
      return Outcome.DEFERRED;
    }
    fail("the engine's answer depends on the label but the program decided " + bpf + ": " + where);
    return Outcome.DECIDED;
  }
}
