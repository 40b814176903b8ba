package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.FileFlags.AT_EMPTY_PATH;
import static org.evfilter.events.syscalls.FileFlags.AT_SYMLINK_NOFOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_CLOEXEC;
import static org.evfilter.events.syscalls.FileFlags.O_NOFOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_NONBLOCK;
import static org.evfilter.events.syscalls.FileFlags.O_PATH;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
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
  private static final long SYS_TGKILL = 234;
  private static final long SYS_KILL = 62;
  private static final long SYS_UNSHARE = 272;
  private static final long SYS_UMASK = 95;
  private static final long CLONE_FS = 0x200;
  private static final Memory EMPTY = new Memory(1);

  static {
    EMPTY.setByte(0, (byte) 0);
  }

  private final TargetMemory memory = new TargetMemory();
  private final XattrReader xattrs = LinuxXattrs.reader();
  private final Structs.Stat stat = new Structs.Stat();
  private final Structs.OpenHow how = new Structs.OpenHow();
  private final Structs.Statfs statfs = new Structs.Statfs();
  private final Memory pathBuffer = new Memory(TargetMemory.PATH_MAX + 1);

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
    how.flags = flags & 0xffffffffL;
    how.mode = mode;
    how.resolve = resolve;
    how.write();
    pathBuffer.write(0, path, 0, path.length);
    pathBuffer.setByte(path.length, (byte) 0);
    return (int) Libc.syscall(Libc.SYS_OPENAT2, dirfd, Pointer.nativeValue(pathBuffer), Pointer.nativeValue(how.getPointer()),
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
    Libc.fstat(fd, stat.getPointer());
    return identity();
  }

  @Override
  public LabelResolver.Identity lstatAt(int dirfd, byte[] name) {
    Libc.fstatat(dirfd, Libc.c(name), stat.getPointer(), AT_SYMLINK_NOFOLLOW);
    return identity();
  }

  private LabelResolver.Identity identity() {
    stat.readIdentity();
    return new LabelResolver.Identity(stat.st_dev, stat.st_ino, stat.st_ctime * 1_000_000_000L + stat.st_ctime_nsec, stat.st_mode);
  }

  @Override
  public boolean onProcfs(int fd) {
    Libc.fstatfs(fd, statfs.getPointer());
    statfs.read();
    return statfs.f_type == Structs.Statfs.PROC_SUPER_MAGIC;
  }

  @Override
  public long procDevice() {
    Libc.stat(Libc.c("/proc"), stat.getPointer());
    return identity().device();
  }

  @Override
  public String readlink(String link) {
    byte[] buf = new byte[TargetMemory.PATH_MAX];
    try {
      long len = Libc.readlink(Libc.c(link), buf, buf.length);
      return new String(buf, 0, (int) len, StandardCharsets.ISO_8859_1);
    } catch (LastErrorException e) {
      return "?";
    }
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
