package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.FileFlags.O_CREAT;
import static org.evfilter.events.syscalls.FileFlags.O_TRUNC;
import static org.evfilter.events.syscalls.FileFlags.O_WRONLY;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * Where a path syscall keeps its paths, descriptors and flags, for the supervisor: which object it
 * touches and how the supervisor performs it on the task's behalf. Arguments are indexes into
 * {@code seccomp_data.args}; -1 is "none" (a directory descriptor of -1 means the working directory).
 */
record PathSyscall(String name, Kind kind, int dirfd, int path, int dirfd2, int path2, int flags, int mode, int fixedFlags) {
  /** What the syscall does to its object. */
  enum Kind { OPEN, OPENAT2, UNLINK, RMDIR, MKDIR, RENAME, LINK, SYMLINK, CHMOD, CHOWN, LCHOWN, TRUNCATE, EXEC }

  private static final Map<Integer, PathSyscall> BY_NUMBER = table();

  static Optional<PathSyscall> of(int nr) {
    return Optional.ofNullable(BY_NUMBER.get(nr));
  }

  private static Map<Integer, PathSyscall> table() {
    PathSyscall[] all = {
      new PathSyscall("open", Kind.OPEN, -1, 0, -1, -1, 1, 2, 0),
      new PathSyscall("openat", Kind.OPEN, 0, 1, -1, -1, 2, 3, 0),
      new PathSyscall("creat", Kind.OPEN, -1, 0, -1, -1, -1, 1, O_CREAT | O_WRONLY | O_TRUNC),
      new PathSyscall("openat2", Kind.OPENAT2, 0, 1, -1, -1, -1, -1, 0),
      new PathSyscall("unlink", Kind.UNLINK, -1, 0, -1, -1, -1, -1, 0),
      new PathSyscall("unlinkat", Kind.UNLINK, 0, 1, -1, -1, 2, -1, 0),
      new PathSyscall("rmdir", Kind.RMDIR, -1, 0, -1, -1, -1, -1, 0),
      new PathSyscall("mkdir", Kind.MKDIR, -1, 0, -1, -1, -1, 1, 0),
      new PathSyscall("mkdirat", Kind.MKDIR, 0, 1, -1, -1, -1, 2, 0),
      new PathSyscall("rename", Kind.RENAME, -1, 0, -1, 1, -1, -1, 0),
      new PathSyscall("renameat", Kind.RENAME, 0, 1, 2, 3, -1, -1, 0),
      new PathSyscall("renameat2", Kind.RENAME, 0, 1, 2, 3, 4, -1, 0),
      new PathSyscall("link", Kind.LINK, -1, 0, -1, 1, -1, -1, 0),
      new PathSyscall("linkat", Kind.LINK, 0, 1, 2, 3, 4, -1, 0),
      // symlink's first argument is the link's text, not an object: the object is the new link.
      new PathSyscall("symlink", Kind.SYMLINK, -1, 1, -1, -1, -1, -1, 0),
      new PathSyscall("symlinkat", Kind.SYMLINK, 1, 2, -1, -1, -1, -1, 0),
      new PathSyscall("chmod", Kind.CHMOD, -1, 0, -1, -1, -1, 1, 0),
      new PathSyscall("fchmodat", Kind.CHMOD, 0, 1, -1, -1, -1, 2, 0),
      new PathSyscall("chown", Kind.CHOWN, -1, 0, -1, -1, -1, -1, 0),
      new PathSyscall("lchown", Kind.LCHOWN, -1, 0, -1, -1, -1, -1, 0),
      new PathSyscall("fchownat", Kind.CHOWN, 0, 1, -1, -1, 4, -1, 0),
      new PathSyscall("truncate", Kind.TRUNCATE, -1, 0, -1, -1, -1, -1, 0),
      new PathSyscall("execve", Kind.EXEC, -1, 0, -1, -1, -1, -1, 0),
      new PathSyscall("execveat", Kind.EXEC, 0, 1, -1, -1, 4, -1, 0),
    };
    Map<Integer, PathSyscall> m = new HashMap<>();
    SyscallTable t = SyscallTable.of(Arch.X86_64);
    for (PathSyscall p : all) {
      t.byName(p.name).ifPresent(s -> m.put(s.nr(), p));
    }
    return Map.copyOf(m);
  }
}
