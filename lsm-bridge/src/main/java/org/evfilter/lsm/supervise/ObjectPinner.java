package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.EACCES;
import static org.evfilter.events.syscalls.Errno.ENOENT;
import static org.evfilter.events.syscalls.Errno.ENOTDIR;
import static org.evfilter.events.syscalls.FileFlags.AT_FDCWD;
import static org.evfilter.events.syscalls.FileFlags.O_CLOEXEC;
import static org.evfilter.events.syscalls.FileFlags.O_PATH;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Reading and pinning the objects a syscall names, as the task sees them: each is opened
 * ({@code O_PATH}, no magic link crossed) with the task's credentials, and labelled through that
 * descriptor, so what is decided and what is acted on are one object.
 */
final class ObjectPinner {
  static final int S_IFMT = 0170000;
  static final int S_IFREG = 0100000;
  static final int S_IFDIR = 0040000;
  static final int S_IFLNK = 0120000;
  private static final String OWN_PROC = "/proc/" + ProcessHandle.current().pid();
  private static final byte[] DOT = {'.'};
  private static final byte[] DOTDOT = {'.', '.'};

  private final SupervisorNatives natives;
  private final TaskCredentials credentials;
  private final LabelResolver labels;
  private final long procDevice;

  /** A directory entry: its parent pinned as a descriptor, and its name in it (no NUL). */
  record Entry(int parent, byte[] name) {}

  ObjectPinner(SupervisorNatives natives, TaskCredentials credentials, LabelResolver labels) {
    this.natives = natives;
    this.credentials = credentials;
    this.labels = labels;
    this.procDevice = natives.procDevice();
  }

  // Opens what the path names, as the task would see it, without following a final symlink unless
  // the syscall does, and never through a magic link (/proc/PID/fd/N, /dev/fd/N: in the supervisor
  // they would name the supervisor's own descriptors): the descriptor pins the object that gets
  // labelled. The supervisor's own /proc entries are refused.
  PinnedObject pin(int tid, long dirfd, byte[] path, boolean follow, TaskCredentials.Creds task, long resolve) {
    boolean absolute = path.length > 0 && path[0] == '/';
    int base = absolute ? AT_FDCWD : natives.openat(AT_FDCWD, where(tid, dirfd), O_PATH | O_CLOEXEC, 0);
    int pinned = -1;
    try {
      int absentErrno = 0;
      try {
        // Walked with the task's credentials: what it cannot reach is absent for it.
        pinned = credentials.wearing(task, () -> natives.pin(base, path, follow, resolve));
      } catch (LastErrorException e) {
        if (e.getErrorCode() != ENOENT && e.getErrorCode() != EACCES && e.getErrorCode() != ENOTDIR) {
          throw e; // a magic link, a loop, a lookup openat2's resolve flags forbid: refused with its errno
        }
        absentErrno = e.getErrorCode(); // absent (or unreachable): labelled by its path alone
      }
      PinnedObject o = pinned >= 0 ? present(path, absolute ? -1 : base, pinned) : absent(path, base, task, resolve, absentErrno);
      pinned = -1;
      return o;
    } catch (RuntimeException | Error e) {
      natives.closeQuietly(pinned);
      if (base != AT_FDCWD) {
        natives.closeQuietly(base);
      }
      throw e;
    }
  }

  private static byte[] where(int tid, long dirfd) {
    String w = dirfd == AT_FDCWD ? "/proc/" + tid + "/cwd" : "/proc/" + tid + "/fd/" + dirfd;
    return w.getBytes(StandardCharsets.ISO_8859_1);
  }

  private PinnedObject present(byte[] path, int base, int pinned) {
    LabelResolver.Identity id = natives.fstat(pinned);
    if (id.device() == procDevice) {
      String where = natives.where(pinned);
      if (where.equals(OWN_PROC) || where.startsWith(OWN_PROC + "/")) {
        throw new LastErrorException(EACCES);
      }
    }
    // The path is needed only when the labels of this inode are not cached (file_contexts rules).
    String[] resolved = {null};
    long set = labels.labelsOfOpen(pinned, id, () -> resolved[0] = natives.where(pinned));
    return new PinnedObject(path, resolved[0], base, pinned, id, set, 0);
  }

  // Absent: labelled by where it would be made, its parent directory as the kernel resolves it
  // (symlinks and .. followed), which is pinned so the call is made there and nowhere else.
  private PinnedObject absent(byte[] path, int base, TaskCredentials.Creds task, long resolve, int absentErrno) {
    boolean absolute = path.length > 0 && path[0] == '/';
    int cut = lastSlash(path);
    int parent = cut < 0 ? -1 : pinParent(base, Arrays.copyOf(path, Math.max(cut, 1)), task, resolve);
    byte[] last = parent < 0 ? path : Arrays.copyOfRange(path, cut + 1, path.length);
    String name = new String(last, StandardCharsets.ISO_8859_1);
    PinnedObject o;
    try {
      // The path is needed only when file_contexts rules label paths.
      String[] canonical = {absolute && parent < 0 ? name : null};
      int dir = parent < 0 ? base : parent;
      long set = labels.labelsOfAbsent(() -> canonical[0] != null ? canonical[0] : (canonical[0] = under(natives.where(dir), name)));
      o = new PinnedObject(last, canonical[0], parent >= 0 ? parent : absolute ? -1 : base, -1, null, set, absentErrno);
    } catch (RuntimeException e) {
      natives.closeQuietly(parent);
      throw e;
    }
    if (parent >= 0 && base != AT_FDCWD) {
      natives.closeQuietly(base);
    }
    return o;
  }

  // The parent directory of an absent object, pinned as the task reaches it; -1 when it cannot be.
  private int pinParent(int base, byte[] dir, TaskCredentials.Creds task, long resolve) {
    try {
      return credentials.wearing(task, () -> natives.pin(base, dir, true, resolve));
    } catch (LastErrorException e) {
      return -1;
    }
  }

  // The object the task holds open as fd, taken with pidfd_getfd: labelled and written through that
  // very descriptor, whatever its path is now.
  PinnedObject descriptor(int fd, TaskCredentials.Creds task) {
    int got = natives.takeDescriptor(task.tgid(), fd);
    try {
      LabelResolver.Identity id = natives.fstat(got);
      String where = natives.where(got);
      return new PinnedObject(new byte[0], where, -1, got, id, labels.labelsOfOpen(got, id, () -> where), 0);
    } catch (RuntimeException e) {
      natives.closeQuietly(got);
      throw e;
    }
  }

  // The entry a path names, its parent directory pinned (so no component above it can be swapped),
  // and when the object existed at the check, proven to be that object now.
  Entry entry(PinnedObject t, boolean existing) {
    byte[] path = t.path();
    int end = path.length;
    while (end > 1 && path[end - 1] == '/') {
      end--;
    }
    int slash = end - 1;
    while (slash >= 0 && path[slash] != '/') {
      slash--;
    }
    byte[] dir = slash < 0 ? new byte[] {'.'} : slash == 0 ? new byte[] {'/'} : Arrays.copyOf(path, slash);
    byte[] name = Arrays.copyOfRange(path, slash + 1, end);
    int parent = natives.pin(t.base() < 0 ? AT_FDCWD : t.base(), dir, true, 0);
    try {
      if (existing) {
        if (!t.present()) {
          throw new LastErrorException(ENOENT);
        }
        LabelResolver.Identity now = natives.lstatAt(parent, name);
        if (t.identity().device() != now.device() || t.identity().inode() != now.inode()) {
          throw new LastErrorException(EACCES);
        }
      }
      return new Entry(parent, name);
    } catch (RuntimeException e) {
      natives.closeQuietly(parent);
      throw e;
    }
  }

  /** The path of an entry, read from its pinned parent. */
  String at(Entry e) {
    return under(natives.where(e.parent()), new String(e.name(), StandardCharsets.ISO_8859_1));
  }

  void close(Entry e) {
    natives.closeQuietly(e.parent());
  }

  void closeAll(List<PinnedObject> objects) {
    for (PinnedObject t : objects) {
      natives.closeQuietly(t.pinned());
      if (t.base() >= 0) {
        natives.closeQuietly(t.base());
      }
    }
  }

  static String under(String dir, String name) {
    return dir + (dir.endsWith("/") ? "" : "/") + name;
  }

  // Where the last component of a path starts, less one (-1: no slash before it). Trailing
  // slashes stay with the last component ("a/b/" is "b/" in "a").
  static int lastSlash(byte[] path) {
    int end = path.length;
    while (end > 1 && path[end - 1] == '/') {
      end--;
    }
    for (int i = end - 1; i >= 0; i--) {
      if (path[i] == '/') {
        byte[] last = Arrays.copyOfRange(path, i + 1, end);
        return last.length == 0 || Arrays.equals(last, DOT) || Arrays.equals(last, DOTDOT) ? -1 : i;
      }
    }
    return -1;
  }

  // /proc/self and /proc/thread-self named by the task are the task's.
  static byte[] selfless(byte[] path, int tgid, int tid) {
    if (path.length < 10 || path[0] != '/' || path[1] != 'p' || path[5] != '/') {
      return path; // not under /proc (the common case, without a string)
    }
    String p = new String(path, StandardCharsets.ISO_8859_1);
    String out = p;
    if (p.equals("/proc/self") || p.startsWith("/proc/self/")) {
      out = "/proc/" + tgid + p.substring("/proc/self".length());
    } else if (p.equals("/proc/thread-self") || p.startsWith("/proc/thread-self/")) {
      out = "/proc/" + tgid + "/task/" + tid + p.substring("/proc/thread-self".length());
    }
    return out.equals(p) ? path : out.getBytes(StandardCharsets.ISO_8859_1);
  }
}
