package org.evfilter.lsm.ebpf;

import java.util.Optional;

/**
 * An operation of the JMP and JMP32 classes, with its comparison as the kernel prints it. The
 * unsigned and signed comparisons are distinct operations, as in the instruction set.
 */
public enum JumpOp {
  JA(0x00, "goto"),
  JEQ(0x10, "=="),
  JGT(0x20, ">"),
  JGE(0x30, ">="),
  JSET(0x40, "&"),
  JNE(0x50, "!="),
  JSGT(0x60, "s>"),
  JSGE(0x70, "s>="),
  CALL(0x80, "call"),
  EXIT(0x90, "exit"),
  JLT(0xa0, "<"),
  JLE(0xb0, "<="),
  JSLT(0xc0, "s<"),
  JSLE(0xd0, "s<=");

  private final int bits;
  private final String text;

  JumpOp(int bits, String text) {
    this.bits = bits;
    this.text = text;
  }

  /** The operation field of the opcode. */
  public int bits() {
    return bits;
  }

  /** The comparison in the kernel's disassembly ({@code ==}, {@code s<=}). */
  public String text() {
    return text;
  }

  /** Whether this is a comparison (a conditional jump), not {@code ja}, {@code call} or {@code exit}. */
  public boolean conditional() {
    return this != JA && this != CALL && this != EXIT;
  }

  static Optional<JumpOp> of(int code) {
    return Opcodes.field(values(), JumpOp::bits, 0xf0, code);
  }
}
