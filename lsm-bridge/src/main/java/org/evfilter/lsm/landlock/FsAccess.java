package org.evfilter.lsm.landlock;

import java.util.ArrayList;
import java.util.List;

/**
 * Landlock's file-system access rights ({@code LANDLOCK_ACCESS_FS_*} of {@code
 * <linux/landlock.h>}): their bits, names and the ABI version that introduced each. A set of
 * rights is a {@code long} of these bits, as the kernel takes it.
 */
public enum FsAccess {
  EXECUTE(0, 1, true),
  WRITE_FILE(1, 1, true),
  READ_FILE(2, 1, true),
  READ_DIR(3, 1, false),
  REMOVE_DIR(4, 1, false),
  REMOVE_FILE(5, 1, false),
  MAKE_CHAR(6, 1, false),
  MAKE_DIR(7, 1, false),
  MAKE_REG(8, 1, false),
  MAKE_SOCK(9, 1, false),
  MAKE_FIFO(10, 1, false),
  MAKE_BLOCK(11, 1, false),
  MAKE_SYM(12, 1, false),
  REFER(13, 2, false),
  TRUNCATE(14, 3, true),
  IOCTL_DEV(15, 5, true);

  private final long bit;
  private final int abi;
  private final boolean onFiles;

  FsAccess(int shift, int abi, boolean onFiles) {
    this.bit = 1L << shift;
    this.abi = abi;
    this.onFiles = onFiles;
  }

  /** The right's bit. */
  public long bit() {
    return bit;
  }

  /** The first Landlock ABI version that has this right. */
  public int abi() {
    return abi;
  }

  /** Reading a file or a directory: granted together, since one open of either asks one of them. */
  public static final long READ = READ_FILE.bit | READ_DIR.bit;

  /** The rights a rule on a file (not a directory) may carry; the kernel refuses the others. */
  public static long onFiles() {
    long out = 0;
    for (FsAccess a : values()) {
      out |= a.onFiles ? a.bit : 0;
    }
    return out;
  }

  /** Every right the ABI version {@code abi} has. */
  public static long upTo(int abi) {
    long out = 0;
    for (FsAccess a : values()) {
      out |= a.abi <= abi ? a.bit : 0;
    }
    return out;
  }

  /**
   * The right the kernel's audit records name {@code name} ({@code fs.read_file}); empty for what
   * is not a file-system right ({@code net.connect_tcp}, {@code scope.signal}).
   */
  public static java.util.Optional<FsAccess> ofAuditName(String name) {
    for (FsAccess a : values()) {
      if (name.equals("fs." + a.name().toLowerCase(java.util.Locale.ROOT))) {
        return java.util.Optional.of(a);
      }
    }
    return java.util.Optional.empty();
  }

  /** The rights in {@code set}, lower-case with dashes ({@code read-file, make-reg}). */
  public static String names(long set) {
    if (set == 0) {
      return "nothing";
    }
    List<String> out = new ArrayList<>();
    for (FsAccess a : values()) {
      if ((set & a.bit) != 0) {
        out.add(a.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
      }
    }
    return String.join(", ", out);
  }
}
