package org.evfilter.tests.compile;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Map;
import java.util.Random;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.FilterException;
import org.evfilter.lsm.bpf.BpfException;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;

/**
 * Binding and the compiler, structured: the fuzzer makes every choice of a random valid policy
 * (syscalls, actions, predicates, constants, labels) and of the events; the policy must compile to
 * a program the validator accepts (or be refused as too large), and the program must decide every
 * event as the predicate engine does, deferring only what a label decides. Seeds replay in every
 * {@code mvn verify}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class CompilerFuzzTest {
  private static final KernelFacts FACTS = KernelFacts.of(2, Map.of());

  // Every choice RandomPolicies makes comes from the fuzzer's bytes (zeros once they run out).
  private static Random from(FuzzedDataProvider data) {
    return new Random() {
      private static final long serialVersionUID = 1L;

      @Override
      protected int next(int bits) {
        return data.consumeInt() >>> (32 - bits);
      }
    };
  }

  @FuzzTest(maxDuration = "60s")
  void compiledProgramsDecideLikeTheEngine(FuzzedDataProvider data) {
    boolean labels = data.consumeBoolean();
    RandomPolicies gen = new RandomPolicies(from(data), labels, Arch.X86_64);
    String text = gen.policy();
    BoundPolicy policy;
    try {
      policy = PolicyBinder.bind("fuzz.evf", text, FACTS);
    } catch (FilterException e) {
      return; // the generator may combine names a syscall does not have: refused with a position
    }
    SeccompCompiler.Compilation c;
    try {
      c = SeccompCompiler.compile(policy, SeccompCompiler.Options.defaults());
    } catch (BpfException tooLarge) {
      return;
    }
    // The validator's own check, again on the raw form the kernel would get.
    BpfProgram reread = BpfProgram.fromRaw(c.program().toRaw());
    BpfProgram unoptimised = c.unoptimised().toProgram();
    PolicyEngine engine = PolicyEngine.compile(policy, Arch.X86_64);
    SeccompView view = new SeccompView();
    CompiledFilter.Counter counter = new CompiledFilter.Counter();
    for (int i = 0; i < 16; i++) {
      CompilerDifferentialTest.check(gen, text, c, reread, unoptimised, engine, view, counter, "fuzz");
    }
  }
}
