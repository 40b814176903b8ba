package org.evfilter.lsm.natives;

import static org.evfilter.events.syscalls.Errno.EINTR;
import static org.evfilter.events.syscalls.Errno.EPERM;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.evfilter.events.syscalls.Constants;

/**
 * A {@code NETLINK_AUDIT} socket ({@code <linux/audit.h>}, {@code <linux/netlink.h>}): the kernel's
 * audit status ({@code AUDIT_GET}), switching auditing on or off ({@code AUDIT_SET}, needs
 * CAP_AUDIT_CONTROL) and the records the kernel multicasts to readers of {@code
 * AUDIT_NLGRP_READLOG} (needs CAP_AUDIT_READ). A reader of that group takes nothing from the audit
 * daemon: the kernel sends every record to the group and to the daemon alike.
 */
public final class AuditNetlink implements AutoCloseable {
  static {
    Native.register("c");
  }

  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = Constants.linux().require("SOCK_CLOEXEC");
  private static final int NETLINK_AUDIT = 9;
  private static final int AUDIT_NLGRP_READLOG = 1;
  private static final int NLMSG_ERROR = 2;
  private static final int NLM_F_REQUEST = 1;
  private static final int NLM_F_ACK = 4;
  private static final int HEADER = 16;
  private static final int AUDIT_GET = 1000;
  private static final int AUDIT_SET = 1001;
  private static final int AUDIT_STATUS_ENABLED = 1;
  // struct audit_status: eleven u32 since Linux 5.x (mask, enabled, failure, pid, ... backlog_wait_time_actual).
  private static final int STATUS_SIZE = 44;
  // MAX_AUDIT_MESSAGE_LENGTH (8970) with room for the header.
  private static final int BUFFER = 9216;

  private static native int socket(int domain, int type, int protocol) throws LastErrorException;

  private static native int bind(int fd, byte[] addr, int len) throws LastErrorException;

  private static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int alen) throws LastErrorException;

  private static native long recv(int fd, Pointer buf, long len, int flags) throws LastErrorException;

  /** Records the kernel could not queue on this socket (ENOBUFS): reading may go on. */
  public static final class RecordsLost extends IOException {
    private static final long serialVersionUID = 1L;

    RecordsLost() {
      super("audit records were lost (the socket's queue was full)");
    }
  }

  /** The kernel's audit status: whether auditing is on (2: on and locked) and the audit daemon's pid (0: none). */
  public record Status(int enabled, int daemonPid) {
    /** Whether the kernel writes audit records (Landlock's among them). */
    public boolean on() {
      return enabled != 0;
    }
  }

  /** One record the kernel multicast: its type ({@code AUDIT_*}) and its text ({@code audit(T:SERIAL): ...}). */
  public record Message(int type, String text) {}

  private final int fd;
  private final Memory buffer = new Memory(BUFFER);
  private int sequence;

  private AuditNetlink(int fd) {
    this.fd = fd;
  }

  /** A socket for requests to the kernel (status, set). */
  public static AuditNetlink open() throws IOException {
    return bound(0);
  }

  /** A socket that receives every audit record the kernel writes from now on. */
  public static AuditNetlink reader() throws IOException {
    return bound(1 << (AUDIT_NLGRP_READLOG - 1));
  }

  private static AuditNetlink bound(int groups) throws IOException {
    int fd;
    try {
      fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    } catch (LastErrorException e) {
      throw new IOException("cannot open a NETLINK_AUDIT socket: " + e.getMessage());
    }
    try {
      bind(fd, address(groups), 12);
    } catch (LastErrorException e) {
      Libc.close(fd);
      throw new IOException("cannot " + (groups == 0 ? "bind a NETLINK_AUDIT socket" : "join the audit log's multicast group"
          + " (CAP_AUDIT_READ)") + ": " + e.getMessage());
    }
    return new AuditNetlink(fd);
  }

  // struct sockaddr_nl: family, pad, pid (0: the kernel assigns one), groups.
  private static byte[] address(int groups) {
    return ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).putShort((short) AF_NETLINK).putShort((short) 0).putInt(0)
        .putInt(groups).array();
  }

  /** The kernel's audit status ({@code AUDIT_GET}). */
  public Status status() throws IOException {
    send(AUDIT_GET, NLM_F_REQUEST, new byte[0]);
    ByteBuffer reply = replyTo(AUDIT_GET);
    return new Status(reply.getInt(HEADER + 4), reply.getInt(HEADER + 12));
  }

  /** Switches auditing on (1) or off (0) for the whole machine ({@code AUDIT_SET}). */
  public void setEnabled(int enabled) throws IOException {
    ByteBuffer s = ByteBuffer.allocate(STATUS_SIZE).order(ByteOrder.nativeOrder());
    s.putInt(0, AUDIT_STATUS_ENABLED).putInt(4, enabled);
    send(AUDIT_SET, NLM_F_REQUEST | NLM_F_ACK, s.array());
    replyTo(NLMSG_ERROR);
  }

  /**
   * The next record, waiting at most {@code timeoutMillis}; empty when none came. A record lost
   * because this socket's queue was full is a {@link RecordsLost}.
   */
  public Optional<Message> receive(int timeoutMillis) throws IOException {
    if (!readable(timeoutMillis)) {
      return Optional.empty();
    }
    ByteBuffer m = read();
    int type = m.getShort(4) & 0xffff;
    int end = m.limit();
    while (end > HEADER && m.get(end - 1) == 0) {
      end--;
    }
    byte[] text = new byte[Math.max(0, end - HEADER)];
    m.get(HEADER, text);
    return Optional.of(new Message(type, new String(text, StandardCharsets.UTF_8)));
  }

  private boolean readable(int timeoutMillis) throws IOException {
    try (Memory pfd = new Memory(8)) {
      pfd.setInt(0, fd);
      pfd.setShort(4, Libc.POLLIN);
      pfd.setShort(6, (short) 0);
      try {
        return Libc.poll(pfd, 1, timeoutMillis) > 0;
      } catch (LastErrorException e) {
        if (e.getErrorCode() == EINTR) {
          return false;
        }
        throw new IOException("poll on the audit socket: " + e.getMessage());
      }
    }
  }

  private void send(int type, int flags, byte[] payload) throws IOException {
    ByteBuffer m = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.nativeOrder());
    m.putInt(HEADER + payload.length).putShort((short) type).putShort((short) flags).putInt(++sequence).putInt(0).put(payload);
    try {
      sendto(fd, m.array(), m.capacity(), 0, address(0), 12);
    } catch (LastErrorException e) {
      throw new IOException("the kernel refused an audit request: " + e.getMessage());
    }
  }

  // The kernel's answer to our last request; the records multicast meanwhile are not on this socket
  // (it joined no group), so the next message is the answer, or an NLMSG_ERROR saying why not.
  private ByteBuffer replyTo(int type) throws IOException {
    while (true) {
      if (!readable(2000)) {
        throw new IOException("the kernel did not answer an audit request");
      }
      ByteBuffer m = read();
      int got = m.getShort(4) & 0xffff;
      if (got == NLMSG_ERROR) {
        int error = m.getInt(HEADER);
        if (error != 0) {
          throw new IOException("the kernel refused an audit request: errno " + -error
              + (-error == EPERM ? " (EPERM: CAP_AUDIT_CONTROL is needed, and auditing may be locked)" : ""));
        }
        if (type == NLMSG_ERROR) {
          return m;
        }
      } else if (got == type) {
        return m;
      }
    }
  }

  private ByteBuffer read() throws IOException {
    long n;
    try {
      n = recv(fd, buffer, BUFFER, 0);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == 105) { // ENOBUFS
        throw new RecordsLost();
      }
      throw new IOException("reading the audit socket: " + e.getMessage());
    }
    return buffer.getByteBuffer(0, n).order(ByteOrder.nativeOrder());
  }

  @Override
  public void close() {
    Libc.close(fd);
    buffer.close();
  }
}
