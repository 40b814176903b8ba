package org.evfilter.lsm.supervise;

import java.util.List;
import java.util.Optional;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Exactly the system calls the supervisor makes for a task: reading its memory, pinning and
 * labelling objects, performing the calls it allows. One implementation binds them to libc
 * ({@link LinuxSupervisorNatives}); unit tests give a fake. Failures throw
 * {@link com.sun.jna.LastErrorException} with the errno, as the kernel would answer it.
 */
interface SupervisorNatives {
  /** The NUL-terminated string at {@code address} in task {@code tid}, at most {@code max} bytes; empty if unreadable. */
  Optional<byte[]> string(int tid, long address, int max);

  /** {@code length} bytes (at most a page) at {@code address} in task {@code tid}; empty if unreadable. */
  Optional<byte[]> bytes(int tid, long address, int length);

  /** openat(2); {@code path} without its NUL. */
  int openat(int dirfd, byte[] path, int flags, int mode);

  /** openat2(2) with {@code RESOLVE_NO_MAGICLINKS | resolve}: an O_PATH descriptor, no magic link crossed. */
  int pin(int dirfd, byte[] path, boolean follow, long resolve);

  /** close(2), never failing. */
  void closeQuietly(int fd);

  LabelResolver.Identity fstat(int fd);

  /** fstatat(2) of {@code name} in {@code dirfd}, not following a final symlink. */
  LabelResolver.Identity lstatAt(int dirfd, byte[] name);

  /** Whether the object open as {@code fd} is on a procfs (any mount of one). */
  boolean onProcfs(int fd);

  /** openat2(2) with {@code flags}, {@code mode} and {@code resolve}: opening or creating a file, the lookup bound by resolve. */
  int openIn(int dirfd, byte[] path, int flags, int mode, long resolve);

  /** The device of {@code /proc}. */
  long procDevice();

  /** Where the object open as {@code fd} is now (its {@code /proc/self/fd} link); "?" when that cannot be read. */
  String where(int fd);

  /**
   * Opens again, with {@code flags}, the object open as {@code fd}, through its {@code /proc/self/fd}
   * magic link: the object itself, whatever its path is now, with the permission checks of an open.
   */
  int reopen(int fd, int flags, int mode);

  void unlinkat(int dirfd, byte[] name, int flags);

  void mkdirat(int dirfd, byte[] name, int mode);

  void renameat2(int fromDir, byte[] from, int toDir, byte[] to, int flags);

  void linkat(int fromDir, byte[] from, int toDir, byte[] to, int flags);

  void symlinkat(byte[] target, int dirfd, byte[] name);

  /** fchmodat2(fd, "", mode, AT_EMPTY_PATH). */
  void chmodOpen(int fd, int mode);

  /** fchownat(fd, "", uid, gid, AT_EMPTY_PATH). */
  void chownOpen(int fd, int uid, int gid);

  void ftruncate(int fd, long length);

  /** Clears O_NONBLOCK on {@code fd}. */
  void clearNonblock(int fd);

  /** pidfd_getfd: a copy of descriptor {@code fd} of process {@code tgid}. */
  int takeDescriptor(int tgid, int fd);

  /** tgkill(tgid, tid, signal), or kill(tgid, signal) when {@code tid} is 0. */
  void signal(int tgid, int tid, int signal);

  /** This thread's own file system state (unshare(CLONE_FS)) with a umask of 0; false if refused. */
  boolean ownUmaskZero();

  /** The xattr {@code name} of the object open as {@code fd}, if it has one. */
  Optional<byte[]> readXattr(int fd, String name);

  /** Sets ({@code value} present) or removes the xattr on the object open as {@code fd}. */
  void writeXattr(int fd, boolean pathOnly, byte[] name, Optional<byte[]> value, int flags);

  /** getsockopt(fd, SOL_SOCKET, option) of an int option (SO_TYPE, SO_PROTOCOL). */
  int socketOption(int fd, int option);

  /** getpeername(2): the address of a connected socket's peer (empty for an unconnected one). */
  byte[] peer(int fd);

  /** connect(2) with {@code address}, a {@code struct sockaddr}. */
  void connect(int fd, byte[] address);

  /** bind(2) with {@code address}, a unix socket's file created under {@code umask} (the task's, not this thread's). */
  void bind(int fd, byte[] address, int umask);

  /** sendto(2) of {@code data}; {@code address} null for none. Returns the bytes sent. */
  long sendto(int fd, byte[] data, int flags, byte[] address);

  /** Whether anything in the directory tree open as {@code dirfd} carries one of {@code names}; true when unsure. */
  boolean treeCarries(int dirfd, List<String> names);
}
