package org.evfilter.lsm.natives;

import static org.evfilter.events.syscalls.Errno.EINTR;
import static org.evfilter.events.syscalls.Errno.ENOENT;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
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
  private final Memory notif = new Memory(80);
  private final ByteBuffer n = notif.getByteBuffer(0, 80).order(ByteOrder.nativeOrder());
  private final Memory resp = new Memory(24);
  private final ByteBuffer r = resp.getByteBuffer(0, 24).order(ByteOrder.nativeOrder());
  private final Memory addfd = new Memory(24);
  private final ByteBuffer a = addfd.getByteBuffer(0, 24).order(ByteOrder.nativeOrder());
  private final Memory pollfd = new Memory(8);
  private final Memory id = new Memory(8);

  /** One notification, valid until the next {@link #receive}. */
  public record Notification(long id, int tid, int nr, int arch, long ip, long[] args) {}

  public SeccompListener(int fd) {
    this.fd = fd;
  }

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
      notif.clear(80);
      try {
        Libc.ioctl(fd, RECV, notif);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENOENT || e.getErrorCode() == EINTR) {
          continue; // the task died or a signal interrupted it before we received
        }
        throw e;
      }
      long[] args = new long[6];
      for (int i = 0; i < 6; i++) {
        args[i] = n.getLong(32 + 8 * i);
      }
      return new Notification(n.getLong(0), n.getInt(8), n.getInt(16), n.getInt(20), n.getLong(24), args);
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
    a.putLong(0, notification).putInt(8, ADDFD_FLAG_SEND).putInt(12, srcfd).putInt(16, 0).putInt(20, cloexec ? FileFlags.O_CLOEXEC : 0);
    try {
      return Libc.ioctl(fd, ADDFD, addfd);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENOENT) {
        return -1;
      }
      throw e;
    }
  }

  private boolean send(long notification, long value, int error, int flags) {
    r.putLong(0, notification).putLong(8, value).putInt(16, error).putInt(20, flags);
    try {
      Libc.ioctl(fd, SEND, resp);
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
