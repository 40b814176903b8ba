package org.evfilter.events.syscalls;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The syscall ABIs evfilter knows, with the {@code AUDIT_ARCH_*} value seccomp reports for each.
 * x32 shares x86_64's audit arch; its syscall numbers have bit 30 ({@link #X32_SYSCALL_BIT}) set.
 */
public enum Arch {
  X86_64("x86_64", 0xC000003EL, 8),
  X32("x32", 0xC000003EL, 8),
  I386("i386", 0x40000003L, 4),
  AARCH64("aarch64", 0xC00000B7L, 8);

  /** The bit that marks an x32 syscall number on x86_64. */
  public static final int X32_SYSCALL_BIT = 0x40000000;

  private final String id;
  private final long auditArch;
  private final int registerBytes;

  Arch(String id, long auditArch, int registerBytes) {
    this.id = id;
    this.auditArch = auditArch;
    this.registerBytes = registerBytes;
  }

  /** The name used in files and on the command line: {@code x86_64}, {@code i386}, ... */
  public String id() {
    return id;
  }

  /** {@code AUDIT_ARCH_*} as seccomp_data.arch holds it (unsigned 32-bit). */
  public long auditArch() {
    return auditArch;
  }

  /** The width of a syscall argument register: 8 on 64-bit ABIs, 4 on i386. */
  public int registerBytes() {
    return registerBytes;
  }

  /**
   * Whether the kernel's {@code long} and pointer arguments are 8 bytes: true on the 64-bit ABIs,
   * x32 included (its syscalls run the 64-bit kernel code on 64-bit registers).
   */
  public boolean lp64() {
    return this != I386;
  }

  public static Optional<Arch> of(String id) {
    String key = id.toLowerCase(Locale.ROOT);
    if (key.equals("amd64") || key.equals("x86-64")) {
      return Optional.of(X86_64);
    }
    if (key.equals("x86") || key.equals("ia32") || key.equals("i686")) {
      return Optional.of(I386);
    }
    if (key.equals("arm64")) {
      return Optional.of(AARCH64);
    }
    return Arrays.stream(values()).filter(a -> a.id.equals(key)).findFirst();
  }

  /** The arch of an {@code AUDIT_ARCH_*} value and syscall number (x32 by bit 30). */
  public static Optional<Arch> ofAudit(long auditArch, long nr) {
    if (auditArch == X86_64.auditArch) {
      return Optional.of((nr & X32_SYSCALL_BIT) != 0 ? X32 : X86_64);
    }
    return Arrays.stream(values()).filter(a -> a.auditArch == auditArch).findFirst();
  }
}
