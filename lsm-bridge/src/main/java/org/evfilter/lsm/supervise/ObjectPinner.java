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
  static final int S_IFIFO = 0010000;
  private static final String OWN_PROC = "/proc/" + ProcessHandle.current().pid();
  private static final byte[] DOT = {'.'};
  private static final byte[] DOTDOT = {'.', '.'};
  private static final byte[] NO_PATH = {};
  private static final byte[] OWN_PID_NAMESPACE = "/proc/self/ns/pid".getBytes(StandardCharsets.ISO_8859_1);

  private final SupervisorNatives natives;
  private final TaskCredentials credentials;
  private final LabelResolver labels;
  private final long procDevice;
  private boolean inTaskRoot;

  /** A directory entry: its parent pinned as a descriptor, its name in it (no NUL), and the root the task sees it from. */
  record Entry(int parent, byte[] name, TaskRoot root) {
    /** A path to the entry the supervisor can walk (through its parent's descriptor), wherever the task's root is. */
    java.nio.file.Path walkable() {
      return java.nio.file.Path.of("/proc/self/fd/" + parent + "/" + new String(name, StandardCharsets.ISO_8859_1));
    }
  }

  ObjectPinner(SupervisorNatives natives, TaskCredentials credentials, LabelResolver labels) {
    this.natives = natives;
    this.credentials = credentials;
    this.labels = labels;
    this.procDevice = natives.procDevice();
  }

  /** From now on, paths are looked up in the root and working directory of the notifying task, not the supervisor's. */
  void inTaskRoot() {
    inTaskRoot = true;
  }

  // Opens what the path names, as the task would see it, without following a final symlink unless
  // the syscall does, and never through a magic link (/proc/PID/fd/N, /dev/fd/N: in the supervisor
  // they would name the supervisor's own descriptors): the descriptor pins the object that gets
  // labelled. The supervisor's own /proc entries are refused.
  PinnedObject pin(int tid, long dirfd, byte[] path, boolean follow, TaskCredentials.Creds task, long resolve) {
    if (inTaskRoot) {
      Lookup l = inRoot(tid, dirfd, path, resolve);
      return pin(tid, l.base(), l.path(), l.within(), l.root(), follow, task, resolve);
    }
    // The supervisor's root is the task's: absolute paths from it, relative ones from the task's directory.
    boolean absolute = path.length > 0 && path[0] == '/';
    int base = absolute ? -1 : natives.openat(AT_FDCWD, where(tid, dirfd), O_PATH | O_CLOEXEC, 0);
    return pin(tid, base, path, 0, TaskRoot.HOST, follow, task, resolve);
  }

  private PinnedObject pin(int tid, int base, byte[] path, long within, TaskRoot root, boolean follow, TaskCredentials.Creds task,
      long resolve) {
    int pinned = -1;
    try {
      int absentErrno = 0;
      try {
        // Walked with the task's credentials: what it cannot reach is absent for it.
        pinned = credentials.wearing(task, () -> natives.pin(base < 0 ? AT_FDCWD : base, path, follow, resolve | within));
      } catch (LastErrorException e) {
        if (e.getErrorCode() != ENOENT && e.getErrorCode() != EACCES && e.getErrorCode() != ENOTDIR) {
          throw e; // a magic link, a loop, a lookup openat2's resolve flags forbid: refused with its errno
        }
        absentErrno = e.getErrorCode(); // absent (or unreachable): labelled by its path alone
      }
      PinnedObject o = pinned >= 0 ? present(tid, path, base, within, root, pinned) : absent(path, base, within, root, task, resolve,
          absentErrno);
      pinned = -1;
      return o;
    } catch (RuntimeException | Error e) {
      natives.closeQuietly(pinned);
      natives.closeQuietly(base);
      throw e;
    }
  }

  // A task in a root of its own (a container): every path is looked up from its root, as if the
  // supervisor were chrooted there (RESOLVE_IN_ROOT: "..", absolute symlinks stay inside it), a
  // relative one under its directory's path in that root. A directory outside the task's root
  // (a descriptor passed in) is looked up beneath (RESOLVE_BENEATH): no lookup ever leaves it for
  // the supervisor's root. openat2's own RESOLVE_BENEATH or RESOLVE_IN_ROOT bind the lookup to the
  // task's directory as the kernel binds it.
  private Lookup inRoot(int tid, long dirfd, byte[] path, long resolve) {
    boolean absolute = path.length > 0 && path[0] == '/';
    int root = natives.openat(AT_FDCWD, proc(tid, "root"), O_PATH | O_CLOEXEC, 0);
    TaskRoot r = new TaskRoot(natives.where(root));
    long bound = resolve & (Lookup.RESOLVE_BENEATH | Lookup.RESOLVE_IN_ROOT);
    if (absolute && bound == 0) {
      return new Lookup(root, path, Lookup.RESOLVE_IN_ROOT, r);
    }
    int dir;
    try {
      dir = natives.openat(AT_FDCWD, where(tid, dirfd), O_PATH | O_CLOEXEC, 0);
    } catch (RuntimeException e) {
      natives.closeQuietly(root);
      throw e;
    }
    String at = natives.where(dir);
    if (bound == 0 && path.length > 0 && r.holds(at)) {
      natives.closeQuietly(dir);
      String inside = r.view(at);
      return new Lookup(root, under(inside, new String(path, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1),
          Lookup.RESOLVE_IN_ROOT, r);
    }
    natives.closeQuietly(root);
    return new Lookup(dir, path, bound != 0 ? bound : Lookup.RESOLVE_BENEATH, r);
  }

  // What the magic link at path (/proc/TID/root, /proc/TID/ns/pid) leads to, as the supervisor sees it.
  private String link(byte[] path) {
    int fd = natives.openat(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0);
    try {
      return natives.where(fd);
    } finally {
      natives.closeQuietly(fd);
    }
  }

  private static byte[] where(int tid, long dirfd) {
    return dirfd == AT_FDCWD ? proc(tid, "cwd") : proc(tid, "fd/" + dirfd);
  }

  private static byte[] proc(int tid, String entry) {
    return ("/proc/" + tid + "/" + entry).getBytes(StandardCharsets.ISO_8859_1);
  }

  private PinnedObject present(int tid, byte[] path, int base, long within, TaskRoot root, int pinned) {
    LabelResolver.Identity id = natives.fstat(pinned);
    // The supervisor's own /proc entries, in its /proc or, for a task in its root, in the procfs
    // the task has at /proc (another mount of the supervisor's pid namespace, when it shares it).
    if (id.device() == procDevice || inTaskRoot && natives.onProcfs(pinned) && seesSupervisor(tid)) {
      String where = root.view(natives.where(pinned));
      if (where.equals(OWN_PROC) || where.startsWith(OWN_PROC + "/")) {
        throw new LastErrorException(EACCES);
      }
    }
    // The path is needed only when the labels of this inode are not cached (file_contexts rules).
    String[] resolved = {null};
    long set = labels.labelsOfOpen(pinned, id, () -> resolved[0] = root.view(natives.where(pinned)));
    return new PinnedObject(path, resolved[0], base, pinned, id, set, 0, within, root);
  }

  // Whether a task in a pid namespace of its own could see the supervisor in its /proc: only
  // when it shares the supervisor's (the supervisor is in an ancestor namespace otherwise, and a
  // procfs mounted there shows none of its processes).
  private boolean seesSupervisor(int tid) {
    String own = link(OWN_PID_NAMESPACE);
    return !own.equals("?") && own.equals(link(proc(tid, "ns/pid")));
  }

  // Absent: labelled by where it would be made, its parent directory as the kernel resolves it
  // (symlinks and .. followed), which is pinned so the call is made there and nowhere else.
  private PinnedObject absent(byte[] path, int base, long within, TaskRoot root, TaskCredentials.Creds task, long resolve,
      int absentErrno) {
    boolean absolute = path.length > 0 && path[0] == '/';
    int cut = lastSlash(path);
    int parent = cut < 0 ? -1 : pinParent(base, within, Arrays.copyOf(path, Math.max(cut, 1)), task, resolve);
    byte[] last = parent < 0 ? path : Arrays.copyOfRange(path, cut + 1, path.length);
    String name = new String(last, StandardCharsets.ISO_8859_1);
    PinnedObject o;
    try {
      // The path is needed only when file_contexts rules label paths.
      String[] canonical = {absolute && parent < 0 ? name : null};
      int dir = parent < 0 ? base : parent;
      long set = labels.labelsOfAbsent(() -> canonical[0] != null ? canonical[0]
          : (canonical[0] = under(root.view(natives.where(dir)), name)));
      o = new PinnedObject(last, canonical[0], parent >= 0 ? parent : base, -1, null, set, absentErrno, within, root);
    } catch (RuntimeException e) {
      natives.closeQuietly(parent);
      throw e;
    }
    if (parent >= 0) {
      natives.closeQuietly(base);
    }
    return o;
  }

  // The parent directory of an absent object, pinned as the task reaches it; -1 when it cannot be.
  private int pinParent(int base, long within, byte[] dir, TaskCredentials.Creds task, long resolve) {
    try {
      return credentials.wearing(task, () -> natives.pin(base < 0 ? AT_FDCWD : base, dir, true, resolve | within));
    } catch (LastErrorException e) {
      return -1;
    }
  }

  // The object the task holds open as fd, taken with pidfd_getfd: labelled and written through that
  // very descriptor, whatever its path is now.
  PinnedObject descriptor(int tid, int fd, TaskCredentials.Creds task) {
    int got = natives.takeDescriptor(task.tgid(), fd);
    try {
      LabelResolver.Identity id = natives.fstat(got);
      TaskRoot root = inTaskRoot ? new TaskRoot(link(proc(tid, "root"))) : TaskRoot.HOST;
      String where = root.view(natives.where(got));
      return new PinnedObject(NO_PATH, where, -1, got, id, labels.labelsOfOpen(got, id, () -> where), 0, 0, root);
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
    int parent = natives.pin(t.dirfd(), dir, true, t.within());
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
      return new Entry(parent, name, t.root());
    } catch (RuntimeException e) {
      natives.closeQuietly(parent);
      throw e;
    }
  }

  /** The path of an entry as the task sees it, read from its pinned parent. */
  String at(Entry e) {
    return under(e.root().view(natives.where(e.parent())), new String(e.name(), StandardCharsets.ISO_8859_1));
  }

  /** The path of a present object as the task sees it now, read from its descriptor. */
  String at(PinnedObject t) {
    return t.root().view(natives.where(t.pinned()));
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

  /**
   * The descriptor a path names when it is one of the task's own, {@code /proc/self/fd/N} or
   * {@code /proc/thread-self/fd/N}: reopened, as runc's init reopens its exec FIFO.
   */
  static java.util.OptionalInt ownDescriptor(byte[] path) {
    if (!namesSelf(path)) {
      return java.util.OptionalInt.empty();
    }
    String p = new String(path, StandardCharsets.ISO_8859_1);
    for (String dir : List.of("/proc/self/fd/", "/proc/thread-self/fd/")) {
      String n = p.startsWith(dir) ? p.substring(dir.length()) : "";
      if (!n.isEmpty() && n.length() < 10 && n.chars().allMatch(Character::isDigit)) {
        return java.util.OptionalInt.of(Integer.parseInt(n));
      }
    }
    return java.util.OptionalInt.empty();
  }

  /** Whether the path may name /proc/self or /proc/thread-self (false for almost every path, without a string). */
  static boolean namesSelf(byte[] path) {
    return path.length >= 10 && path[0] == '/' && path[1] == 'p' && path[5] == '/';
  }

  // /proc/self and /proc/thread-self named by the task are the task's.
  static byte[] selfless(byte[] path, int tgid, int tid) {
    if (!namesSelf(path)) {
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
