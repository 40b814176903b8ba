package org.evfilter.lsm.ebpf;

/** The width of a memory access, with the name the kernel's disassembler gives it. */
public enum Size {
  W(0x00, 4, "u32"),
  H(0x08, 2, "u16"),
  B(0x10, 1, "u8"),
  DW(0x18, 8, "u64");

  private final int bits;
  private final int bytes;
  private final String text;

  Size(int bits, int bytes, String text) {
    this.bits = bits;
    this.bytes = bytes;
    this.text = text;
  }

  /** The size field of the opcode. */
  public int bits() {
    return bits;
  }

  public int bytes() {
    return bytes;
  }

  /** {@code u32}, {@code u16}, {@code u8}, {@code u64}. */
  public String text() {
    return text;
  }

  static Size of(int code) {
    return Opcodes.field(values(), Size::bits, 0x18, code).orElseThrow();
  }
}
