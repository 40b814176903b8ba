package org.evfilter.lsm.supervise;

/** How a notified syscall is answered: run in the kernel as asked, failed with an errno, or returning a value without running. */
record NotificationAnswer(Kind kind, long value) {
  /** The three answers {@code SECCOMP_IOCTL_NOTIF_SEND} gives. */
  enum Kind { CONTINUE, ERRNO, RETURN }

  static final NotificationAnswer CONTINUE = new NotificationAnswer(Kind.CONTINUE, 0);

  static NotificationAnswer errno(int errno) {
    return new NotificationAnswer(Kind.ERRNO, errno);
  }

  static NotificationAnswer returning(long value) {
    return new NotificationAnswer(Kind.RETURN, value);
  }

  @Override
  public String toString() {
    return kind == Kind.CONTINUE ? "continue" : kind.name().toLowerCase(java.util.Locale.ROOT) + " " + value;
  }
}
