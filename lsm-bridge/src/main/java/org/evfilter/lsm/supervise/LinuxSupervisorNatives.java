package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.EBADF;
import static org.evfilter.events.syscalls.FileFlags.AT_EMPTY_PATH;
import static org.evfilter.events.syscalls.FileFlags.AT_FDCWD;
import static org.evfilter.events.syscalls.FileFlags.O_DIRECTORY;
import static org.evfilter.events.syscalls.FileFlags.AT_SYMLINK_NOFOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_CLOEXEC;
import static org.evfilter.events.syscalls.FileFlags.O_NOFOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_NONBLOCK;
import static org.evfilter.events.syscalls.FileFlags.O_PATH;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.evfilter.lsm.natives.Libc;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.natives.Structs;
import org.evfilter.lsm.natives.TargetMemory;
import org.evfilter.predicates.labels.LabelResolver;
import org.evfilter.predicates.labels.XattrReader;

/** The supervisor's system calls bound to libc by JNA; one instance per supervising thread (its buffers are reused). */
final class LinuxSupervisorNatives implements SupervisorNatives {
  private static final int SOL_SOCKET = org.evfilter.events.syscalls.Constants.linux().require("SOL_SOCKET");

  private static final long SYS_TGKILL = 234;
  private static final long SYS_KILL = 62;
  private static final long SYS_UNSHARE = 272;
  private static final long SYS_UMASK = 95;
  private static final long CLONE_FS = 0x200;
  private static final Memory EMPTY = new Memory(1);
  // This process's descriptor table, where each descriptor's link is read and reopened by its
  // number alone (no walk of "/proc/self/fd" each time). Open for the process's life, like its table.
  private static final int OWN_DESCRIPTORS = Libc.openat(AT_FDCWD, Libc.c("/proc/self/fd"), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);

  static {
    EMPTY.setByte(0, (byte) 0);
  }

  private final TargetMemory memory = new TargetMemory();
  private final XattrReader xattrs = LinuxXattrs.reader();
  private final Structs.Stat stat = new Structs.Stat();
  private final ByteBuffer statView = stat.view();
  private final Structs.OpenHow how = new Structs.OpenHow();
  private final ByteBuffer howView = how.view();
  private final long howAt = Pointer.nativeValue(how.getPointer());
  private final Structs.Statfs statfs = new Structs.Statfs();
  private final ByteBuffer statfsView = statfs.view();
  private final long statfsAt = Pointer.nativeValue(statfs.getPointer());
  private final Memory pathBuffer = new Memory(TargetMemory.PATH_MAX + 1);
  private final ByteBuffer pathView = pathBuffer.getByteBuffer(0, pathBuffer.size());
  private final long statAt = Pointer.nativeValue(stat.getPointer());
  private final long pathAt = Pointer.nativeValue(pathBuffer);
  private final byte[] linkBytes = new byte[TargetMemory.PATH_MAX];
  // A descriptor's number as a C string, written in place.
  private final Memory number = new Memory(16);
  private final ByteBuffer numberView = number.getByteBuffer(0, 16);
  private final long numberAt = Pointer.nativeValue(number);

  @Override
  public Optional<byte[]> string(int tid, long address, int max) {
    return memory.string(tid, address, max);
  }

  @Override
  public Optional<byte[]> bytes(int tid, long address, int length) {
    return memory.bytes(tid, address, length);
  }

  @Override
  public int openat(int dirfd, byte[] path, int flags, int mode) {
    return Libc.openat(dirfd, Libc.c(path), flags, mode);
  }

  @Override
  public int pin(int dirfd, byte[] path, boolean follow, long resolve) {
    return openat2(dirfd, path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0, Lookup.RESOLVE_NO_MAGICLINKS | resolve);
  }

  @Override
  public int openIn(int dirfd, byte[] path, int flags, int mode, long resolve) {
    return openat2(dirfd, path, flags, mode, resolve);
  }

  private int openat2(int dirfd, byte[] path, int flags, int mode, long resolve) {
    howView.putLong(Structs.OpenHow.FLAGS, flags & 0xffffffffL);
    howView.putLong(Structs.OpenHow.MODE, mode);
    howView.putLong(Structs.OpenHow.RESOLVE, resolve);
    pathView.put(0, path, 0, path.length);
    pathView.put(path.length, (byte) 0);
    return (int) Libc.syscall(Libc.SYS_OPENAT2, dirfd, pathAt, howAt,
        how.size());
  }

  @Override
  public void closeQuietly(int fd) {
    if (fd >= 0) {
      try {
        Libc.close(fd);
      } catch (LastErrorException e) {
        // Nothing to do.
      }
    }
  }

  @Override
  public LabelResolver.Identity fstat(int fd) {
    Libc.fstat(fd, statAt);
    return identity();
  }

  @Override
  public LabelResolver.Identity lstatAt(int dirfd, byte[] name) {
    Libc.fstatat(dirfd, Libc.c(name), stat.getPointer(), AT_SYMLINK_NOFOLLOW);
    return identity();
  }

  private LabelResolver.Identity identity() {
    ByteBuffer v = statView;
    return new LabelResolver.Identity(v.getLong(Structs.Stat.DEV), v.getLong(Structs.Stat.INO),
        v.getLong(Structs.Stat.CTIME) * 1_000_000_000L + v.getLong(Structs.Stat.CTIME_NSEC), v.getInt(Structs.Stat.MODE));
  }

  @Override
  public boolean onProcfs(int fd) {
    Libc.fstatfs(fd, statfsAt);
    return statfsView.getLong(Structs.Statfs.TYPE) == Structs.Statfs.PROC_SUPER_MAGIC;
  }

  @Override
  public long procDevice() {
    Libc.stat(Libc.c("/proc"), stat.getPointer());
    return identity().device();
  }

  @Override
  public String where(int fd) {
    try {
      long len = Libc.readlinkat(OWN_DESCRIPTORS, number(fd), pathAt, TargetMemory.PATH_MAX);
      pathView.get(0, linkBytes, 0, (int) len);
      return new String(linkBytes, 0, (int) len, StandardCharsets.ISO_8859_1);
    } catch (LastErrorException e) {
      return "?";
    }
  }

  @Override
  public int reopen(int fd, int flags, int mode) {
    return Libc.openat(OWN_DESCRIPTORS, number(fd), flags, mode);
  }

  // fd in decimal, NUL-terminated, in the reused buffer: its address.
  private long number(int fd) {
    if (fd < 0) {
      throw new LastErrorException(EBADF);
    }
    int digits = 1;
    for (int v = fd; v >= 10; v /= 10) {
      digits++;
    }
    for (int i = digits - 1, v = fd; i >= 0; i--, v /= 10) {
      numberView.put(i, (byte) ('0' + v % 10));
    }
    numberView.put(digits, (byte) 0);
    return numberAt;
  }

  @Override
  public void unlinkat(int dirfd, byte[] name, int flags) {
    Libc.unlinkat(dirfd, Libc.c(name), flags);
  }

  @Override
  public void mkdirat(int dirfd, byte[] name, int mode) {
    Libc.mkdirat(dirfd, Libc.c(name), mode);
  }

  @Override
  public void renameat2(int fromDir, byte[] from, int toDir, byte[] to, int flags) {
    Libc.renameat2(fromDir, Libc.c(from), toDir, Libc.c(to), flags);
  }

  @Override
  public void linkat(int fromDir, byte[] from, int toDir, byte[] to, int flags) {
    Libc.linkat(fromDir, Libc.c(from), toDir, Libc.c(to), flags);
  }

  @Override
  public void symlinkat(byte[] target, int dirfd, byte[] name) {
    Libc.symlinkat(Libc.c(target), dirfd, Libc.c(name));
  }

  @Override
  public void chmodOpen(int fd, int mode) {
    Libc.syscall(Libc.SYS_FCHMODAT2, fd, Pointer.nativeValue(EMPTY), mode, AT_EMPTY_PATH);
  }

  @Override
  public void chownOpen(int fd, int uid, int gid) {
    Libc.fchownat(fd, new byte[] {0}, uid, gid, AT_EMPTY_PATH);
  }

  @Override
  public void ftruncate(int fd, long length) {
    Libc.ftruncate(fd, length);
  }

  @Override
  public void clearNonblock(int fd) {
    Libc.fcntl(fd, Libc.F_SETFL, Libc.fcntl(fd, Libc.F_GETFL, 0) & ~O_NONBLOCK);
  }

  @Override
  public int socketOption(int fd, int option) {
    int[] value = new int[1];
    Libc.getsockopt(fd, SOL_SOCKET, option, value, new int[] {4});
    return value[0];
  }

  @Override
  public byte[] peer(int fd) {
    byte[] address = new byte[org.evfilter.events.net.Endpoint.SOCKADDR_MAX];
    int[] length = {address.length};
    try {
      Libc.getpeername(fd, address, length);
    } catch (LastErrorException e) {
      return new byte[0];
    }
    return java.util.Arrays.copyOf(address, Math.min(length[0], address.length));
  }

  @Override
  public void connect(int fd, byte[] address) {
    Libc.connect(fd, address, address.length);
  }

  @Override
  public void bind(int fd, byte[] address, int umask) {
    int before = Libc.umask(umask);
    try {
      Libc.bind(fd, address, address.length);
    } finally {
      Libc.umask(before);
    }
  }

  @Override
  public long sendto(int fd, byte[] data, int flags, byte[] address) {
    return Libc.sendto(fd, data, data.length, flags, address, address == null ? 0 : address.length);
  }

  @Override
  public int takeDescriptor(int tgid, int fd) {
    int pidfd = (int) Libc.syscall(Libc.SYS_PIDFD_OPEN, tgid, 0, 0);
    try {
      return (int) Libc.syscall(Libc.SYS_PIDFD_GETFD, pidfd, fd, 0);
    } finally {
      closeQuietly(pidfd);
    }
  }

  @Override
  public void signal(int tgid, int tid, int signal) {
    if (tid == 0) {
      Libc.syscall(SYS_KILL, tgid, signal, 0);
    } else {
      Libc.syscall(SYS_TGKILL, tgid, tid, signal);
    }
  }

  @Override
  public boolean ownUmaskZero() {
    try {
      Libc.syscall(SYS_UNSHARE, CLONE_FS, 0, 0);
      Libc.syscall(SYS_UMASK, 0, 0, 0);
      return true;
    } catch (LastErrorException e) {
      return false;
    }
  }

  @Override
  public Optional<byte[]> readXattr(int fd, String name) {
    return xattrs.readOpen(fd, name);
  }

  @Override
  public void writeXattr(int fd, boolean pathOnly, byte[] name, Optional<byte[]> value, int flags) {
    XattrSyscall.perform(fd, pathOnly, name, value, flags);
  }

  @Override
  public boolean treeCarries(int dirfd, List<String> names) {
    try {
      return !new XattrScan(names).find(List.of(java.nio.file.Path.of("/proc/self/fd/" + dirfd).toRealPath())).carrying().isEmpty();
    } catch (java.io.IOException | RuntimeException e) {
      return true;
    }
  }
}
