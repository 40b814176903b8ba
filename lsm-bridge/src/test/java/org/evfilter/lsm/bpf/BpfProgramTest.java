package org.evfilter.lsm.bpf;

import static org.evfilter.lsm.bpf.Instruction.jump;
import static org.evfilter.lsm.bpf.Instruction.stmt;
import static org.evfilter.lsm.bpf.Opcodes.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class BpfProgramTest {
  static final int AUDIT_ARCH_X86_64 = 0xC000003E;
  static final int ALLOW = 0x7fff0000;
  static final int ERRNO_EPERM = 0x00050001;
  static final int KILL_PROCESS = 0x80000000;

  // A hand-written filter: x86_64 only; openat with O_CREAT (low word of arg2 & 0x40) -> EPERM;
  // read/write allowed; anything else killed.
  static final List<Instruction> FILTER = List.of(
      stmt(LD | W | ABS, SeccompData.ARCH),
      jump(JMP | JEQ | K, AUDIT_ARCH_X86_64, 1, 0),
      stmt(RET | K, KILL_PROCESS),
      stmt(LD | W | ABS, SeccompData.NR),
      jump(JMP | JEQ | K, 257, 0, 3),
      stmt(LD | W | ABS, SeccompData.argLow(2)),
      jump(JMP | JSET | K, 0x40, 0, 1),
      stmt(RET | K, ERRNO_EPERM),
      jump(JMP | JGE | K, 2, 1, 0),
      stmt(RET | K, ALLOW),
      stmt(RET | K, KILL_PROCESS));

  static SeccompData data(int arch, int nr, long... args) {
    return new SeccompData(nr, arch, 0x401000L, java.util.Arrays.copyOf(args, 6));
  }

  @Test
  void runsLikeTheKernelAndCountsInstructions() {
    BpfProgram p = BpfProgram.of(FILTER);
    assertEquals(new BpfProgram.Result(ERRNO_EPERM, 7), p.run(data(AUDIT_ARCH_X86_64, 257, -100, 0x1000, 0x241)));
    assertEquals(ALLOW, p.run(data(AUDIT_ARCH_X86_64, 257, -100, 0x1000, 0x1)).value());
    // Only the low word is tested: a high-bit-only O_CREAT does not count.
    assertEquals(ALLOW, p.run(data(AUDIT_ARCH_X86_64, 257, -100, 0x1000, 0x40L << 32)).value());
    assertEquals(ALLOW, p.run(data(AUDIT_ARCH_X86_64, 0)).value());
    assertEquals(new BpfProgram.Result(KILL_PROCESS, 6), p.run(data(AUDIT_ARCH_X86_64, 59)));
    assertEquals(new BpfProgram.Result(KILL_PROCESS, 3), p.run(data(0x40000003, 0)));
  }

  @Test
  void refusesWhatTheKernelRefuses() {
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of()));
    // bpf_check_classic refuses constant shifts of 32 bits or more.
    assertEquals(0, assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(ALU | LSH | K, 32), stmt(RET | K, 0)))).instruction());
    BpfProgram.of(List.of(stmt(ALU | RSH | K, 31), stmt(RET | K, 0)));
    assertEquals(0, assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(LD | W | ABS, 2), stmt(RET | K, 0)))).instruction());
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(LD | W | ABS, 64), stmt(RET | K, 0))));
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(LD | H | ABS, 0), stmt(RET | K, 0))));
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(LD | W | IND, 0), stmt(RET | K, 0))));
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(ALU | DIV | K, 0), stmt(RET | K, 0))));
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(ALU | MOD | K, 3), stmt(RET | K, 0))));
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(jump(JMP | JEQ | K, 0, 1, 0), stmt(RET | K, 0))));
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(stmt(LD | IMM, 0))));
    BpfException mem = assertThrows(BpfException.class, () -> BpfProgram.of(List.of(
        stmt(LD | W | ABS, 0), jump(JMP | JEQ | K, 1, 0, 1), stmt(ST, 3), stmt(LD | MEM, 3), stmt(RET | A, 0))));
    assertEquals(3, mem.instruction());
    BpfProgram ok = BpfProgram.of(List.of(stmt(LD | IMM, 7), stmt(ST, 3), stmt(LDX | MEM, 3), stmt(MISC | TXA, 0),
        stmt(ALU | MUL | K, 6), stmt(RET | A, 0)));
    assertEquals(42, ok.run(data(AUDIT_ARCH_X86_64, 0)).value());
    Instruction[] big = new Instruction[MAX_INSNS + 1];
    java.util.Arrays.fill(big, stmt(RET | K, 0));
    assertThrows(BpfException.class, () -> BpfProgram.of(List.of(big)));
  }

  @Test
  void disassemblesLikeScmpBpfDisasm() {
    String text = Disassembler.text(FILTER.subList(0, 5));
    assertEquals(String.join("\n",
        " line  OP   JT   JF   K",
        "=================================",
        " 0000: 0x20 0x00 0x00 0x00000004   ld  $data[4]",
        " 0001: 0x15 0x01 0x00 0xc000003e   jeq 3221225534 true:0003 false:0002",
        " 0002: 0x06 0x00 0x00 0x80000000   ret KILL_PROCESS",
        " 0003: 0x20 0x00 0x00 0x00000000   ld  $data[0]",
        " 0004: 0x15 0x00 0x03 0x00000101   jeq 257 true:0005 false:0008",
        ""), text);
    assertEquals("ERRNO(13)", Disassembler.action(0x0005000d));
  }
}
