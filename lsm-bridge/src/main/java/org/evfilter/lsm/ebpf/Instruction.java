package org.evfilter.lsm.ebpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One eBPF instruction slot, {@code struct bpf_insn}: an 8-bit opcode, 4-bit destination and
 * source registers, a signed 16-bit offset and a signed 32-bit immediate. A 64-bit immediate load
 * ({@code LD_IMM64}) takes two slots: the second has opcode 0 and carries the high word in its
 * immediate. Indices in a program, in jump offsets and in the verifier's log count slots.
 */
public record Instruction(int code, int dst, int src, int off, int imm) {
  /** The size of one slot in bytes. */
  public static final int BYTES = 8;

  public Instruction {
    if (code < 0 || code > 0xff) {
      throw new IllegalArgumentException("opcode " + code + " is not 8 bits");
    }
    if (dst < 0 || dst > 0xf || src < 0 || src > 0xf) {
      throw new IllegalArgumentException("registers must be 0..15, not " + dst + "/" + src);
    }
    if (off < Short.MIN_VALUE || off > Short.MAX_VALUE) {
      throw new IllegalArgumentException("offset " + off + " is not a signed 16-bit value");
    }
  }

  /** The instruction class ({@link Opcodes#LD} ... {@link Opcodes#ALU64}). */
  public int cls() {
    return Opcodes.cls(code);
  }

  /** Whether this is the first slot of a 64-bit immediate load (the next slot belongs to it). */
  public boolean wide() {
    return code == (Opcodes.LD | Size.DW.bits() | Opcodes.IMM);
  }

  /** The two slots of {@code dst = value}, with {@code src} as the pseudo source ({@code 0}: a plain number). */
  public static List<Instruction> ldImm64(int dst, int src, long value) {
    return List.of(
        new Instruction(Opcodes.LD | Size.DW.bits() | Opcodes.IMM, dst, src, 0, (int) value),
        new Instruction(0, 0, 0, 0, (int) (value >>> 32)));
  }

  /** The 64-bit immediate of a wide load starting at {@code first}, given its second slot. */
  public static long imm64(Instruction first, Instruction second) {
    return (first.imm() & 0xffffffffL) | ((long) second.imm() << 32);
  }

  /** The program as the kernel reads it: 8 bytes per slot, in the host's (little-endian) order. */
  public static byte[] encode(List<Instruction> program) {
    ByteBuffer out = ByteBuffer.allocate(program.size() * BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (Instruction i : program) {
      out.put((byte) i.code).put((byte) (i.dst | i.src << 4)).putShort((short) i.off).putInt(i.imm);
    }
    return out.array();
  }

  /** The slots in {@code bytes} (a multiple of 8), as {@link #encode} writes them and the kernel dumps them. */
  public static List<Instruction> decode(byte[] bytes) {
    if (bytes.length % BYTES != 0) {
      throw new IllegalArgumentException(bytes.length + " bytes are not whole instructions");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    List<Instruction> out = new ArrayList<>(bytes.length / BYTES);
    while (in.hasRemaining()) {
      int code = in.get() & 0xff;
      int regs = in.get() & 0xff;
      out.add(new Instruction(code, regs & 0xf, regs >>> 4, in.getShort(), in.getInt()));
    }
    return out;
  }
}
