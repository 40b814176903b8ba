package org.evfilter.predicates.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The holes around a label rule: named where the policy lets them through, silent where it denies them. */
class PolicyAnalysisTest {
  private static final String LABEL_RULE = "label secret_t\nerrno(EACCES) open, openat, openat2: label & secret_t\n";

  private static List<PolicyAnalysis.LabelHole> holes(String policy) {
    return PolicyAnalysis.analyse(PolicyEngine.compile(PolicyBinder.bind("p.evf", policy, KernelFacts.of(2, Map.of())),
            Arch.X86_64)).stream()
        .filter(f -> f instanceof PolicyAnalysis.LabelHole).map(f -> (PolicyAnalysis.LabelHole) f).toList();
  }

  @ParameterizedTest
  @EnumSource(value = PolicyAnalysis.Hole.class, names = "RELABEL", mode = EnumSource.Mode.EXCLUDE)
  void aHoleTheDefaultLetsThroughIsNamedWithItsSyscalls(PolicyAnalysis.Hole hole) {
    List<PolicyAnalysis.LabelHole> found = holes(LABEL_RULE + "default allow\n");
    assertTrue(found.contains(new PolicyAnalysis.LabelHole(hole, "default", hole.syscalls())), found.toString());
  }

  @ParameterizedTest
  @EnumSource(value = PolicyAnalysis.Hole.class, names = "RELABEL", mode = EnumSource.Mode.EXCLUDE)
  void aHoleWhoseSyscallsAreDeniedIsNotNamed(PolicyAnalysis.Hole hole) {
    String deny = "errno(EPERM) " + String.join(", ", hole.syscalls()) + "\n";
    List<PolicyAnalysis.LabelHole> found = holes(LABEL_RULE + deny + "default allow\n");
    assertTrue(found.stream().noneMatch(h -> h.hole() == hole), found.toString());
    // Every other hole but RELABEL, which only a rule reading new_label opens.
    assertEquals(PolicyAnalysis.Hole.values().length - 2, found.size(), found.toString());
  }

  @ParameterizedTest
  @EnumSource(value = PolicyAnalysis.Hole.class, names = "RELABEL", mode = EnumSource.Mode.EXCLUDE)
  void aHoleARuleLetsThroughIsNamedAtThatRule(PolicyAnalysis.Hole hole) {
    String first = hole.syscalls().get(0);
    // Allowed only when the first argument is 0, under a default that denies: still a way around.
    List<PolicyAnalysis.LabelHole> found = holes(LABEL_RULE + "allow " + first + ": arg0 == 0\ndefault errno(EPERM)\n");
    assertEquals(List.of(new PolicyAnalysis.LabelHole(hole, "p.evf:3:1", List.of(first))), found);
  }

  @Test
  void relabellingIsNamedAtTheRuleThatReadsNewLabelAndNowhereElse() {
    String relabel = "label work_t\nallow setxattr, fsetxattr: label & work_t && new_label & work_t\n";
    List<PolicyAnalysis.LabelHole> found = holes(LABEL_RULE + relabel + "default allow\n");
    assertTrue(found.contains(new PolicyAnalysis.LabelHole(PolicyAnalysis.Hole.RELABEL, "p.evf:4:1",
        List.of("setxattr", "fsetxattr"))), found.toString());
    assertEquals(1, found.stream().filter(h -> h.hole() == PolicyAnalysis.Hole.RELABEL).count(), found.toString());
    // Allowing the xattr syscalls without reading new_label (Docker's profile does) allows no relabelling.
    List<PolicyAnalysis.LabelHole> plain = holes(LABEL_RULE + "allow setxattr, removexattr\ndefault allow\n");
    assertTrue(plain.stream().noneMatch(h -> h.hole() == PolicyAnalysis.Hole.RELABEL), plain.toString());
  }

  @Test
  void aPolicyWithoutLabelRulesHasNoLabelHoles() {
    assertEquals(List.of(), holes("default allow\nerrno(EACCES) openat: flags & O_CREAT\n"));
    // A declared label no rule reads is not a label rule either.
    assertEquals(List.of(), holes("label secret_t\ndefault allow\n"));
  }

  @Test
  void aSyscallWithALabelHoleIsNotAlsoABypass() {
    List<PolicyAnalysis.Finding> all = PolicyAnalysis.analyse(PolicyEngine.compile(
        PolicyBinder.bind("p.evf", LABEL_RULE + "default allow\n", KernelFacts.of(2, Map.of())), Arch.X86_64));
    List<String> bypasses = all.stream().filter(f -> f.kind() == PolicyAnalysis.Kind.BYPASS)
        .map(f -> ((PolicyAnalysis.Remark) f).message()).toList();
    assertTrue(bypasses.stream().noneMatch(m -> m.startsWith("io_uring") || m.startsWith("ptrace")), bypasses.toString());
    assertTrue(bypasses.stream().anyMatch(m -> m.startsWith("bpf is allowed")), bypasses.toString());
    // Without label rules the same syscalls are still bypasses of path checks, as before.
    List<PolicyAnalysis.Finding> plain = PolicyAnalysis.analyse(PolicyEngine.compile(
        PolicyBinder.bind("p.evf", "default allow\n", KernelFacts.of(2, Map.of())), Arch.X86_64));
    assertTrue(plain.stream().anyMatch(f -> f.kind() == PolicyAnalysis.Kind.BYPASS
        && ((PolicyAnalysis.Remark) f).message().startsWith("ptrace is allowed")), plain.toString());
  }
}
