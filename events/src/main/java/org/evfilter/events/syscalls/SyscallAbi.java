package org.evfilter.events.syscalls;

import java.util.Set;

/**
 * What seccomp sees of a C argument type in an ABI: how many bytes of the register are the
 * argument (4 or 8) and whether it is signed. The kernel passes {@code int} in a 64-bit register
 * whose upper half is not defined, so a filter must compare the low 32 bits only.
 */
final class SyscallAbi {
  // Kernel typedefs that are 64-bit on LP64 and 32-bit on i386/x32 (C long, pointers).
  private static final Set<String> SIGNED_LONG = Set.of(
      "long", "signed long", "long int", "off_t", "__kernel_off_t", "ssize_t", "__kernel_ssize_t",
      "time_t", "__kernel_time_t", "__kernel_old_time_t", "clock_t", "__kernel_clock_t",
      "intptr_t", "__kernel_long_t");
  private static final Set<String> UNSIGNED_LONG = Set.of(
      "unsigned long", "unsigned long int", "size_t", "__kernel_size_t", "aio_context_t",
      "uintptr_t", "__kernel_ulong_t", "cap_user_header_t", "cap_user_data_t");
  // Always 64-bit.
  private static final Set<String> SIGNED_64 = Set.of("loff_t", "__kernel_loff_t", "s64", "__s64", "long long", "int64_t");
  private static final Set<String> UNSIGNED_64 = Set.of("u64", "__u64", "unsigned long long", "uint64_t", "__aligned_u64");
  // 32-bit signed.
  private static final Set<String> SIGNED_32 = Set.of(
      "int", "signed int", "pid_t", "__kernel_pid_t", "key_serial_t", "timer_t", "__kernel_timer_t",
      "clockid_t", "__kernel_clockid_t", "mqd_t", "__kernel_mqd_t", "key_t", "__kernel_key_t",
      "rwf_t", "__kernel_rwf_t", "s32", "__s32", "int32_t", "old_sigset_t");

  private SyscallAbi() {}

  /** Whether a C type is 64 bits on every ABI (loff_t, u64, ...). */
  static boolean is64Bit(String cType) {
    String base = cType.replace("__user", "").replace("const ", "").replaceAll("\\s+", " ").trim();
    return !base.endsWith("*") && (SIGNED_64.contains(base) || UNSIGNED_64.contains(base));
  }

  /** The argument at {@code index} of C type {@code cType} called {@code name}, in {@code arch}. */
  static SyscallArg argument(Arch arch, int index, String cType, String name) {
    String t = cType.replace("__user", "").replaceAll("\\s+", " ").trim();
    boolean pointer = t.endsWith("*");
    int longBytes = arch.lp64() ? 8 : 4;
    int width;
    boolean signed;
    SyscallArg.Kind kind = SyscallArg.Kind.NUMBER;
    String base = t.replace("const ", "").replace("volatile ", "").trim();
    if (pointer) {
      width = longBytes;
      signed = false;
      // 'char *buf' is data (read, write, getrandom), not a string: only names name strings.
      kind = base.equals("char *") && !name.equals("buf") && !name.equals("ubuf") ? SyscallArg.Kind.STRING : SyscallArg.Kind.POINTER;
    } else if (SIGNED_LONG.contains(base)) {
      width = longBytes;
      signed = true;
    } else if (UNSIGNED_LONG.contains(base)) {
      width = longBytes;
      signed = false;
    } else if (SIGNED_64.contains(base)) {
      width = 8;
      signed = true;
    } else if (UNSIGNED_64.contains(base)) {
      width = 8;
      signed = false;
    } else if (SIGNED_32.contains(base)) {
      width = 4;
      signed = true;
    } else {
      // unsigned int, u32, uid_t, gid_t, umode_t, qid_t, old_uid_t, ...: 32 bits or narrower,
      // promoted to an unsigned 32-bit register value.
      width = 4;
      signed = false;
    }
    // A register is all an argument can be: 64-bit values on i386 come in two arguments.
    width = Math.min(width, arch.registerBytes());
    return new SyscallArg(index, name, cType, width, signed, kind);
  }
}
