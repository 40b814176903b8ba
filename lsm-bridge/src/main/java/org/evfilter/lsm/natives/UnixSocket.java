package org.evfilter.lsm.natives;

import static org.evfilter.events.syscalls.Errno.EINTR;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.evfilter.events.syscalls.Constants;

/**
 * A unix stream socket that passes descriptors ({@code SCM_RIGHTS}) and knows its peer ({@code
 * SO_PEERCRED}): what the JDK's unix channels cannot do before Java 22's. Failures are {@link
 * IOException}s naming the call; a receive timeout is a {@link SocketTimeoutException}.
 */
public final class UnixSocket implements AutoCloseable {
  static {
    Native.register("c");
  }

  private static final int AF_UNIX = Constants.linux().require("AF_UNIX");
  private static final int SOCK_STREAM = Constants.linux().require("SOCK_STREAM");
  private static final int SOCK_CLOEXEC = Constants.linux().require("SOCK_CLOEXEC");
  private static final int MSG_CMSG_CLOEXEC = Constants.linux().require("MSG_CMSG_CLOEXEC");
  private static final int EAGAIN = Constants.linux().require("EAGAIN");
  // <asm-generic/socket.h>, <bits/socket.h>: not in the syscall-argument table.
  private static final int SOL_SOCKET = 1;
  private static final int SCM_RIGHTS = 1;
  private static final int SO_PEERCRED = 17;
  private static final int SO_RCVTIMEO = 20;
  private static final int SO_SNDTIMEO = 21;
  private static final int MSG_CTRUNC = 8;
  private static final int MSG_NOSIGNAL = 0x4000;
  private static final int SHUT_RDWR = 2;

  private static native int socket(int domain, int type, int protocol) throws LastErrorException;

  private static native int bind(int fd, Structs.SockaddrUn addr, int len) throws LastErrorException;

  private static native int connect(int fd, Structs.SockaddrUn addr, int len) throws LastErrorException;

  private static native int listen(int fd, int backlog) throws LastErrorException;

  private static native int accept4(int fd, com.sun.jna.Pointer addr, com.sun.jna.Pointer len, int flags) throws LastErrorException;

  private static native int getsockopt(int fd, int level, int name, Structure value, int[] len) throws LastErrorException;

  private static native int setsockopt(int fd, int level, int name, Structure value, int len) throws LastErrorException;

  private static native long recvmsg(int fd, Structs.Msghdr msg, int flags) throws LastErrorException;

  private static native long sendmsg(int fd, Structs.Msghdr msg, int flags) throws LastErrorException;

  private static native int shutdown(int fd, int how) throws LastErrorException;

  /** What one receive got: bytes (none at end of stream), the descriptors that came with them. */
  public record Received(byte[] data, int[] fds, boolean descriptorsLost) {
    public boolean end() {
      return data.length == 0;
    }
  }

  private final int fd;

  private UnixSocket(int fd) {
    this.fd = fd;
  }

  /** The socket's descriptor. */
  public int fd() {
    return fd;
  }

  /** A socket bound at {@code path} (which must not exist) and listening. */
  public static UnixSocket listening(Path path, int backlog) throws IOException {
    int s = call("socket", () -> socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    try {
      Structs.SockaddrUn addr = address(path);
      call("bind " + path, () -> bind(s, addr, addr.size()));
      call("listen", () -> listen(s, backlog));
      return new UnixSocket(s);
    } catch (IOException e) {
      Libc.close(s);
      throw e;
    }
  }

  /** A listening socket this process inherited as descriptor {@code fd} (systemd's socket activation). */
  public static UnixSocket inherited(int fd) {
    Libc.fcntl(fd, F_SETFD, FD_CLOEXEC);
    return new UnixSocket(fd);
  }

  private static final int F_SETFD = 2;
  private static final int FD_CLOEXEC = 1;

  /** A socket connected to {@code path}. */
  public static UnixSocket connected(Path path) throws IOException {
    int s = call("socket", () -> socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    try {
      Structs.SockaddrUn addr = address(path);
      call("connect " + path, () -> connect(s, addr, addr.size()));
      return new UnixSocket(s);
    } catch (IOException e) {
      Libc.close(s);
      throw e;
    }
  }

  private static Structs.SockaddrUn address(Path path) throws IOException {
    byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
    Structs.SockaddrUn addr = new Structs.SockaddrUn();
    if (p.length >= addr.sun_path.length) {
      throw new IOException(path + ": a unix socket's path has at most " + (addr.sun_path.length - 1) + " bytes");
    }
    addr.sun_family = (short) AF_UNIX;
    System.arraycopy(p, 0, addr.sun_path, 0, p.length);
    return addr;
  }

  /** The next connection; blocks. Throws once {@link #shutdown} was called. */
  public UnixSocket accept() throws IOException {
    return new UnixSocket(call("accept", () -> accept4(fd, null, null, SOCK_CLOEXEC)));
  }

  /** The peer's pid, uid and gid as they were when it connected. */
  public Structs.Ucred peer() throws IOException {
    Structs.Ucred cred = new Structs.Ucred();
    int[] len = {cred.size()};
    call("SO_PEERCRED", () -> getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len));
    cred.read();
    return cred;
  }

  /** Receives and sends give up after {@code timeout} (zero: never). */
  public void timeouts(Duration timeout) throws IOException {
    Structs.Timeval tv = new Structs.Timeval();
    tv.tv_sec = timeout.toSeconds();
    tv.tv_usec = timeout.toNanosPart() / 1000;
    tv.write();
    call("SO_RCVTIMEO", () -> setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.size()));
    call("SO_SNDTIMEO", () -> setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, tv.size()));
  }

  /**
   * Up to {@code max} bytes and the descriptors sent with them (close-on-exec; the caller owns
   * them). {@code descriptorsLost}: more were sent than one message may carry (the kernel closed them).
   */
  public Received receive(int max) throws IOException {
    Memory data = new Memory(Math.max(1, max));
    Structs.Iovec iov = new Structs.Iovec();
    iov.iov_base = data;
    iov.iov_len = max;
    iov.write();
    Structs.Cmsghdr control = new Structs.Cmsghdr();
    Structs.Msghdr msg = new Structs.Msghdr();
    msg.msg_iov = iov.getPointer();
    msg.msg_iovlen = 1;
    msg.msg_control = control.getPointer();
    msg.msg_controllen = control.size();
    long n;
    while (true) {
      try {
        n = recvmsg(fd, msg, MSG_CMSG_CLOEXEC);
        break;
      } catch (LastErrorException e) {
        if (e.getErrorCode() == EAGAIN) {
          throw new SocketTimeoutException("nothing received in time");
        }
        if (e.getErrorCode() != EINTR) {
          throw new IOException("recvmsg: " + e.getMessage(), e);
        }
      }
    }
    msg.read();
    control.read();
    int[] fds = new int[0];
    if (msg.msg_controllen >= Structs.Cmsghdr.HEADER && control.cmsg_level == SOL_SOCKET && control.cmsg_type == SCM_RIGHTS) {
      int count = (int) Math.min(Structs.Cmsghdr.MAX_FDS, (control.cmsg_len - Structs.Cmsghdr.HEADER) / 4);
      fds = java.util.Arrays.copyOf(control.fds, count);
    }
    return new Received(data.getByteArray(0, (int) n), fds, (msg.msg_flags & MSG_CTRUNC) != 0);
  }

  /** Sends all of {@code data}, with {@code fds} attached to its first byte (none: plain data). */
  public void send(byte[] data, int... fds) throws IOException {
    if (fds.length > Structs.Cmsghdr.MAX_FDS) {
      throw new IllegalArgumentException("at most " + Structs.Cmsghdr.MAX_FDS + " descriptors per message");
    }
    if (data.length == 0) {
      throw new IllegalArgumentException("a message has at least one byte (descriptors travel with data)");
    }
    Memory buf = new Memory(data.length);
    buf.write(0, data, 0, data.length);
    int sent = 0;
    while (sent < data.length) {
      Structs.Iovec iov = new Structs.Iovec();
      iov.iov_base = buf.share(sent);
      iov.iov_len = data.length - sent;
      iov.write();
      Structs.Msghdr msg = new Structs.Msghdr();
      msg.msg_iov = iov.getPointer();
      msg.msg_iovlen = 1;
      Structs.Cmsghdr control = null;
      if (sent == 0 && fds.length > 0) {
        control = new Structs.Cmsghdr();
        control.cmsg_len = Structs.Cmsghdr.HEADER + 4L * fds.length;
        control.cmsg_level = SOL_SOCKET;
        control.cmsg_type = SCM_RIGHTS;
        System.arraycopy(fds, 0, control.fds, 0, fds.length);
        control.write();
        msg.msg_control = control.getPointer();
        msg.msg_controllen = Structs.Cmsghdr.HEADER + ((4L * fds.length + 7) & ~7L);
      }
      try {
        sent += (int) sendmsg(fd, msg, MSG_NOSIGNAL);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == EAGAIN) {
          throw new SocketTimeoutException("the peer did not read in time");
        }
        if (e.getErrorCode() != EINTR) {
          throw new IOException("sendmsg: " + e.getMessage(), e);
        }
      }
    }
  }

  /** Wakes a thread blocked in {@link #accept} or {@link #receive} (they then fail or see the end). */
  public void shutdown() {
    try {
      shutdown(fd, SHUT_RDWR);
    } catch (LastErrorException e) {
      // not connected, or already shut down: nothing to wake
    }
  }

  @Override
  public void close() {
    try {
      Libc.close(fd);
    } catch (LastErrorException e) {
      // already closed
    }
  }

  private interface NativeCall {
    long run() throws LastErrorException;
  }

  private static int call(String what, NativeCall c) throws IOException {
    while (true) {
      try {
        return (int) c.run();
      } catch (LastErrorException e) {
        if (e.getErrorCode() != EINTR) {
          throw new IOException(what + ": " + e.getMessage(), e);
        }
      }
    }
  }
}
