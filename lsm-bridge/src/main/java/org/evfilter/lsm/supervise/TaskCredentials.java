package org.evfilter.lsm.supervise;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.evfilter.lsm.natives.Libc;

/**
 * The credentials of a supervised task (fsuid, fsgid, supplementary groups, effective
 * capabilities, umask, thread group), and wearing them on the supervisor's own thread while it
 * opens or changes files for the task, so the kernel's permission checks are the task's. Every
 * switch is per thread (raw syscalls; glibc's wrappers would change every thread of the JVM).
 *
 * <p>Read while the task is blocked in its notified syscall, when a thread's credentials cannot
 * change (only the thread itself changes them). Ids come from {@code PIDFD_GET_INFO} on a pidfd
 * held per thread (the pidfd also proves the thread id was not reused) and capabilities from
 * {@code capget}: two cheap calls, where {@code /proc/TID/status} costs about 17 µs; a thread with no
 * permitted capability under no_new_privs can never have one again: its capabilities are not read. Groups and the
 * user namespace are read from {@code /proc} once per thread and kept until the thread itself calls
 * setgroups, unshare or setns, which the supervised program sends to the supervisor for that reason
 * ({@link #TRACKED}); the umask, shared by threads and changed by umask(2) at any time, is read when
 * a syscall creates something. A task in another user namespace is given no capabilities: its
 * capabilities are its namespace's, not the supervisor's. Kernels older than 6.13 (no
 * PIDFD_GET_INFO) read {@code /proc/TID/status} every time.
 */
final class TaskCredentials {
  private static final long SYS_SETFSUID = 122;
  private static final long SYS_SETFSGID = 123;
  private static final long SYS_SETGROUPS = 116;
  private static final long SYS_CAPGET = 125;
  private static final int CAPABILITY_VERSION_3 = 0x20080522;
  private static final int PIDFD_THREAD = 0200; // O_EXCL
  private static final long PIDFD_GET_INFO = 0xc040ff0bL;
  private static final long PIDFD_INFO_PID_AND_CREDS = 3;
  private static final int MAX_THREADS = 4096;

  /** The syscalls after which a thread's groups or user namespace are read again (x86_64 names). */
  static final java.util.List<String> TRACKED = java.util.List.of("setgroups", "unshare", "setns");

  /** One task's credentials at the time of a notification; umask -1 when it was not read. */
  record Creds(int tgid, int fsuid, int fsgid, int[] groups, long capEff, long capPrm, int umask) {
    boolean sameAccess(Creds o) {
      return fsuid == o.fsuid && fsgid == o.fsgid && capEff == o.capEff && Arrays.equals(groups, o.groups);
    }
  }

  // What is kept per thread: its pidfd (identity), its thread group, its groups, whether it shares
  // our user namespace, and whether it is powerless for good (see learn).
  private record Known(int pidfd, int tgid, int[] groups, boolean ownUserNamespace, boolean powerless) {}

  private final Creds own;
  private final long ownUserNamespace;
  private final Memory groups = new Memory(4L * 65536);
  private final Memory status = new Memory(8192);
  private final Memory capHeader = new Memory(8);
  private final Memory capData = new Memory(24);
  private final Memory info = new Memory(64);
  private final long infoAt = com.sun.jna.Pointer.nativeValue(info);
  // Read through buffer views: each Memory.getInt would be a JNI call.
  private final java.nio.ByteBuffer infoView = info.getByteBuffer(0, 64).order(java.nio.ByteOrder.nativeOrder());
  private final java.nio.ByteBuffer capView = capData.getByteBuffer(0, 24).order(java.nio.ByteOrder.nativeOrder());
  private final org.evfilter.lsm.natives.Structs.Stat nsStat = new org.evfilter.lsm.natives.Structs.Stat();
  private boolean pidfdInfo = true;
  // Thread groups one of whose threads changed its groups or namespace: an exec by another thread
  // takes the leader's thread id (and pidfd), so what was kept under that id may not be its own.
  // Their groups are read from /proc at every notification.
  private final java.util.Set<Integer> divergent = new java.util.HashSet<>();
  private final java.util.LinkedHashMap<Integer, Known> known = new java.util.LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<Integer, Known> eldest) {
      if (size() > MAX_THREADS) {
        closeQuietly(eldest.getValue().pidfd);
        return true;
      }
      return false;
    }
  };

  TaskCredentials() {
    this.own = read("thread-self").orElseThrow(() -> new IllegalStateException("cannot read /proc/thread-self/status"));
    this.ownUserNamespace = userNamespace("thread-self");
  }

  Creds own() {
    return own;
  }

  /** The task's credentials now; empty when it is gone. */
  Optional<Creds> of(int tid) {
    if (!pidfdInfo) {
      return read(String.valueOf(tid)).map(c -> userNamespace(String.valueOf(tid)) == ownUserNamespace ? c : powerless(c));
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      Known k = known.get(tid);
      if (k == null) {
        k = learn(tid);
        if (k == null) {
          return pidfdInfo ? Optional.empty() : of(tid);
        }
      }
      infoView.putLong(0, PIDFD_INFO_PID_AND_CREDS);
      try {
        Libc.ioctl(k.pidfd, PIDFD_GET_INFO, infoAt);
      } catch (LastErrorException e) {
        // The thread this pidfd named is gone: the thread id now belongs to another task.
        forget(tid);
        continue;
      }
      long eff = 0;
      long prm = 0;
      if (!k.powerless) {
        capHeader.setInt(0, CAPABILITY_VERSION_3);
        capHeader.setInt(4, tid);
        try {
          Libc.syscall(SYS_CAPGET, com.sun.jna.Pointer.nativeValue(capHeader), com.sun.jna.Pointer.nativeValue(capData), 0);
        } catch (LastErrorException e) {
          return Optional.empty();
        }
        eff = Integer.toUnsignedLong(capView.getInt(0)) | (long) capView.getInt(12) << 32;
        prm = Integer.toUnsignedLong(capView.getInt(4)) | (long) capView.getInt(16) << 32;
      }
      int[] groups = k.groups;
      if (divergent.contains(k.tgid)) {
        Optional<Creds> now = read(String.valueOf(tid));
        if (now.isEmpty()) {
          return Optional.empty();
        }
        groups = now.get().groups;
      }
      Creds c = new Creds(infoView.getInt(20), infoView.getInt(52), infoView.getInt(56), groups, eff, prm, -1);
      return Optional.of(k.ownUserNamespace ? c : powerless(c));
    }
    return Optional.empty();
  }

  /**
   * The thread may change its groups or user namespace: read them again at its next notification,
   * and from now on for every thread of its group (see {@link #divergent}).
   */
  void forget(int tid) {
    Known k = known.remove(tid);
    if (k != null) {
      divergent.add(k.tgid);
      closeQuietly(k.pidfd);
    } else {
      read(String.valueOf(tid)).ifPresent(c -> divergent.add(c.tgid()));
    }
  }

  /**
   * {@code task} with its umask now (it is shared by threads and changes without a notification):
   * read only for syscalls that create, before the notification is checked to be still pending.
   */
  Creds withUmask(Creds task, int tid) {
    String um = field(statusText(String.valueOf(tid)), "Umask:").trim();
    // Unreadable: the most restrictive, never a wider mode than the task asked for.
    int umask = um.isEmpty() ? 077 : Integer.parseInt(um, 8);
    return new Creds(task.tgid, task.fsuid, task.fsgid, task.groups, task.capEff, task.capPrm, umask);
  }

  // A pidfd for the thread, then its groups and user namespace (read after it, so they are this thread's).
  private Known learn(int tid) {
    int pidfd;
    try {
      pidfd = (int) Libc.syscall(Libc.SYS_PIDFD_OPEN, tid, PIDFD_THREAD, 0);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == 22) {
        pidfdInfo = false; // before Linux 6.9: no thread pidfds
      }
      return null;
    }
    info.clear();
    info.setLong(0, PIDFD_INFO_PID_AND_CREDS);
    try {
      Libc.ioctl(pidfd, PIDFD_GET_INFO, infoAt);
    } catch (LastErrorException e) {
      closeQuietly(pidfd);
      if (e.getErrorCode() == 25 || e.getErrorCode() == 22) {
        pidfdInfo = false; // before Linux 6.13: no PIDFD_GET_INFO
      }
      return null;
    }
    String status = statusText(String.valueOf(tid));
    Optional<Creds> c = parse(status);
    if (c.isEmpty()) {
      closeQuietly(pidfd);
      return null;
    }
    // No permitted capability under no_new_privs: none can be had again, by capset, a uid change or
    // an exec (the kernel never grows the permitted set of such a task), but by entering another
    // user namespace, which unshare and setns tell (TRACKED). Its capabilities need no reading.
    boolean powerless = c.get().capPrm == 0 && field(status, "NoNewPrivs:").trim().equals("1");
    Known k = new Known(pidfd, c.get().tgid, c.get().groups, userNamespace(String.valueOf(tid)) == ownUserNamespace, powerless);
    known.put(tid, k);
    return k;
  }

  private static Creds powerless(Creds c) {
    return new Creds(c.tgid, c.fsuid, c.fsgid, c.groups, 0, 0, c.umask);
  }

  // The inode of the task's user namespace; -1 (never ours) when it cannot be read.
  private long userNamespace(String task) {
    try {
      Libc.stat(Libc.c("/proc/" + task + "/ns/user"), nsStat.getPointer());
      nsStat.readField("st_ino");
      return nsStat.st_ino;
    } catch (LastErrorException e) {
      return -1;
    }
  }

  /** Whether acting for {@code task} needs other credentials than the supervisor's. */
  boolean differs(Creds task) {
    return !task.sameAccess(own);
  }

  /** What {@code action} returns, run wearing {@code task}'s credentials when they differ from the supervisor's. */
  <T> T wearing(Creds task, java.util.function.Supplier<T> action) {
    boolean wear = differs(task);
    try {
      if (wear) {
        enter(task);
      }
      return action.get();
    } finally {
      if (wear) {
        leave();
      }
    }
  }

  /** Wears {@code task}'s credentials on this thread (groups first, while this thread may still set them). */
  void enter(Creds task) {
    set(task.groups);
    Libc.syscall(SYS_SETFSGID, task.fsgid, 0, 0);
    Libc.syscall(SYS_SETFSUID, task.fsuid, 0, 0);
    // Effective capabilities: the task's, within ours; the permitted set stays, so leave() can restore.
    capabilities(task.capEff & own.capPrm);
  }

  /** Back to the supervisor's own credentials (capabilities and uid first, which allow the rest). */
  void leave() {
    capabilities(own.capEff);
    Libc.syscall(SYS_SETFSUID, own.fsuid, 0, 0);
    Libc.syscall(SYS_SETFSGID, own.fsgid, 0, 0);
    set(own.groups);
  }

  /** {@link #leave}, whatever state an error left this thread in. */
  void leaveQuietly() {
    try {
      leave();
    } catch (RuntimeException e) {
      // Nothing more can be done on this thread.
    }
  }

  private void capabilities(long effective) {
    capHeader.setInt(0, CAPABILITY_VERSION_3);
    capHeader.setInt(4, 0);
    capData.setInt(0, (int) effective);
    capData.setInt(4, (int) own.capPrm);
    capData.setInt(8, 0);
    capData.setInt(12, (int) (effective >>> 32));
    capData.setInt(16, (int) (own.capPrm >>> 32));
    capData.setInt(20, 0);
    Libc.syscall(Libc.SYS_CAPSET, com.sun.jna.Pointer.nativeValue(capHeader), com.sun.jna.Pointer.nativeValue(capData), 0);
  }

  private void set(int[] list) {
    for (int i = 0; i < list.length; i++) {
      groups.setInt(4L * i, list[i]);
    }
    Libc.syscall(SYS_SETGROUPS, list.length, com.sun.jna.Pointer.nativeValue(groups), 0);
  }

  /** A thread's ids as its own pid namespace numbers them, the innermost of NStgid and NSpid. */
  record InnermostIds(int tgid, int tid) {}

  /** The ids of thread {@code tid} in its own pid namespace (what its /proc/self names); empty when it is gone. */
  Optional<InnermostIds> innermost(int tid) {
    String text = statusText(String.valueOf(tid));
    try {
      return Optional.of(new InnermostIds(last(field(text, "NStgid:")), last(field(text, "NSpid:"))));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static int last(String ids) {
    String[] all = ids.trim().split("\\s+");
    return Integer.parseInt(all[all.length - 1]);
  }

  private String statusText(String task) {
    try {
      int fd = Libc.openat(org.evfilter.events.syscalls.FileFlags.AT_FDCWD, Libc.c("/proc/" + task + "/status"), org.evfilter.events.syscalls.FileFlags.O_CLOEXEC, 0);
      try {
        long n = Libc.read(fd, status, status.size());
        return new String(status.getByteArray(0, (int) n), StandardCharsets.ISO_8859_1);
      } finally {
        Libc.close(fd);
      }
    } catch (LastErrorException e) {
      return "";
    }
  }

  private Optional<Creds> read(String task) {
    return parse(statusText(task));
  }

  private static Optional<Creds> parse(String text) {
    try {
      int tgid = Integer.parseInt(field(text, "Tgid:").trim());
      String[] uid = field(text, "Uid:").trim().split("\\s+");
      String[] gid = field(text, "Gid:").trim().split("\\s+");
      String g = field(text, "Groups:").trim();
      int[] list = g.isEmpty() ? new int[0] : Arrays.stream(g.split("\\s+")).mapToInt(Integer::parseInt).sorted().toArray();
      long capEff = Long.parseUnsignedLong(field(text, "CapEff:").trim(), 16);
      long capPrm = Long.parseUnsignedLong(field(text, "CapPrm:").trim(), 16);
      return Optional.of(new Creds(tgid, Integer.parseInt(uid[3]), Integer.parseInt(gid[3]), list, capEff, capPrm, -1));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static String field(String text, String name) {
    int at = text.indexOf("\n" + name);
    if (at < 0) {
      return "";
    }
    int start = at + 1 + name.length();
    int end = text.indexOf('\n', start);
    return text.substring(start, end < 0 ? text.length() : end);
  }

  /**
   * Ends this supervisor's use: the kept pidfds closed and the read buffers freed now, not at some
   * later garbage collection (a service supervises sandbox after sandbox). Nothing is read after.
   */
  void release() {
    known.values().forEach(k -> closeQuietly(k.pidfd));
    known.clear();
    groups.close();
    status.close();
  }

  private static void closeQuietly(int fd) {
    try {
      Libc.close(fd);
    } catch (LastErrorException e) {
      // Nothing to do.
    }
  }
}
