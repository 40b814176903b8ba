package org.evfilter.lsm.ebpf;

import java.util.Optional;

/** An arithmetic operation of the ALU and ALU64 classes, with its operator as the kernel prints it. */
public enum AluOp {
  ADD(0x00, "+="),
  SUB(0x10, "-="),
  MUL(0x20, "*="),
  DIV(0x30, "/="),
  OR(0x40, "|="),
  AND(0x50, "&="),
  LSH(0x60, "<<="),
  RSH(0x70, ">>="),
  NEG(0x80, "neg"),
  MOD(0x90, "%="),
  XOR(0xa0, "^="),
  MOV(0xb0, "="),
  ARSH(0xc0, "s>>="),
  /** Byte swap: the immediate is the width in bits, the source bit the direction. */
  END(0xd0, "endian");

  private final int bits;
  private final String text;

  AluOp(int bits, String text) {
    this.bits = bits;
    this.text = text;
  }

  /** The operation field of the opcode. */
  public int bits() {
    return bits;
  }

  /** The operator in the kernel's disassembly ({@code +=}, {@code s>>=}). */
  public String text() {
    return text;
  }

  static Optional<AluOp> of(int code) {
    return Opcodes.field(values(), AluOp::bits, 0xf0, code);
  }
}
