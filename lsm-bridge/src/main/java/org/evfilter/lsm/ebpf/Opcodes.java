package org.evfilter.lsm.ebpf;

/**
 * The eBPF opcode fields that are not an operation or a size ({@code linux/bpf.h}, {@code
 * linux/bpf_common.h}): instruction classes, modes, the operand source, and the pseudo source
 * registers of {@code LD_IMM64} and {@code CALL}. Operations are {@link AluOp} and {@link JumpOp},
 * sizes {@link Size}.
 */
public final class Opcodes {
  private Opcodes() {}

  // Classes.
  public static final int LD = 0x00;
  public static final int LDX = 0x01;
  public static final int ST = 0x02;
  public static final int STX = 0x03;
  public static final int ALU = 0x04;
  public static final int JMP = 0x05;
  public static final int JMP32 = 0x06;
  public static final int ALU64 = 0x07;

  // Modes of ld/ldx/st/stx.
  public static final int IMM = 0x00;
  public static final int MEM = 0x60;
  public static final int ATOMIC = 0xc0;

  // Operand source: the immediate (K) or the source register (X).
  public static final int K = 0x00;
  public static final int X = 0x08;

  // Byte-swap direction of ALU END (in the source bit).
  public static final int TO_LE = 0x00;
  public static final int TO_BE = 0x08;

  /** {@code LD_IMM64} source register: the immediate is a map file descriptor. */
  public static final int PSEUDO_MAP_FD = 1;
  /** {@code LD_IMM64} source register: the immediate is a map descriptor, the second slot an offset in its value. */
  public static final int PSEUDO_MAP_VALUE = 2;
  /** {@code CALL} source register: a call to a BPF function of the same program, not a helper. */
  public static final int PSEUDO_CALL = 1;

  /** The frame pointer, read-only: the stack is the 512 bytes below it. */
  public static final int FRAME_POINTER = 10;
  /** The stack size of one BPF frame. */
  public static final int STACK_SIZE = 512;

  static int cls(int code) {
    return code & 0x07;
  }
}
