package org.evfilter.lsm.ebpf;

import static org.evfilter.lsm.ebpf.Register.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AssemblerTest {
  @Test
  void forwardAndBackwardJumpsResolveToSlotDistances() {
    Assembler a = new Assembler();
    Assembler.Label top = a.label("top");
    Assembler.Label out = a.label("out");
    a.mov(R1, 0)
        .bind(top).alu64(AluOp.ADD, R1, 1)
        .jump(JumpOp.JGE, R1, 10, out)
        .ja(top)
        .bind(out).mov(R0, R1).exit();
    List<Instruction> p = a.assemble().instructions();
    assertEquals(1, p.get(2).off(), "jge skips the goto");
    assertEquals(-3, p.get(3).off(), "goto lands on the add: 3 - (-3) - ... = 1");
  }

  @Test
  void aWideLoadCountsTwoSlotsInJumpDistances() {
    Assembler a = new Assembler();
    Assembler.Label end = a.label("end");
    a.jump(JumpOp.JEQ, R1, 0, end).ldImm64(R2, 0x1_0000_0002L).ldMapFd(R3, 7).bind(end).exit();
    Program p = a.assemble();
    assertEquals(6, p.size());
    assertEquals(4, p.instructions().get(0).off());
  }

  @Test
  void ldImm64IsTwoSlotsLowWordFirst() {
    List<Instruction> slots = Instruction.ldImm64(2, 0, 0x1122334455667788L);
    assertEquals(new Instruction(0x18, 2, 0, 0, 0x55667788), slots.get(0));
    assertEquals(new Instruction(0, 0, 0, 0, 0x11223344), slots.get(1));
    assertArrayEquals(new byte[] {0x18, 0x02, 0, 0, (byte) 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11},
        Instruction.encode(slots));
    assertEquals(0x1122334455667788L, Instruction.imm64(slots.get(0), slots.get(1)));
  }

  @Test
  void aMapLoadCarriesThePseudoSourceAndTheDescriptor() {
    Program p = new Assembler().ldMapFd(R1, 5).mov(R0, 0).exit().assemble();
    assertArrayEquals(new byte[] {0x18, 0x11, 0, 0, 5, 0, 0, 0}, java.util.Arrays.copyOf(p.bytes(), 8));
  }

  @Test
  void encodingRoundTrips() {
    Program p = new Assembler().ldx(Size.W, R2, R1, 24).stx(Size.DW, R10, -8, R2).st(Size.W, R10, -12, -1)
        .atomicAdd(Size.DW, R0, 0, R1).call(Helper.GET_CURRENT_PID_TGID).mov(R0, 1).exit().assemble();
    assertEquals(p.instructions(), Instruction.decode(p.bytes()));
  }

  @Test
  void aJumpBeyondSixteenBitsIsATypedError() {
    Assembler a = new Assembler();
    Assembler.Label far = a.label("far");
    a.origin("rule 3").ja(far).noOrigin();
    for (int i = 0; i < 32768; i++) {
      a.mov(R0, 0);
    }
    a.bind(far).exit();
    EbpfException e = assertThrows(EbpfException.class, a::assemble);
    EbpfError.JumpTooFar error = assertInstanceOf(EbpfError.JumpTooFar.class, e.error());
    assertEquals(new EbpfError.JumpTooFar("far", 0, 32768, Optional.of("rule 3")), error);
    assertEquals("instruction 0 (from rule 3): jump to far is 32768 instructions away; offsets are 16 bits (-32768..32767)",
        error.message());
  }

  @Test
  void theLongestJumpFits() {
    Assembler a = new Assembler();
    Assembler.Label far = a.label("far");
    a.ja(far);
    for (int i = 0; i < 32767; i++) {
      a.mov(R0, 0);
    }
    assertEquals(32767, a.bind(far).exit().assemble().instructions().get(0).off());
  }

  @Test
  void labelMistakesAreTypedErrors() {
    Assembler unbound = new Assembler();
    unbound.mov(R0, 0).origin("rule 1").jump(JumpOp.JNE, R0, 1, unbound.label("nowhere")).exit();
    assertEquals(new EbpfError.LabelNotBound("nowhere", 1, Optional.of("rule 1")),
        assertThrows(EbpfException.class, unbound::assemble).error());

    Assembler twice = new Assembler();
    Assembler.Label l = twice.label("l");
    twice.bind(l).mov(R0, 0).bind(l).exit();
    assertEquals(new EbpfError.LabelBoundTwice("l", 1), assertThrows(EbpfException.class, twice::assemble).error());

    Assembler atEnd = new Assembler();
    Assembler.Label end = atEnd.label("end");
    atEnd.ja(end).exit().bind(end);
    assertEquals(new EbpfError.LabelAtEnd("end"), assertThrows(EbpfException.class, atEnd::assemble).error());
  }

  @Test
  void everySlotCarriesTheOriginCurrentWhenItWasAdded() {
    Program p = new Assembler().origin("a").mov(R0, 0).ldImm64(R1, 1).origin("b").exit().noOrigin().exit().assemble();
    assertEquals(List.of(Optional.of("a"), Optional.of("a"), Optional.of("a"), Optional.of("b"), Optional.empty()),
        java.util.stream.IntStream.range(0, p.size()).mapToObj(p::origin).toList());
  }

  @Test
  void codeNoPathReachesIsLeftOutAndJumpsReaimed() {
    Assembler a = new Assembler();
    Assembler.Label end = a.label();
    Assembler.Label dead = a.label();
    a.mov(Register.R0, 1).jump(JumpOp.JEQ, Register.R1, 0, end).ja(end);
    a.bind(dead).mov(Register.R0, 2).mov(Register.R0, 3);
    a.bind(end).exit();
    Program p = a.assemble().withoutUnreachable();
    assertEquals(List.of("r0 = 1", "if r1 == 0x0 goto pc+1", "goto pc+0", "exit"),
        Disassembler.text(p).lines().map(l -> l.replaceFirst("^\\s*\\d+: \\(\\w\\w\\) ", "")).toList());
  }
}
