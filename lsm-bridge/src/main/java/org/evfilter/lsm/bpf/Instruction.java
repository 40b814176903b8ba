package org.evfilter.lsm.bpf;

/**
 * One classic BPF instruction, {@code struct sock_filter}: a 16-bit opcode, two 8-bit relative jump
 * offsets and a 32-bit operand.
 */
public record Instruction(int code, int jt, int jf, int k) {
  public Instruction {
    if (code < 0 || code > 0xffff) {
      throw new IllegalArgumentException("opcode " + code + " is not 16 bits");
    }
    if (jt < 0 || jt > 0xff || jf < 0 || jf > 0xff) {
      throw new IllegalArgumentException("jump offsets must be 0..255, not " + jt + "/" + jf);
    }
  }

  /** A non-jump instruction: {@code BPF_STMT(code, k)}. */
  public static Instruction stmt(int code, int k) {
    return new Instruction(code, 0, 0, k);
  }

  /** A conditional jump: {@code BPF_JUMP(code, k, jt, jf)}. */
  public static Instruction jump(int code, int k, int jt, int jf) {
    return new Instruction(code, jt, jf, k);
  }

  /** The instruction class ({@link Opcodes#LD} ... {@link Opcodes#MISC}). */
  int cls() {
    return code & 0x07;
  }
}
