package org.evfilter.events.vfs;

import static org.evfilter.events.syscalls.FileFlags.AT_REMOVEDIR;
import static org.evfilter.events.syscalls.FileFlags.O_ACCMODE;
import static org.evfilter.events.syscalls.FileFlags.O_APPEND;
import static org.evfilter.events.syscalls.FileFlags.O_CREAT;
import static org.evfilter.events.syscalls.FileFlags.O_RDWR;
import static org.evfilter.events.syscalls.FileFlags.O_TRUNC;
import static org.evfilter.events.syscalls.FileFlags.O_WRONLY;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Syscall;

/**
 * Derives {@link VfsEvent}s from syscall events that carry paths (open, creat, openat, execve,
 * unlink, rename, link, symlink, mkdir, rmdir, chmod, chown, truncate, setxattr, connect and bind of
 * unix sockets). The paths are the strings the tracer read; an event without them yields nothing.
 */
public final class VfsEvents {
  private VfsEvents() {}

  /** The VFS operation of {@code event}, if it is one and its path is known. */
  public static Optional<VfsEvent> from(SyscallEvent event) {
    Optional<Syscall> syscall = event.syscall();
    if (syscall.isEmpty()) {
      return Optional.empty();
    }
    String name = syscall.get().name();
    return switch (name) {
      case "open" -> open(event, 0, event.arg(1));
      case "openat" -> open(event, 1, event.arg(2));
      case "openat2" -> of(event, VfsOp.OPEN, 0, 1);
      case "creat" -> of(event, VfsOp.CREATE, VfsEvent.Access.WRITE, 0);
      case "execve" -> of(event, VfsOp.EXEC, VfsEvent.Access.EXEC, 0);
      case "execveat" -> of(event, VfsOp.EXEC, VfsEvent.Access.EXEC, 1);
      case "unlink" -> of(event, VfsOp.UNLINK, VfsEvent.Access.WRITE, 0);
      case "unlinkat" -> of(event, (event.arg(2) & AT_REMOVEDIR) != 0 ? VfsOp.RMDIR : VfsOp.UNLINK, VfsEvent.Access.WRITE, 1);
      case "rmdir" -> of(event, VfsOp.RMDIR, VfsEvent.Access.WRITE, 0);
      case "rename" -> of(event, VfsOp.RENAME, VfsEvent.Access.WRITE, 0, 1);
      case "renameat", "renameat2" -> of(event, VfsOp.RENAME, VfsEvent.Access.WRITE, 1, 3);
      case "link" -> of(event, VfsOp.LINK, VfsEvent.Access.WRITE, 0, 1);
      case "linkat" -> of(event, VfsOp.LINK, VfsEvent.Access.WRITE, 1, 3);
      case "symlink" -> of(event, VfsOp.SYMLINK, VfsEvent.Access.WRITE, 1, 0);
      case "symlinkat" -> of(event, VfsOp.SYMLINK, VfsEvent.Access.WRITE, 2, 0);
      case "mkdir" -> of(event, VfsOp.MKDIR, VfsEvent.Access.WRITE, 0);
      case "mkdirat" -> of(event, VfsOp.MKDIR, VfsEvent.Access.WRITE, 1);
      case "chmod" -> of(event, VfsOp.CHMOD, VfsEvent.Access.WRITE, 0);
      case "fchmodat", "fchmodat2" -> of(event, VfsOp.CHMOD, VfsEvent.Access.WRITE, 1);
      case "chown", "lchown" -> of(event, VfsOp.CHOWN, VfsEvent.Access.WRITE, 0);
      case "fchownat" -> of(event, VfsOp.CHOWN, VfsEvent.Access.WRITE, 1);
      case "truncate" -> of(event, VfsOp.TRUNCATE, VfsEvent.Access.WRITE, 0);
      case "setxattr", "lsetxattr" -> of(event, VfsOp.SETXATTR, VfsEvent.Access.WRITE, 0);
      case "connect" -> of(event, VfsOp.CONNECT, VfsEvent.Access.WRITE, 1);
      case "bind" -> of(event, VfsOp.BIND, VfsEvent.Access.WRITE, 1);
      default -> Optional.empty();
    };
  }

  private static Optional<VfsEvent> open(SyscallEvent event, int pathArg, long flags) {
    int mode = (int) flags & O_ACCMODE;
    int access = mode == O_WRONLY ? VfsEvent.Access.WRITE
        : mode == O_RDWR ? VfsEvent.Access.READ | VfsEvent.Access.WRITE : VfsEvent.Access.READ;
    if ((flags & O_TRUNC) != 0) {
      access |= VfsEvent.Access.WRITE;
    }
    if ((flags & O_APPEND) != 0) {
      access |= VfsEvent.Access.APPEND;
    }
    return of(event, (flags & O_CREAT) != 0 ? VfsOp.CREATE : VfsOp.OPEN, access, pathArg);
  }

  private static Optional<VfsEvent> of(SyscallEvent event, VfsOp op, int access, int... pathArgs) {
    List<String> paths = new ArrayList<>();
    for (int i : pathArgs) {
      Optional<String> s = event.string(i);
      if (s.isEmpty()) {
        return Optional.empty();
      }
      paths.add(s.get());
    }
    return Optional.of(new VfsEvent(op, paths, access, -1, -1, VfsEvent.FileType.UNKNOWN, 0, -1, -1, event));
  }
}
