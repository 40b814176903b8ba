package org.evfilter.lsm.supervise;

import org.evfilter.lsm.natives.SeccompListener;

/** Answering notifications: what the supervisor says to the kernel about a task's pending syscall. */
interface Channel {
  /** Whether the notification is still pending (its task has not died or been interrupted). */
  boolean valid(long id);

  /** The syscall fails with {@code errno}; false when the notification is gone. */
  boolean fail(long id, int errno);

  /** The syscall runs in the kernel as the task asked; false when the notification is gone. */
  boolean proceed(long id);

  /** The syscall returns {@code value} without running; false when the notification is gone. */
  boolean succeed(long id, long value);

  /** Installs {@code fd} in the task as the syscall's result: the task's descriptor, -1 when the notification is gone. */
  int inject(long id, int fd, boolean cloexec);

  static Channel of(SeccompListener listener) {
    return new Channel() {
      @Override
      public boolean valid(long id) {
        return listener.valid(id);
      }

      @Override
      public boolean fail(long id, int errno) {
        return listener.fail(id, errno);
      }

      @Override
      public boolean proceed(long id) {
        return listener.proceed(id);
      }

      @Override
      public boolean succeed(long id, long value) {
        return listener.succeed(id, value);
      }

      @Override
      public int inject(long id, int fd, boolean cloexec) {
        return listener.inject(id, fd, cloexec);
      }
    };
  }
}
