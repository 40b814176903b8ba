package org.evfilter.events.syscalls;

import java.util.Objects;

/**
 * One argument of a syscall: its position in {@code seccomp_data.args}, name and C type, and what
 * seccomp actually compares: {@code width} bytes of the register (4 for {@code int}, 8 for
 * {@code long} and pointers on 64-bit ABIs), signed or not.
 */
public record SyscallArg(int index, String name, String cType, int width, boolean signed, Kind kind) {
  /** What the argument holds. */
  public enum Kind {
    /** A number or flags. */
    NUMBER,
    /** A pointer to a NUL-terminated string in the caller's memory (a path, a name). */
    STRING,
    /** Any other pointer. */
    POINTER
  }

  public SyscallArg {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(cType, "cType");
    Objects.requireNonNull(kind, "kind");
    if (index < 0 || index > 5) {
      throw new IllegalArgumentException("argument index " + index);
    }
    if (width != 4 && width != 8) {
      throw new IllegalArgumentException("width " + width);
    }
  }
}
