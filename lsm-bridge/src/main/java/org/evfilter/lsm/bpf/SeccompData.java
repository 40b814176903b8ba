package org.evfilter.lsm.bpf;

/**
 * {@code struct seccomp_data} as a seccomp filter reads it: {@code int nr} at 0, {@code u32 arch}
 * at 4, {@code u64 instruction_pointer} at 8, {@code u64 args[6]} at 16, little-endian 32-bit words
 * (the byte order of every ABI evfilter supports). 64 bytes.
 */
public record SeccompData(int nr, int arch, long instructionPointer, long[] args) {
  static final int SIZE = 64;
  public static final int NR = 0;
  public static final int ARCH = 4;
  public static final int IP = 8;
  public static final int ARGS = 16;

  public SeccompData {
    if (args.length != 6) {
      throw new IllegalArgumentException("seccomp_data has 6 arguments");
    }
    args = args.clone();
  }

  /** Offset of the low word of argument {@code i} (the high word is 4 bytes further). */
  public static int argLow(int i) {
    return ARGS + 8 * i;
  }

  /** The aligned 32-bit word at {@code offset}, as {@code BPF_LD|BPF_W|BPF_ABS} reads it. */
  public int word(int offset) {
    if (offset == NR) {
      return nr;
    }
    if (offset == ARCH) {
      return arch;
    }
    long v = offset < ARGS ? instructionPointer : args[(offset - ARGS) / 8];
    return (offset & 4) == 0 ? (int) v : (int) (v >>> 32);
  }
}
