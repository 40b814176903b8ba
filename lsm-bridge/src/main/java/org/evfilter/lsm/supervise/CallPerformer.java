package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.EACCES;
import static org.evfilter.events.syscalls.Errno.EEXIST;
import static org.evfilter.events.syscalls.Errno.EFAULT;
import static org.evfilter.events.syscalls.Errno.EINVAL;
import static org.evfilter.events.syscalls.Errno.EISDIR;
import static org.evfilter.events.syscalls.Errno.ELOOP;
import static org.evfilter.events.syscalls.Errno.ENOENT;
import static org.evfilter.events.syscalls.Errno.ENXIO;
import static org.evfilter.events.syscalls.Errno.EPERM;
import static org.evfilter.events.syscalls.Errno.EXDEV;
import static org.evfilter.events.syscalls.FileFlags.AT_FDCWD;
import static org.evfilter.events.syscalls.FileFlags.AT_REMOVEDIR;
import static org.evfilter.events.syscalls.FileFlags.AT_SYMLINK_FOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_ACCMODE;
import static org.evfilter.events.syscalls.FileFlags.O_CLOEXEC;
import static org.evfilter.events.syscalls.FileFlags.O_CREAT;
import static org.evfilter.events.syscalls.FileFlags.O_EXCL;
import static org.evfilter.events.syscalls.FileFlags.O_NOFOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_NONBLOCK;
import static org.evfilter.events.syscalls.FileFlags.O_PATH;
import static org.evfilter.events.syscalls.FileFlags.O_RDONLY;
import static org.evfilter.events.syscalls.FileFlags.O_TMPFILE_BIT;
import static org.evfilter.events.syscalls.FileFlags.O_TRUNC;
import static org.evfilter.events.syscalls.FileFlags.O_WRONLY;
import static org.evfilter.lsm.supervise.ObjectPinner.S_IFDIR;
import static org.evfilter.lsm.supervise.ObjectPinner.S_IFIFO;
import static org.evfilter.lsm.supervise.ObjectPinner.S_IFLNK;
import static org.evfilter.lsm.supervise.ObjectPinner.S_IFREG;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.evfilter.lsm.natives.TargetMemory;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Performing an allowed call for the task on the very objects that were labelled: opened again
 * through their descriptors' magic links or reached from their pinned parent directories, never by
 * walking the task's path again; then answering with the result.
 */
final class CallPerformer {
  private static final int RENAME_EXCHANGE = 2;
  private static final long FIFO_POLL_MAX_MS = 50;

  private final SupervisorNatives natives;
  private final ObjectPinner pinner;
  private final Relabelling relabelling;
  private final boolean readsLabels;
  // Inodes (device, inode) that may not be renamed or linked: what a Landlock ruleset is attached to.
  private Set<List<Long>> anchors = Set.of();

  CallPerformer(SupervisorNatives natives, ObjectPinner pinner, Relabelling relabelling, boolean readsLabels) {
    this.natives = natives;
    this.pinner = pinner;
    this.relabelling = relabelling;
    this.readsLabels = readsLabels;
  }

  void keepInPlace(Set<List<Long>> anchors) {
    this.anchors = Set.copyOf(anchors);
  }

  /** Performs the allowed path syscall and answers with its result (-1: the notification is gone). */
  long path(Call c, PathSyscall p, int flags, Optional<TaskArguments.OpenHow> how, TaskCredentials.Creds task) {
    PinnedObject t = c.targets().get(0);
    switch (p.kind()) {
      case OPEN, OPENAT2 -> {
        return open(c, p, t, flags, how, task);
      }
      case UNLINK, RMDIR -> {
        int f = p.kind() == PathSyscall.Kind.RMDIR ? AT_REMOVEDIR : p.flags() >= 0 ? (int) c.arg(p.flags()) : 0;
        inEntry(t, true, e -> natives.unlinkat(e.parent(), e.name(), f));
      }
      case MKDIR -> inEntry(t, false, e -> natives.mkdirat(e.parent(), e.name(), (int) c.arg(p.mode()) & ~task.umask()));
      case RENAME, LINK -> moveOrLink(c, p, t, c.targets().get(1));
      case SYMLINK -> {
        byte[] text = natives.string(c.n().tid(), c.arg(0), TargetMemory.PATH_MAX).orElseThrow(() -> new LastErrorException(EFAULT));
        inEntry(t, false, e -> natives.symlinkat(text, e.parent(), e.name()));
      }
      // On the very object that was labelled, through its descriptor.
      case CHMOD -> natives.chmodOpen(pinned(t), (int) c.arg(p.mode()));
      case CHOWN, LCHOWN -> {
        int uidArg = p.name().equals("fchownat") ? 2 : 1;
        natives.chownOpen(pinned(t), (int) c.arg(uidArg), (int) c.arg(uidArg + 1));
      }
      case TRUNCATE -> truncate(t, c.arg(1));
      case EXEC -> throw new IllegalStateException("exec is never performed");
    }
    return c.answer(NotificationAnswer.returning(0)) ? 0 : -1;
  }

  private static int pinned(PinnedObject t) {
    if (!t.present()) {
      throw new LastErrorException(ENOENT);
    }
    return t.pinned();
  }

  /**
   * Reopens the task's own descriptor (the only target, taken from the task) as the open asks:
   * a FIFO opened for writing without O_NONBLOCK waits for its reader as the kernel makes the task
   * wait (runc's exec FIFO, read by {@code runc start}, however late), for as long as the task
   * waits: until the open succeeds or the task is gone or interrupted. Only this supervisor's
   * thread waits (each sandbox of the service has its own).
   */
  long reopen(Call c, PathSyscall p, int flags, Optional<TaskArguments.OpenHow> how, TaskCredentials.Creds task) {
    PinnedObject t = c.targets().get(0);
    boolean waits = t.type() == S_IFIFO && (flags & O_ACCMODE) != O_RDONLY && (flags & O_NONBLOCK) == 0;
    long pause = 1;
    while (true) {
      try {
        return open(c, p, t, flags, how, task);
      } catch (LastErrorException e) {
        if (!waits || e.getErrorCode() != ENXIO) {
          throw e; // ENXIO itself for a non-blocking open, as the kernel answers it
        }
      }
      if (!c.channel().valid(c.n().id())) {
        return -1; // the task is gone, or was interrupted: nothing to answer
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LastErrorException(ENXIO);
      }
      pause = Math.min(pause * 2, FIFO_POLL_MAX_MS); // a reader that comes at once is met at once
    }
  }

  private long open(Call c, PathSyscall p, PinnedObject t, int flags, Optional<TaskArguments.OpenHow> how, TaskCredentials.Creds task) {
    if ((flags & O_PATH) != 0 && (flags & O_TMPFILE_BIT) == 0 && t.present()) {
      // The kernel injects no O_PATH descriptor (ADDFD takes only files open for I/O): the open
      // continues in the kernel. A path swapped meanwhile yields an O_PATH descriptor of another
      // object: good for fstat and as the base of *at calls, which are labelled again.
      c.answer(NotificationAnswer.CONTINUE);
      return 0;
    }
    int mode = (int) (long) how.map(TaskArguments.OpenHow::mode).orElse(p.mode() >= 0 ? c.arg(p.mode()) : 0L) & ~task.umask();
    // Anything but a regular file or directory is opened without blocking (a FIFO would hang the
    // supervisor), and the task's own flag restored.
    int type = t.type();
    int nonblock = type == S_IFREG || type == S_IFDIR || (flags & O_NONBLOCK) != 0 ? 0 : O_NONBLOCK;
    int fd = openFor(t, flags | nonblock, mode);
    try {
      if (nonblock != 0) {
        natives.clearNonblock(fd);
      }
      return c.channel().inject(c.n().id(), fd, (flags & O_CLOEXEC) != 0);
    } finally {
      natives.closeQuietly(fd);
    }
  }

  private int openFor(PinnedObject t, int flags, int mode) {
    if ((flags & O_TMPFILE_BIT) != 0) {
      // An unnamed file in the directory that was checked: nothing else can be reached this way.
      return create(t, flags, mode);
    }
    if (t.present() && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL)) {
      // The very object that was labelled, opened again through its descriptor's magic link with
      // the task's credentials (its permissions are checked again; its path is not walked again,
      // so nothing swapped in meanwhile, a FIFO or a device, is ever opened); truncated only then.
      if (t.type() == S_IFLNK) {
        throw new LastErrorException(ELOOP); // O_NOFOLLOW on a symlink, as the kernel answers
      }
      int fd = natives.reopen(t.pinned(), flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW), mode);
      // O_TRUNC truncates regular files only (devices and FIFOs ignore it).
      if ((flags & O_TRUNC) != 0 && (flags & O_ACCMODE) != 0 && t.type() == S_IFREG) {
        try {
          natives.ftruncate(fd, 0);
        } catch (LastErrorException ex) {
          natives.closeQuietly(fd);
          throw ex;
        }
      }
      return fd;
    }
    if ((flags & O_CREAT) == 0) {
      // Absent when it was checked: whatever is there now was never labelled.
      throw new LastErrorException(t.absence());
    }
    // Absent when labelled: create it exclusively, so nothing that appeared meanwhile is opened unchecked.
    try {
      return create(t, flags | O_EXCL, mode);
    } catch (LastErrorException ex) {
      throw ex.getErrorCode() == EEXIST && (flags & O_EXCL) == 0 ? new LastErrorException(EACCES) : ex;
    }
  }

  // Opened from where the object was looked up, the lookup kept in the task's file tree as the check's was.
  private int create(PinnedObject t, int flags, int mode) {
    return t.within() == 0 ? natives.openat(t.dirfd(), t.path(), flags, mode) : natives.openIn(t.dirfd(), t.path(), flags, mode, t.within());
  }

  // The descriptor's magic link: the object itself, whatever its path is now.
  private static byte[] magic(int fd) {
    return ("/proc/self/fd/" + fd).getBytes(StandardCharsets.ISO_8859_1);
  }

  private void truncate(PinnedObject t, long length) {
    int fdOfObject = pinned(t);
    if (t.type() != S_IFREG) {
      throw new LastErrorException(t.type() == S_IFDIR ? EISDIR : EINVAL);
    }
    // The labelled object itself, through its descriptor, writable for the task or not at all.
    int fd = natives.reopen(fdOfObject, O_WRONLY | O_CLOEXEC, 0);
    try {
      natives.ftruncate(fd, length);
    } finally {
      natives.closeQuietly(fd);
    }
  }

  private void inEntry(PinnedObject t, boolean existing, java.util.function.Consumer<ObjectPinner.Entry> call) {
    ObjectPinner.Entry e = pinner.entry(t, existing);
    try {
      call.accept(e);
    } finally {
      pinner.close(e);
    }
  }

  private boolean anchored(PinnedObject t) {
    return t.identity() != null && !anchors.isEmpty() && anchors.contains(List.of(t.identity().device(), t.identity().inode()));
  }

  private void moveOrLink(Call c, PathSyscall p, PinnedObject t, PinnedObject dest) {
    if (anchored(t) || anchored(dest)) {
      // Landlock's rules hold on these inodes wherever they go: moved or linked elsewhere, they
      // would carry rights their new path's label does not have. EXDEV, as Landlock answers a
      // move across its trees: mv copies instead.
      throw new LastErrorException(EXDEV);
    }
    int f = p.flags() >= 0 ? (int) c.arg(p.flags()) : 0;
    boolean rename = p.kind() == PathSyscall.Kind.RENAME;
    boolean followed = !rename && (f & AT_SYMLINK_FOLLOW) != 0;
    ObjectPinner.Entry from = pinner.entry(t, !followed);
    try {
      inEntry(dest, dest.present(), to -> {
        if (!anchors.isEmpty() && !sameInode(natives.fstat(from.parent()), natives.fstat(to.parent())) && carriesLabelXattr(t)) {
          throw new LastErrorException(EXDEV);
        }
        // linkat(AT_SYMLINK_FOLLOW) links the object the symlink led to when it was labelled.
        boolean kept = followed && t.present() ? !readsLabels || relabelling.keeps(name -> natives.readXattr(t.pinned(), name),
            t.identity().mode(), pinner.at(t), pinner.at(to)) : keepsLabels(from, to, rename && (f & RENAME_EXCHANGE) != 0);
        if (!kept) {
          // Labels belong to objects: EXDEV, as Landlock refuses a move that would change access;
          // mv then copies, and the copy is a new object, made only where reading the source is allowed.
          throw new LastErrorException(EXDEV);
        }
        if (rename) {
          natives.renameat2(from.parent(), from.name(), to.parent(), to.name(), f);
        } else if (followed) {
          // Following the symlink again could reach another file: link the object that was
          // labelled, through its descriptor's magic link.
          natives.linkat(AT_FDCWD, magic(pinned(t)), to.parent(), to.name(), AT_SYMLINK_FOLLOW);
        } else {
          natives.linkat(from.parent(), from.name(), to.parent(), to.name(), f);
        }
      });
    } finally {
      pinner.close(from);
    }
  }

  // Whether the object at here keeps its labels (and all beneath it) at there; for an exchange, the
  // object at there too, at here. Both are the pinned entries the call is made on: walked through
  // their parents' descriptors, labelled by their paths as the task sees them.
  private boolean keepsLabels(ObjectPinner.Entry here, ObjectPinner.Entry there, boolean exchange) {
    if (!readsLabels) {
      return true;
    }
    String from = pinner.at(here);
    String to = pinner.at(there);
    return relabelling.keeps(here.walkable(), from, to) && (!exchange || relabelling.keeps(there.walkable(), to, from));
  }

  // Whether the object, or anything beneath it when it is a directory, carries a label xattr;
  // true when that cannot be found out (the rename is then refused, never done unchecked).
  private boolean carriesLabelXattr(PinnedObject t) {
    if (!t.present() || t.identity() == null) {
      return true;
    }
    for (String name : LabelResolver.XATTRS) {
      if (natives.readXattr(t.pinned(), name).isPresent()) {
        return true;
      }
    }
    return t.type() == S_IFDIR && natives.treeCarries(t.pinned(), LabelResolver.XATTRS);
  }

  private static boolean sameInode(LabelResolver.Identity a, LabelResolver.Identity b) {
    return a.device() == b.device() && a.inode() == b.inode();
  }

  /** Writes or removes the xattr on the object that was labelled, and answers with 0. */
  long xattr(Call c, PinnedObject t, boolean byFd, byte[] name, Optional<byte[]> value, int flags) {
    if (!t.present()) {
      throw new LastErrorException(t.absence());
    }
    if (!byFd && t.type() == S_IFLNK) {
      // A symlink's own xattrs (l*xattr): its magic link would lead past it. The kernel refuses
      // user.* on symlinks with EPERM; other namespaces there are refused the same way.
      throw new LastErrorException(EPERM);
    }
    natives.writeXattr(t.pinned(), !byFd, name, value, flags);
    return c.answer(NotificationAnswer.returning(0)) ? 0 : -1;
  }
}
