package org.evfilter.lsm.bpf;

/** The classic BPF opcode fields ({@code linux/bpf_common.h}, {@code linux/filter.h}). */
public final class Opcodes {
  private Opcodes() {}

  // Classes.
  public static final int LD = 0x00;
  public static final int LDX = 0x01;
  public static final int ST = 0x02;
  public static final int STX = 0x03;
  public static final int ALU = 0x04;
  public static final int JMP = 0x05;
  public static final int RET = 0x06;
  public static final int MISC = 0x07;

  // ld/ldx sizes and modes.
  public static final int W = 0x00;
  public static final int H = 0x08;
  public static final int B = 0x10;
  public static final int IMM = 0x00;
  public static final int ABS = 0x20;
  public static final int IND = 0x40;
  public static final int MEM = 0x60;
  public static final int LEN = 0x80;
  public static final int MSH = 0xa0;

  // alu and jmp operations.
  public static final int ADD = 0x00;
  public static final int SUB = 0x10;
  public static final int MUL = 0x20;
  public static final int DIV = 0x30;
  public static final int OR = 0x40;
  public static final int AND = 0x50;
  public static final int LSH = 0x60;
  public static final int RSH = 0x70;
  public static final int NEG = 0x80;
  public static final int MOD = 0x90;
  public static final int XOR = 0xa0;
  public static final int JA = 0x00;
  public static final int JEQ = 0x10;
  public static final int JGT = 0x20;
  public static final int JGE = 0x30;
  public static final int JSET = 0x40;

  // Sources.
  public static final int K = 0x00;
  public static final int X = 0x08;
  public static final int A = 0x10;

  // misc.
  public static final int TAX = 0x00;
  public static final int TXA = 0x80;

  /** BPF_MAXINSNS: the longest program the kernel takes. */
  public static final int MAX_INSNS = 4096;
  /** BPF_MEMWORDS: scratch memory words. */
  public static final int MEMWORDS = 16;
}
