package org.evfilter.lsm.supervise;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.evfilter.lsm.natives.Libc;

/**
 * The file-system credentials of a supervised task (fsuid, fsgid, supplementary groups, umask),
 * and wearing them on the supervisor's own thread while it opens or changes files for the task, so
 * the kernel's permission checks are the task's, not the supervisor's. The switch is per thread
 * (raw syscalls; glibc's wrappers would change every thread of the JVM).
 */
final class TaskCredentials {
  private static final long SYS_SETFSUID = 122;
  private static final long SYS_SETFSGID = 123;
  private static final long SYS_SETGROUPS = 116;

  /** One task's credentials, as {@code /proc/TID/status} gives them. */
  record Creds(int fsuid, int fsgid, int[] groups, int umask) {
    boolean sameAccess(Creds o) {
      return fsuid == o.fsuid && fsgid == o.fsgid && Arrays.equals(groups, o.groups);
    }
  }

  private final Creds own;
  private final Memory groups = new Memory(4L * 65536);

  TaskCredentials() {
    this.own = read("thread-self").orElseThrow(() -> new IllegalStateException("cannot read /proc/thread-self/status"));
  }

  private final Memory stat = new Memory(144);

  /**
   * The task's credentials; empty when it is gone. A task whose {@code /proc} directory belongs to
   * the supervisor's own uid and gid (its effective ids) is taken to act with the supervisor's
   * credentials without reading its status, which costs tens of microseconds per syscall.
   */
  Optional<Creds> of(int tid) {
    try {
      Libc.stat(Libc.c("/proc/" + tid), stat);
    } catch (com.sun.jna.LastErrorException e) {
      return Optional.empty();
    }
    if (stat.getInt(28) == own.fsuid && stat.getInt(32) == own.fsgid) {
      return Optional.of(own);
    }
    return read(String.valueOf(tid));
  }

  /** Whether acting for {@code task} needs other credentials than the supervisor's. */
  boolean differs(Creds task) {
    return !task.sameAccess(own);
  }

  /** Wears {@code task}'s credentials on this thread (groups first, while this thread may still set them). */
  void enter(Creds task) {
    set(task.groups);
    Libc.syscall(SYS_SETFSGID, task.fsgid, 0, 0);
    Libc.syscall(SYS_SETFSUID, task.fsuid, 0, 0);
  }

  /** Back to the supervisor's own credentials (uid first, which gives back the right to set the rest). */
  void leave() {
    Libc.syscall(SYS_SETFSUID, own.fsuid, 0, 0);
    Libc.syscall(SYS_SETFSGID, own.fsgid, 0, 0);
    set(own.groups);
  }

  private void set(int[] list) {
    for (int i = 0; i < list.length; i++) {
      groups.setInt(4L * i, list[i]);
    }
    Libc.syscall(SYS_SETGROUPS, list.length, com.sun.jna.Pointer.nativeValue(groups), 0);
  }

  private static Optional<Creds> read(String task) {
    int fsuid = -1;
    int fsgid = -1;
    int umask = 022;
    int[] groups = new int[0];
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + task + "/status"))) {
        if (line.startsWith("Uid:")) {
          fsuid = Integer.parseInt(line.substring(4).trim().split("\\s+")[3]);
        } else if (line.startsWith("Gid:")) {
          fsgid = Integer.parseInt(line.substring(4).trim().split("\\s+")[3]);
        } else if (line.startsWith("Groups:")) {
          String g = line.substring(7).trim();
          groups = g.isEmpty() ? new int[0] : Arrays.stream(g.split("\\s+")).mapToInt(Integer::parseInt).sorted().toArray();
        } else if (line.startsWith("Umask:")) {
          umask = Integer.parseInt(line.substring(6).trim(), 8);
        }
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return fsuid < 0 || fsgid < 0 ? Optional.empty() : Optional.of(new Creds(fsuid, fsgid, groups, umask));
  }
}
