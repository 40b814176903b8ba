package org.evfilter.lsm.ebpf.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.grammar.Dialect;
import org.evfilter.lsm.ebpf.Assembler;
import org.evfilter.lsm.ebpf.Disassembler;
import org.evfilter.lsm.ebpf.Program;
import org.evfilter.lsm.ebpf.Register;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.KernelFacts;
import org.junit.jupiter.api.Test;

/** The lowering's code for filters on a trace event's record, read back through the disassembler. */
class FilterLoweringTest {
  private static final EventSchema LSEEK = SchemaCatalog.bundled().find("syscalls/sys_enter_lseek").orElseThrow();
  private static final EventSchema KILL = SchemaCatalog.bundled().find("syscalls/sys_enter_kill").orElseThrow();

  private static Program lower(EventSchema event, String filter, List<Replacement> replaced) {
    BoundExpression e = FilterBinder.forEvent(event, Dialect.EVFILTER, KernelFacts.of(2, java.util.Map.of()))
        .bind("<test>", filter).expression().orElseThrow();
    Assembler a = new Assembler();
    Assembler.Label t = a.label("true");
    Assembler.Label f = a.label("false");
    a.mov(Register.R6, Register.R1);
    FilterLowering lowering = new FilterLowering(a, TracepointFields.forFilters(event));
    lowering.branch("rule 1", e, t, f, t);
    a.bind(t).mov(Register.R0, 1).exit().bind(f).mov(Register.R0, 0).exit();
    replaced.addAll(lowering.replaced());
    return a.assemble();
  }

  @Test
  void anUnsignedFieldComparesUnsignedAndFallsThroughToTrue() {
    String text = Disassembler.text(lower(LSEEK, "fd < 0x80000000 && whence == 2", new java.util.ArrayList<>()));
    assertTrue(text.contains("r7 = *(u64 *)(r6 +16)"), text);
    // 0x80000000 does not fit a sign-extended immediate: a 64-bit constant in r8, and the inverse test to 'false'.
    assertTrue(text.contains("if r7 >= r8 goto"), text);
    assertTrue(text.contains("if r7 != 0x2 goto"), text);
  }

  @Test
  void aSignedFieldComparesSigned() {
    EventSchema event = KILL;
    String field = event.fields().stream().filter(x -> x.signed() && !x.isCommon()).findFirst().orElseThrow().name();
    String text = Disassembler.text(lower(event, field + " < -1", new java.util.ArrayList<>()));
    assertTrue(text.contains("s>="), text);
  }

  @Test
  void whatTheContextLacksIsReplacedAndListedWithItsRule() {
    List<Replacement> replaced = new java.util.ArrayList<>();
    Program p = lower(LSEEK, "common_preempt_count == 0 || fd == 3", replaced);
    assertEquals(1, replaced.size(), replaced.toString());
    assertEquals("rule 1", replaced.get(0).origin());
    assertTrue(replaced.get(0).reason().contains("common_preempt_count"), replaced.toString());
    assertEquals(java.util.Optional.of("rule 1"), p.origin(2));
  }
}
