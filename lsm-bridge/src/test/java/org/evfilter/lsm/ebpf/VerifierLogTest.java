package org.evfilter.lsm.ebpf;

import static org.evfilter.lsm.ebpf.Register.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class VerifierLogTest {
  @Test
  void verifierLogIsReadBackToTheRefusedInstructionAndItsOrigin() {
    Program p = new Assembler().origin("rule 1").mov(R0, 0).origin("rule 2").mov(R0, R2).exit().assemble();
    String log = """
        func#0 @0
        0: R1=ctx() R10=fp0
        0: (b7) r0 = 0                        ; R0_w=0
        1: (bf) r0 = r2
        R2 !read_ok
        processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
        """;
    EbpfError.VerifierRefused r = VerifierLog.refusal("p", p, 13, log);
    assertEquals(1, r.instruction());
    assertEquals(Optional.of("rule 2"), r.origin());
    assertEquals("R2 !read_ok", r.reason());
    assertEquals("the kernel's verifier refused p: instruction 1 (from rule 2): R2 !read_ok", r.message());
  }

  @Test
  void aShapeRefusalNamesTheInstructionInItsText() {
    Program p = new Assembler().mov(R0, 0).exit().origin("dead").exit().assemble();
    EbpfError.VerifierRefused r = VerifierLog.refusal("p", p, 22, "unreachable insn 2\nverification time 5 usec\n");
    assertEquals(2, r.instruction());
    assertEquals(Optional.of("dead"), r.origin());
  }
}
