package org.evfilter.lsm.supervise;

import org.evfilter.lsm.natives.SeccompListener;

/** Answering notifications: what the supervisor says to the kernel about a task's pending syscall. */
interface Channel {
  /** Whether the notification is still pending (its task has not died or been interrupted). */
  boolean valid(long id);

  /** Answers the notification; false when it is gone. */
  boolean answer(long id, NotificationAnswer a);

  /** Installs {@code fd} in the task as the syscall's result: the task's descriptor, -1 when the notification is gone. */
  int inject(long id, int fd, boolean cloexec);

  static Channel of(SeccompListener listener) {
    return new Channel() {
      @Override
      public boolean valid(long id) {
        return listener.valid(id);
      }

      @Override
      public boolean answer(long id, NotificationAnswer a) {
        return switch (a.kind()) {
          case CONTINUE -> listener.proceed(id);
          case ERRNO -> listener.fail(id, (int) a.value());
          case RETURN -> listener.succeed(id, a.value());
        };
      }

      @Override
      public int inject(long id, int fd, boolean cloexec) {
        return listener.inject(id, fd, cloexec);
      }
    };
  }
}
