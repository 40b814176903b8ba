package org.evfilter.lsm.natives;

import static org.evfilter.events.syscalls.Errno.EINTR;
import static org.evfilter.events.syscalls.Errno.ENOENT;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import org.evfilter.events.syscalls.FileFlags;

/**
 * A seccomp user-notification listener ({@code SECCOMP_FILTER_FLAG_NEW_LISTENER}): receives the
 * notifications of the filtered tasks and answers them. One instance per supervising thread: its
 * buffers are reused (zeroed before each receive, as the kernel requires).
 */
public final class SeccompListener implements AutoCloseable {
  private static final long RECV = 0xc0502100L;
  private static final long SEND = 0xc0182101L;
  private static final long ID_VALID = 0x40082102L;
  private static final long ADDFD = 0x40182103L;
  private static final long SET_FLAGS = 0x40082104L;
  private static final int ADDFD_FLAG_SEND = 2;
  private static final int SYNC_WAKE_UP = 1;

  private final int fd;
  private final Structs.SeccompNotif notif = new Structs.SeccompNotif();
  private final Structs.SeccompNotifResp resp = new Structs.SeccompNotifResp();
  private final Structs.SeccompNotifAddfd addfd = new Structs.SeccompNotifAddfd();
  private final Memory pollfd = new Memory(8);
  private final Memory id = new Memory(8);

  /** One notification, valid until the next {@link #receive}. */
  public record Notification(long id, int tid, int nr, int arch, long ip, long[] args) {}

  public SeccompListener(int fd) {
    this.fd = fd;
  }

  /**
   * The listener open in this process as {@code fd}, when that descriptor is one (its {@code
   * /proc/self/fd} link reads {@code anon_inode:seccomp notify}); empty when it is anything else:
   * {@link #describe} says what.
   */
  public static java.util.Optional<SeccompListener> adopt(int fd) {
    return describe(fd).equals(LINK) ? java.util.Optional.of(new SeccompListener(fd)) : java.util.Optional.empty();
  }

  /** What the descriptor {@code fd} of this process is, as its {@code /proc/self/fd} link says ("not open" when it is not). */
  public static String describe(int fd) {
    byte[] buf = new byte[256];
    try {
      long n = Libc.readlink(Libc.c("/proc/self/fd/" + fd), buf, buf.length);
      return new String(buf, 0, (int) n, java.nio.charset.StandardCharsets.ISO_8859_1);
    } catch (LastErrorException e) {
      return "not open";
    }
  }

  private static final String LINK = "anon_inode:seccomp notify";

  public int fd() {
    return fd;
  }

  /**
   * Wakes the target on the supervisor's CPU when it answers (Linux 6.6+); false where the kernel
   * does not know the flag.
   */
  public boolean syncWakeUp() {
    try {
      Libc.ioctl(fd, SET_FLAGS, SYNC_WAKE_UP);
      return true;
    } catch (LastErrorException e) {
      return false;
    }
  }

  /**
   * Waits for the next notification; empty when every filtered task is gone (or the notification
   * vanished because its task died meanwhile: call again).
   *
   * @return null when no task uses the filter any more
   */
  public Notification receive() {
    while (true) {
      pollfd.setInt(0, fd);
      pollfd.setShort(4, Libc.POLLIN);
      pollfd.setShort(6, (short) 0);
      Libc.poll(pollfd, 1, -1);
      short revents = pollfd.getShort(6);
      if ((revents & Libc.POLLIN) == 0 && (revents & Libc.POLLHUP) != 0) {
        return null;
      }
      notif.getPointer().clear(notif.size());
      try {
        Libc.ioctl(fd, RECV, notif.getPointer());
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENOENT || e.getErrorCode() == EINTR) {
          continue; // the task died or a signal interrupted it before we received
        }
        throw e;
      }
      notif.read();
      return new Notification(notif.id, notif.pid, notif.nr, notif.arch, notif.instruction_pointer, notif.args.clone());
    }
  }

  /** Whether the notification is still pending (its task has not died or been interrupted). */
  public boolean valid(long notification) {
    id.setLong(0, notification);
    try {
      Libc.ioctl(fd, ID_VALID, id);
      return true;
    } catch (LastErrorException e) {
      return false;
    }
  }

  /** The syscall fails with {@code errno}; false when the notification is gone. */
  public boolean fail(long notification, int errno) {
    return send(notification, 0, -errno, 0);
  }

  /**
   * The syscall runs as the task asked ({@code SECCOMP_USER_NOTIF_FLAG_CONTINUE}): only for
   * syscalls whose decision does not depend on memory the task could change after the check.
   */
  public boolean proceed(long notification) {
    return send(notification, 0, 0, 1);
  }

  /** The syscall returns {@code value} without running; false when the notification is gone. */
  public boolean succeed(long notification, long value) {
    return send(notification, value, 0, 0);
  }

  /**
   * Installs a copy of the supervisor's {@code srcfd} in the task and makes it the syscall's
   * result, atomically ({@code SECCOMP_ADDFD_FLAG_SEND}). Returns the task's descriptor, or -1 when
   * the notification is gone.
   */
  public int inject(long notification, int srcfd, boolean cloexec) {
    addfd.id = notification;
    addfd.flags = ADDFD_FLAG_SEND;
    addfd.srcfd = srcfd;
    addfd.newfd = 0;
    addfd.newfd_flags = cloexec ? FileFlags.O_CLOEXEC : 0;
    addfd.write();
    try {
      return Libc.ioctl(fd, ADDFD, addfd.getPointer());
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENOENT) {
        return -1;
      }
      throw e;
    }
  }

  private boolean send(long notification, long value, int error, int flags) {
    resp.id = notification;
    resp.val = value;
    resp.error = error;
    resp.flags = flags;
    resp.write();
    try {
      Libc.ioctl(fd, SEND, resp.getPointer());
      return true;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENOENT) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public void close() {
    Libc.close(fd);
  }
}
