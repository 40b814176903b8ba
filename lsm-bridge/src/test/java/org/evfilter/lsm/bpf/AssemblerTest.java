package org.evfilter.lsm.bpf;

import static org.evfilter.lsm.bpf.Opcodes.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AssemblerTest {
  static SeccompData nr(int nr) {
    return new SeccompData(nr, 0xC000003E, 0, new long[6]);
  }

  @Test
  void labelsResolveToForwardOffsets() {
    Assembler a = new Assembler();
    Assembler.Label allow = a.label();
    Assembler.Label deny = a.label();
    a.stmt(LD | W | ABS, SeccompData.NR).jump(JMP | JEQ | K, 0, allow, null).jump(JMP | JEQ | K, 1, allow, deny)
        .bind(deny).ret(0x00050001).bind(allow).ret(0x7fff0000);
    List<Instruction> p = a.assemble();
    assertEquals(Instruction.jump(JMP | JEQ | K, 0, 2, 0), p.get(1));
    assertEquals(Instruction.jump(JMP | JEQ | K, 1, 1, 0), p.get(2));
    BpfProgram prog = BpfProgram.of(p);
    assertEquals(0x7fff0000, prog.run(nr(1)).value());
    assertEquals(0x00050001, prog.run(nr(2)).value());
  }

  @Test
  void farTargetsGoThroughATrampoline() {
    Assembler a = new Assembler();
    Assembler.Label far = a.label();
    a.stmt(LD | W | ABS, SeccompData.NR).jump(JMP | JEQ | K, 7, far, null);
    for (int i = 0; i < 300; i++) {
      a.jump(JMP | JEQ | K, 1000 + i, null, null);
    }
    a.ret(0x00050001).bind(far).ret(0x7fff0000);
    List<Instruction> p = a.assemble();
    assertEquals(JMP | JA, p.get(2).code(), "a JA right after the far jump");
    assertTrue(p.stream().allMatch(i -> i.jt() <= 255 && i.jf() <= 255));
    BpfProgram prog = BpfProgram.of(p);
    assertEquals(0x7fff0000, prog.run(nr(7)).value());
    assertEquals(0x00050001, prog.run(nr(8)).value());
  }

  @Test
  void backwardJumpsAndUnboundLabelsAreRefused() {
    Assembler a = new Assembler();
    Assembler.Label back = a.label();
    a.bind(back).stmt(LD | IMM, 0).ja(back).ret(0);
    assertThrows(IllegalStateException.class, a::assemble);
    Assembler b = new Assembler();
    b.ja(b.label()).ret(0);
    assertThrows(IllegalStateException.class, b::assemble);
  }
}
