package org.evfilter.lsm.supervise;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.evfilter.lsm.natives.Libc;

/**
 * The credentials of a supervised task (fsuid, fsgid, supplementary groups, effective
 * capabilities, umask, thread group), and wearing them on the supervisor's own thread while it
 * opens or changes files for the task, so the kernel's permission checks are the task's. Every
 * switch is per thread (raw syscalls; glibc's wrappers would change every thread of the JVM).
 * {@code /proc/TID/status} is read for every notification, with a preallocated buffer.
 */
final class TaskCredentials {
  private static final long SYS_SETFSUID = 122;
  private static final long SYS_SETFSGID = 123;
  private static final long SYS_SETGROUPS = 116;
  private static final int CAPABILITY_VERSION_3 = 0x20080522;

  /** One task's credentials, as {@code /proc/TID/status} gives them. */
  record Creds(int tgid, int fsuid, int fsgid, int[] groups, long capEff, long capPrm, int umask) {
    boolean sameAccess(Creds o) {
      return fsuid == o.fsuid && fsgid == o.fsgid && capEff == o.capEff && Arrays.equals(groups, o.groups);
    }
  }

  private final Creds own;
  private final Memory groups = new Memory(4L * 65536);
  private final Memory status = new Memory(8192);
  private final Memory capHeader = new Memory(8);
  private final Memory capData = new Memory(24);

  TaskCredentials() {
    this.own = read("thread-self").orElseThrow(() -> new IllegalStateException("cannot read /proc/thread-self/status"));
  }

  Creds own() {
    return own;
  }

  /** The task's credentials; empty when it is gone. */
  Optional<Creds> of(int tid) {
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

  private Optional<Creds> read(String task) {
    String text;
    try {
      int fd = Libc.openat(Libc.AT_FDCWD, Libc.c("/proc/" + task + "/status"), Libc.O_CLOEXEC, 0);
      try {
        long n = Libc.read(fd, status, status.size());
        text = new String(status.getByteArray(0, (int) n), StandardCharsets.ISO_8859_1);
      } finally {
        Libc.close(fd);
      }
    } catch (LastErrorException e) {
      return Optional.empty();
    }
    try {
      int tgid = Integer.parseInt(field(text, "Tgid:").trim());
      String[] uid = field(text, "Uid:").trim().split("\\s+");
      String[] gid = field(text, "Gid:").trim().split("\\s+");
      String g = field(text, "Groups:").trim();
      int[] list = g.isEmpty() ? new int[0] : Arrays.stream(g.split("\\s+")).mapToInt(Integer::parseInt).sorted().toArray();
      long capEff = Long.parseUnsignedLong(field(text, "CapEff:").trim(), 16);
      long capPrm = Long.parseUnsignedLong(field(text, "CapPrm:").trim(), 16);
      String um = field(text, "Umask:").trim();
      return Optional.of(new Creds(tgid, Integer.parseInt(uid[3]), Integer.parseInt(gid[3]), list, capEff, capPrm,
          um.isEmpty() ? 022 : Integer.parseInt(um, 8)));
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
}
