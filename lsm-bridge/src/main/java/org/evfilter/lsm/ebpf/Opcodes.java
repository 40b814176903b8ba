package org.evfilter.lsm.ebpf;

import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * The eBPF opcode fields that are not an operation or a size ({@code linux/bpf.h}, {@code
 * linux/bpf_common.h}): instruction classes, modes, the operand source, and the pseudo source
 * registers of {@code LD_IMM64} and {@code CALL}. Operations are {@link AluOp} and {@link JumpOp},
 * sizes {@link Size}.
 */
public final class Opcodes {
  private Opcodes() {}

  // Classes: the first six are classic BPF's, the last two eBPF's own.
  public static final int LD = org.evfilter.lsm.bpf.Opcodes.LD;
  public static final int LDX = org.evfilter.lsm.bpf.Opcodes.LDX;
  public static final int ST = org.evfilter.lsm.bpf.Opcodes.ST;
  public static final int STX = org.evfilter.lsm.bpf.Opcodes.STX;
  public static final int ALU = org.evfilter.lsm.bpf.Opcodes.ALU;
  public static final int JMP = org.evfilter.lsm.bpf.Opcodes.JMP;
  public static final int JMP32 = 0x06;
  public static final int ALU64 = 0x07;

  // Modes of ld/ldx/st/stx.
  public static final int IMM = org.evfilter.lsm.bpf.Opcodes.IMM;
  public static final int MEM = org.evfilter.lsm.bpf.Opcodes.MEM;
  public static final int ATOMIC = 0xc0;

  // Operand source: the immediate (K) or the source register (X).
  public static final int K = org.evfilter.lsm.bpf.Opcodes.K;
  public static final int X = org.evfilter.lsm.bpf.Opcodes.X;

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

  /** The constant of {@code values} whose field bits ({@code code & mask}) are {@code code}'s. */
  static <E> Optional<E> field(E[] values, ToIntFunction<E> bits, int mask, int code) {
    for (E e : values) {
      if ((code & mask) == bits.applyAsInt(e)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}
