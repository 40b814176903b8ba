package org.evfilter.lsm.natives;

import static org.evfilter.events.syscalls.Errno.EINTR;
import static org.evfilter.events.syscalls.Errno.ENOENT;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
  private final ByteBuffer notifView = notif.view();
  private final ByteBuffer respView = resp.view();
  private final ByteBuffer addfdView = addfd.view();
  private final Memory pollfd = new Memory(8);
  private final ByteBuffer pollView = pollfd.getByteBuffer(0, 8).order(ByteOrder.nativeOrder());
  private final Memory id = new Memory(8);
  // Where the structures are, for ioctl.
  private final long notifAt = Pointer.nativeValue(notif.getPointer());
  private final long respAt = Pointer.nativeValue(resp.getPointer());
  private final long addfdAt = Pointer.nativeValue(addfd.getPointer());
  private final long idAt = Pointer.nativeValue(id);
  private final ByteBuffer idView = id.getByteBuffer(0, 8).order(ByteOrder.nativeOrder());
  // Linux 6.6+: a receive waits for a notification and ends (ENOENT) once no task uses the filter,
  // so it needs no poll before it.
  private boolean receiveEndsAlone;

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
      receiveEndsAlone = true; // the same kernel rework
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
      if (!receiveEndsAlone && ended(-1)) {
        return null;
      }
      // The kernel refuses a buffer that is not all zero.
      notif.getPointer().clear(notif.size());
      try {
        Libc.ioctl(fd, RECV, notifAt);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENOENT || e.getErrorCode() == EINTR) {
          // The task died or a signal interrupted it before we received; or no task is left.
          if (receiveEndsAlone && ended(0)) {
            return null;
          }
          continue;
        }
        throw e;
      }
      ByteBuffer v = notifView;
      long[] args = new long[6];
      for (int i = 0; i < 6; i++) {
        args[i] = v.getLong(Structs.SeccompNotif.ARGS + 8 * i);
      }
      return new Notification(v.getLong(Structs.SeccompNotif.ID), v.getInt(Structs.SeccompNotif.PID), v.getInt(Structs.SeccompNotif.NR),
          v.getInt(Structs.SeccompNotif.ARCH), v.getLong(Structs.SeccompNotif.IP), args);
    }
  }

  // Waits up to timeout ms (-1: for ever) for a notification: true when none can come any more.
  private boolean ended(int timeout) {
    pollView.putInt(0, fd);
    pollView.putShort(4, Libc.POLLIN);
    pollView.putShort(6, (short) 0);
    Libc.poll(pollfd, 1, timeout);
    short revents = pollView.getShort(6);
    return (revents & Libc.POLLIN) == 0 && (revents & Libc.POLLHUP) != 0;
  }

  /** Whether the notification is still pending (its task has not died or been interrupted). */
  public boolean valid(long notification) {
    idView.putLong(0, notification);
    try {
      Libc.ioctl(fd, ID_VALID, idAt);
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
    addfdView.putLong(Structs.SeccompNotifAddfd.ID, notification);
    addfdView.putInt(Structs.SeccompNotifAddfd.FLAGS, ADDFD_FLAG_SEND);
    addfdView.putInt(Structs.SeccompNotifAddfd.SRCFD, srcfd);
    addfdView.putInt(Structs.SeccompNotifAddfd.NEWFD, 0);
    addfdView.putInt(Structs.SeccompNotifAddfd.NEWFD_FLAGS, cloexec ? FileFlags.O_CLOEXEC : 0);
    try {
      return Libc.ioctl(fd, ADDFD, addfdAt);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENOENT) {
        return -1;
      }
      throw e;
    }
  }

  private boolean send(long notification, long value, int error, int flags) {
    respView.putLong(Structs.SeccompNotifResp.ID, notification);
    respView.putLong(Structs.SeccompNotifResp.VAL, value);
    respView.putInt(Structs.SeccompNotifResp.ERROR, error);
    respView.putInt(Structs.SeccompNotifResp.FLAGS, flags);
    try {
      Libc.ioctl(fd, SEND, respAt);
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
