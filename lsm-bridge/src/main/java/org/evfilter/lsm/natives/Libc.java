package org.evfilter.lsm.natives;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.evfilter.events.syscalls.Constants;

/**
 * The libc calls of the supervisor's hot path, bound by JNA direct mapping (about twice as fast
 * as interface mapping). Paths are NUL-terminated byte arrays, never Java strings: a path is bytes,
 * whatever the JVM's default charset. Failures throw {@link LastErrorException} with the errno.
 */
public final class Libc {
  static {
    Native.register("c");
  }

  private Libc() {}

  // The fcntl commands of the one table (Constants), and the x86_64
  // syscall numbers of calls glibc 2.36 has no wrapper for.
  public static final long SYS_PIDFD_OPEN = 434;
  public static final long SYS_PIDFD_GETFD = 438;
  public static final long SYS_OPENAT2 = 437;
  public static final long SYS_CAPSET = 126;
  public static final int F_GETFL = Constants.linux().require("F_GETFL");
  public static final int F_SETFL = Constants.linux().require("F_SETFL");

  static final short POLLIN = 1;
  static final short POLLHUP = 0x10;

  // The calls of each notification take addresses (Pointer.nativeValue) and numbers only: JNA
  // passes primitives without converting them (a Pointer or an array argument costs JNI calls).

  /** {@code arg}: a number or an address. */
  public static native int ioctl(int fd, long request, long arg) throws LastErrorException;

  public static native int poll(Pointer fds, long nfds, int timeout) throws LastErrorException;

  static native long process_vm_readv(int pid, long local, long liovcnt, long remote, long riovcnt, long flags)
      throws LastErrorException;

  public static native long syscall(long number, long a, long b, long c) throws LastErrorException;

  public static native long syscall(long number, long a, long b, long c, long d) throws LastErrorException;

  public static native long syscall(long number, long a, long b, long c, long d, long e) throws LastErrorException;

  public static native int openat(int dirfd, byte[] path, int flags, int mode) throws LastErrorException;

  /** {@code path}: the address of a NUL-terminated string. */
  public static native int openat(int dirfd, long path, int flags, int mode) throws LastErrorException;

  public static native int close(int fd) throws LastErrorException;

  public static native long read(int fd, Pointer buf, long count) throws LastErrorException;

  public static native long write(int fd, byte[] buf, long count) throws LastErrorException;

  public static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

  /** {@code statbuf}: the address of a {@link Structs.Stat}. */
  public static native int fstat(int fd, long statbuf) throws LastErrorException;

  public static native int fstatat(int dirfd, byte[] path, Pointer statbuf, int flags) throws LastErrorException;

  public static final long SYS_FCHMODAT2 = 452;

  /** {@code stat(2)} into a {@link Structs.Stat}. */
  public static native int stat(byte[] path, Pointer statbuf) throws LastErrorException;

  /** {@code statfsbuf}: the address of a {@link Structs.Statfs}. */
  public static native int fstatfs(int fd, long statfsbuf) throws LastErrorException;

  public static native int unlinkat(int dirfd, byte[] path, int flags) throws LastErrorException;

  public static native int mkdirat(int dirfd, byte[] path, int mode) throws LastErrorException;

  public static native int renameat2(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags) throws LastErrorException;

  public static native int linkat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags) throws LastErrorException;

  public static native int symlinkat(byte[] target, int newdirfd, byte[] linkpath) throws LastErrorException;

  public static native int fchownat(int dirfd, byte[] path, int owner, int group, int flags) throws LastErrorException;

  public static native int ftruncate(int fd, long length) throws LastErrorException;

  /** {@code addr}: a {@code struct sockaddr} of {@code len} bytes. */
  public static native int connect(int fd, byte[] addr, int len) throws LastErrorException;

  public static native int bind(int fd, byte[] addr, int len) throws LastErrorException;

  /** {@code addr} null: no address (a connected socket's peer). */
  public static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen) throws LastErrorException;

  /** {@code len[0]}: in, the room in {@code value}; out, what the option took. */
  public static native int getsockopt(int fd, int level, int option, int[] value, int[] len) throws LastErrorException;

  /** {@code len[0]}: in, the room in {@code addr}; out, the address's length. */
  public static native int getpeername(int fd, byte[] addr, int[] len) throws LastErrorException;

  public static native int umask(int mask);

  /** {@code waitpid(2)}: {@code status[0]} gets the wait status. */
  public static native int waitpid(int pid, int[] status, int options) throws LastErrorException;

  public static native long readlink(byte[] path, byte[] buf, long size) throws LastErrorException;

  /** {@code path}, {@code buf}: addresses. */
  public static native long readlinkat(int dirfd, long path, long buf, long size) throws LastErrorException;

  /** {@code path} as a NUL-terminated C string. */
  public static byte[] c(byte[] path) {
    byte[] out = java.util.Arrays.copyOf(path, path.length + 1);
    return out;
  }

  /** {@code path} (chars 0-255 as bytes) as a NUL-terminated C string. */
  public static byte[] c(String path) {
    return c(path.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }
}
