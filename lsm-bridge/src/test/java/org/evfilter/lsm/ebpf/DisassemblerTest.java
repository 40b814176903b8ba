package org.evfilter.lsm.ebpf;

import static org.evfilter.lsm.ebpf.Register.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DisassemblerTest {
  @Test
  void printsBpftoolsXlatedLayout() {
    Assembler a = new Assembler();
    Assembler.Label deny = a.label("deny");
    Program p = a.ldx(Size.W, R2, R1, 24)
        .jump(JumpOp.JEQ, R2, 0x901f, deny)
        .jump32(JumpOp.JSGT, R2, R3, deny)
        .ldMapFd(R1, 4)
        .ldImm64(R4, -2)
        .stx(Size.DW, R10, -8, R2)
        .st(Size.W, R10, -12, -1)
        .atomicAdd(Size.DW, R0, 0, R1)
        .alu32(AluOp.AND, R2, 0xffff)
        .alu64(AluOp.ARSH, R2, R3)
        .alu64(AluOp.NEG, R5, 0)
        .toBigEndian(R2, 16)
        .call(Helper.GET_CURRENT_PID_TGID)
        .mov(R0, 1)
        .exit()
        .bind(deny).mov(R0, 0).exit()
        .assemble();
    assertEquals("""
           0: (61) r2 = *(u32 *)(r1 +24)
           1: (15) if r2 == 0x901f goto pc+15
           2: (6e) if w2 s> w3 goto pc+14
           3: (18) r1 = map[fd:4]
           5: (18) r4 = 0xfffffffffffffffe
           7: (7b) *(u64 *)(r10 -8) = r2
           8: (62) *(u32 *)(r10 -12) = -1
           9: (db) lock *(u64 *)(r0 +0) += r1
          10: (54) w2 &= 65535
          11: (cf) r2 s>>= r3
          12: (87) r5 = -r5
          13: (dc) r2 = be16 r2
          14: (85) call bpf_get_current_pid_tgid#14
          15: (b7) r0 = 1
          16: (95) exit
          17: (b7) r0 = 0
          18: (95) exit
        """, Disassembler.text(p));
  }

  @Test
  void annotatesEachRunOfSlotsWithItsOrigin() {
    Program p = new Assembler().origin("allow connect: port == 443").mov(R0, 1).origin("default").mov(R0, 0).exit().assemble();
    assertEquals("""
        ; allow connect: port == 443
           0: (b7) r0 = 1
        ; default
           1: (b7) r0 = 0
           2: (95) exit
        """, Disassembler.annotated(p));
  }

  @Test
  void mapsOfAKernelDumpAreShownById() {
    Program p = new Assembler().ldMapFd(R1, 12).exit().assemble();
    assertEquals("   0: (18) r1 = map[id:12]\n   2: (95) exit\n", Disassembler.text(p.instructions(), Disassembler.MapReference.ID));
  }
}
