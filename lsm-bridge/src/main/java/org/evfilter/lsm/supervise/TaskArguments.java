package org.evfilter.lsm.supervise;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.evfilter.lsm.natives.SeccompListener;

/** Reading a syscall's arguments out of the task's memory: paths, open_how, xattr names and values. */
final class TaskArguments {
  private static final int OPEN_HOW_SIZE = 24;
  private static final int PAGE = 4096;

  /** openat2's {@code struct open_how}, as read from the task. */
  record OpenHow(long flags, long mode, long resolve) {}

  /** Where an xattr write's value is and how it is set. */
  record XattrValue(long address, long size, int flags) {}

  private final SupervisorNatives natives;

  TaskArguments(SupervisorNatives natives) {
    this.natives = natives;
  }

  /** The path argument {@code index} ({@code -1}: none, an empty path). */
  Optional<byte[]> path(SeccompListener.Notification n, int index, int max) {
    return index < 0 ? Optional.of(new byte[0]) : natives.string(n.tid(), n.args()[index], max);
  }

  /** openat2's open_how; empty when unreadable or smaller than its first version. */
  Optional<OpenHow> openHow(SeccompListener.Notification n) {
    if (n.args()[3] < OPEN_HOW_SIZE) {
      return Optional.empty();
    }
    return natives.bytes(n.tid(), n.args()[2], OPEN_HOW_SIZE).map(raw -> {
      ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
      return new OpenHow(b.getLong(0), b.getLong(8), b.getLong(16));
    });
  }

  // setxattrat keeps them in a struct xattr_args: a size below its first version is EINVAL there,
  // refused here as unreadable.
  Optional<XattrValue> xattrValue(SeccompListener.Notification n, XattrSyscall x) {
    long[] a = n.args();
    if (!x.set()) {
      return Optional.of(new XattrValue(0, 0, 0));
    }
    if (x.args() < 0) {
      return Optional.of(new XattrValue(a[x.value()], a[x.size()], (int) a[x.flags()]));
    }
    if (a[x.args() + 1] < XattrSyscall.ARGS_SIZE) {
      return Optional.empty();
    }
    return natives.bytes(n.tid(), a[x.args()], XattrSyscall.ARGS_SIZE).map(raw -> {
      ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
      return new XattrValue(b.getLong(0), b.getInt(8) & 0xffffffffL, b.getInt(12));
    });
  }

  /** {@code length} bytes of the task's memory, read a page at a time (a value may be up to 64 KiB). */
  Optional<byte[]> bytes(int tid, long address, int length) {
    byte[] out = new byte[length];
    for (int at = 0; at < length; at += PAGE) {
      int chunk = Math.min(PAGE, length - at);
      Optional<byte[]> part = natives.bytes(tid, address + at, chunk);
      if (part.isEmpty()) {
        return Optional.empty();
      }
      System.arraycopy(part.get(), 0, out, at, chunk);
    }
    return Optional.of(out);
  }

  /** The open or at-flags of a path syscall. */
  static int flags(PathSyscall p, SeccompListener.Notification n, Optional<OpenHow> how) {
    if (how.isPresent()) {
      return (int) how.get().flags();
    }
    return p.fixedFlags() | (p.flags() >= 0 ? (int) n.args()[p.flags()] : 0);
  }
}
