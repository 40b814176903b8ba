package org.evfilter.lsm.supervise;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.natives.Libc;

/**
 * Where a syscall that writes or removes an xattr keeps its object, the xattr's name and value, for
 * the supervisor: seccomp cannot read the name, so when a policy has label rules these calls come
 * to the supervisor, which reads the name once and performs the call itself on the object it
 * labelled (a label xattr only where the policy allows relabelling). Arguments are indexes into
 * {@code seccomp_data.args}; -1 is "none".
 */
record XattrSyscall(String name, boolean set, Naming naming, int dirfd, int path, int atFlags, int xattr, int value, int size,
    int flags, int args) {
  /** How the syscall names its object. */
  enum Naming { PATH, LINK_PATH, FD, AT }

  /** XATTR_NAME_MAX + its NUL: a longer name is ERANGE in the kernel. */
  static final int NAME_MAX = 256;
  /** XATTR_SIZE_MAX: a larger value is E2BIG in the kernel. */
  static final int SIZE_MAX = 65536;
  /** sizeof(struct xattr_args), setxattrat's first version of it. */
  static final int ARGS_SIZE = 16;

  private static final Map<Integer, XattrSyscall> BY_NUMBER = table();
  private static final SyscallTable X86 = SyscallTable.of(Arch.X86_64);
  private static final long SETXATTR = X86.byName("setxattr").orElseThrow().nr();
  private static final long FSETXATTR = X86.byName("fsetxattr").orElseThrow().nr();
  private static final long REMOVEXATTR = X86.byName("removexattr").orElseThrow().nr();
  private static final long FREMOVEXATTR = X86.byName("fremovexattr").orElseThrow().nr();

  static Optional<XattrSyscall> of(int nr) {
    return Optional.ofNullable(BY_NUMBER.get(nr));
  }

  private static Map<Integer, XattrSyscall> table() {
    XattrSyscall[] all = {
      new XattrSyscall("setxattr", true, Naming.PATH, -1, 0, -1, 1, 2, 3, 4, -1),
      new XattrSyscall("lsetxattr", true, Naming.LINK_PATH, -1, 0, -1, 1, 2, 3, 4, -1),
      new XattrSyscall("fsetxattr", true, Naming.FD, 0, -1, -1, 1, 2, 3, 4, -1),
      // setxattrat(dfd, path, at_flags, name, struct xattr_args *args, size): value, size and flags in the struct.
      new XattrSyscall("setxattrat", true, Naming.AT, 0, 1, 2, 3, -1, -1, -1, 4),
      new XattrSyscall("removexattr", false, Naming.PATH, -1, 0, -1, 1, -1, -1, -1, -1),
      new XattrSyscall("lremovexattr", false, Naming.LINK_PATH, -1, 0, -1, 1, -1, -1, -1, -1),
      new XattrSyscall("fremovexattr", false, Naming.FD, 0, -1, -1, 1, -1, -1, -1, -1),
      new XattrSyscall("removexattrat", false, Naming.AT, 0, 1, 2, 3, -1, -1, -1, -1),
    };
    Map<Integer, XattrSyscall> m = new HashMap<>();
    SyscallTable t = SyscallTable.of(Arch.X86_64);
    for (XattrSyscall x : all) {
      t.byName(x.name).ifPresent(s -> m.put(s.nr(), x));
    }
    return Map.copyOf(m);
  }

  /**
   * Sets ({@code value} present) or removes the xattr {@code name} on an object the supervisor holds
   * open as {@code fd}: an {@code O_PATH} descriptor is reached through its magic link (the
   * object itself, never its path again), a descriptor taken from the task directly.
   */
  static void perform(int fd, boolean pathOnly, byte[] name, Optional<byte[]> value, int flags) {
    Memory n = cString(name);
    Memory link = pathOnly ? cString(Libc.c("/proc/self/fd/" + fd)) : null;
    long object = pathOnly ? Pointer.nativeValue(link) : fd;
    if (value.isPresent()) {
      byte[] v = value.get();
      Memory buf = new Memory(Math.max(1, v.length));
      buf.write(0, v, 0, v.length);
      Libc.syscall(pathOnly ? SETXATTR : FSETXATTR, object, Pointer.nativeValue(n), Pointer.nativeValue(buf), v.length, flags);
    } else {
      Libc.syscall(pathOnly ? REMOVEXATTR : FREMOVEXATTR, object, Pointer.nativeValue(n), 0);
    }
  }

  private static Memory cString(byte[] s) {
    int len = s.length > 0 && s[s.length - 1] == 0 ? s.length : s.length + 1;
    Memory m = new Memory(len);
    m.write(0, s, 0, Math.min(s.length, len));
    m.setByte(len - 1, (byte) 0);
    return m;
  }
}
