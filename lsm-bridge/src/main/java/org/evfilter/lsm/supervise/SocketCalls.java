package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.EFAULT;
import static org.evfilter.events.syscalls.Errno.EINVAL;
import static org.evfilter.events.syscalls.Errno.EMSGSIZE;
import static org.evfilter.events.syscalls.Errno.ENAMETOOLONG;
import static org.evfilter.events.syscalls.Errno.EPERM;
import static org.evfilter.events.syscalls.Errno.EPIPE;

import com.sun.jna.LastErrorException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Constants;
import org.evfilter.events.syscalls.FileFlags;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Deciding and performing connect, bind, sendto and sendmsg for a task, so that no decision can be
 * raced: the address (and the data sent) is read from the task's memory once, the socket is taken
 * from the task ({@code pidfd_getfd}: the very socket, whose type and protocol are read from it),
 * the call is decided on the {@link Endpoint} read, and when allowed performed by the supervisor on
 * that socket with the copied address, its result the task's answer. Never "continue": the kernel
 * would read the task's memory again, which another thread may have changed.
 *
 * <p>A unix socket path is reached as the task reaches it (from its working directory) and pinned:
 * connect and send go through the pinned socket file, bind creates the file in the pinned parent
 * directory with the task's umask; its labels are the file's. What cannot be performed exactly is
 * refused with EPERM and says so: sendmsg with ancillary data (descriptors passed by SCM_RIGHTS
 * are numbers in the task's table; credentials would be the supervisor's).
 */
final class SocketCalls {
  /** Sent data read from the task per call: a stream socket sends at most this (a short send), a datagram larger is EMSGSIZE. */
  static final int MAX_PAYLOAD = 256 * 1024;

  private static final int SO_TYPE = Constants.linux().require("SO_TYPE");
  private static final int SO_PROTOCOL = Constants.linux().require("SO_PROTOCOL");
  private static final int SOCK_STREAM = Constants.linux().require("SOCK_STREAM");
  private static final int MSG_NOSIGNAL = Constants.linux().require("MSG_NOSIGNAL");
  private static final int SIGPIPE = Constants.linux().require("SIGPIPE");
  // struct user_msghdr on x86_64: name, namelen, iov, iovlen, control, controllen, flags.
  private static final int MSGHDR_SIZE = 56;
  private static final int IOVEC_SIZE = 16;
  private static final int UIO_MAXIOV = 1024;
  // sizeof(sun_path): a unix path, NUL included, must fit.
  private static final int SUN_PATH_MAX = 108;

  private final SupervisorNatives natives;
  private final TaskArguments arguments;
  private final ObjectPinner pinner;
  private final TaskCredentials credentials;
  private final Decider decider;
  private final Responder responder;
  private final BoundPolicy policy;
  private final LabelResolver labels;

  SocketCalls(SupervisorNatives natives, TaskArguments arguments, ObjectPinner pinner, TaskCredentials credentials, Decider decider,
      Responder responder, BoundPolicy policy, LabelResolver labels) {
    this.natives = natives;
    this.arguments = arguments;
    this.pinner = pinner;
    this.credentials = credentials;
    this.decider = decider;
    this.responder = responder;
    this.policy = policy;
    this.labels = labels;
  }

  /** What a call names, read from the task once: the address (empty: none given), the data it sends, its ancillary data's size. */
  private record Message(Optional<byte[]> address, byte[] data, long controlLength, int flags) {}

  void handle(Call c, SocketSyscall s) {
    SeccompListener.Notification n = c.n();
    Optional<Message> read;
    try {
      read = read(n, s);
    } catch (LastErrorException e) {
      responder.refuse(c, "invalid argument", e.getErrorCode());
      return;
    }
    if (read.isEmpty()) {
      responder.refuse(c, "unreadable argument", EFAULT);
      return;
    }
    Message m = read.get();
    Optional<TaskCredentials.Creds> creds = credentials.of(n.tid());
    // Everything read from the task: the notification must still be pending, or its pid may be another task's.
    if (creds.isEmpty() || !c.channel().valid(n.id())) {
      return;
    }
    TaskCredentials.Creds task = creds.get();
    int socket = natives.takeDescriptor(task.tgid(), (int) c.arg(0));
    try {
      decide(c, s, m, task, socket);
    } finally {
      natives.closeQuietly(socket);
    }
  }

  private void decide(Call c, SocketSyscall s, Message m, TaskCredentials.Creds task, int socket) {
    SeccompListener.Notification n = c.n();
    int type = natives.socketOption(socket, SO_TYPE);
    int protocol = natives.socketOption(socket, SO_PROTOCOL);
    // sendto and sendmsg without an address go to the connected peer: decided on it.
    byte[] raw = m.address().orElseGet(() -> natives.peer(socket));
    Endpoint endpoint = Endpoint.ofSockaddr(raw, type, protocol);
    if (!unixPath(endpoint) || m.address().isEmpty()) {
      c.named().add(endpoint.toString());
    }
    Optional<PinnedObject> file = Optional.empty();
    long labelSet;
    if (m.address().isPresent() && unixPath(endpoint)) {
      byte[] path = endpoint.path().orElseThrow().getBytes(StandardCharsets.ISO_8859_1);
      PinnedObject t = pinner.pin(n.tid(), FileFlags.AT_FDCWD, ObjectPinner.selfless(path, task.tgid(), n.tid()), true, task, 0);
      c.targets().add(t);
      file = Optional.of(t);
      labelSet = t.labels();
    } else {
      labelSet = policy.labelsOf(endpoint, labels);
    }
    SyscallEvent event = SyscallEvent.builder(Arch.X86_64, n.nr(), n.args()).tid(n.tid()).pid(n.tid())
        .instructionPointer(n.ip()).endpoint(endpoint).build();
    Decision d = decider.labelled(event, labelSet);
    if (d.verdict().kind().permits() && m.controlLength() != 0) {
      responder.refuse(c, c.name() + " with ancillary data (SCM_RIGHTS, SCM_CREDENTIALS) cannot be performed for the task", EPERM);
      return;
    }
    Optional<PinnedObject> target = file;
    responder.act(c, task, d, () -> perform(c, s, m, task, socket, type, target));
  }

  private static boolean unixPath(Endpoint e) {
    return e.family() == Endpoint.AF_UNIX && e.path().isPresent() && !e.path().get().startsWith("@");
  }

  // The allowed call, on the task's socket with the copied address; answers with its result.
  private long perform(Call c, SocketSyscall s, Message m, TaskCredentials.Creds task, int socket, int type,
      Optional<PinnedObject> file) {
    long result = 0;
    switch (s.kind()) {
      case CONNECT -> natives.connect(socket, file.isPresent() ? throughPinned(file.get()) : m.address().orElseThrow());
      case BIND -> {
        if (file.isPresent()) {
          ObjectPinner.Entry e = pinner.entry(file.get(), false);
          try {
            natives.bind(socket, unixAddress("/proc/self/fd/" + e.parent() + "/" + new String(e.name(), StandardCharsets.ISO_8859_1)),
                credentials.withUmask(task, c.n().tid()).umask());
          } finally {
            pinner.close(e);
          }
        } else {
          natives.bind(socket, m.address().orElseThrow(), 0);
        }
      }
      case SENDTO, SENDMSG -> {
        byte[] to = file.isPresent() ? throughPinned(file.get()) : m.address().orElse(null);
        result = send(c, task, socket, bounded(m.data(), type), m.flags(), to);
      }
    }
    return c.answer(NotificationAnswer.returning(result)) ? result : -1;
  }

  // Sends with MSG_NOSIGNAL (a SIGPIPE would be the supervisor's), and raises it in the task when it asked for it.
  private long send(Call c, TaskCredentials.Creds task, int socket, byte[] data, int flags, byte[] to) {
    try {
      return natives.sendto(socket, data, flags | MSG_NOSIGNAL, to);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == EPIPE && (flags & MSG_NOSIGNAL) == 0) {
        natives.signal(task.tgid(), c.n().tid(), SIGPIPE);
      }
      throw e;
    }
  }

  // The pinned socket file, reached through its descriptor's magic link: the object that was labelled.
  private static byte[] throughPinned(PinnedObject t) {
    if (!t.present()) {
      throw new LastErrorException(t.absence());
    }
    return unixAddress("/proc/self/fd/" + t.pinned());
  }

  private static byte[] unixAddress(String path) {
    byte[] p = path.getBytes(StandardCharsets.ISO_8859_1);
    if (p.length >= SUN_PATH_MAX) {
      throw new LastErrorException(ENAMETOOLONG);
    }
    byte[] a = new byte[2 + p.length + 1];
    ByteBuffer.wrap(a).order(ByteOrder.nativeOrder()).putShort(0, (short) Endpoint.AF_UNIX);
    System.arraycopy(p, 0, a, 2, p.length);
    return a;
  }

  // The address (bounded by sockaddr_storage, as the kernel's move_addr_to_kernel) and the data.
  private Optional<Message> read(SeccompListener.Notification n, SocketSyscall s) {
    long[] a = n.args();
    switch (s.kind()) {
      case CONNECT, BIND -> {
        return address(n.tid(), a[s.address()], (int) a[s.length()], false)
            .map(addr -> new Message(addr, new byte[0], 0, 0));
      }
      case SENDTO -> {
        Optional<Optional<byte[]>> addr = address(n.tid(), a[s.address()], (int) a[s.length()], true);
        Optional<byte[]> data = payload(n.tid(), a[1], a[2]);
        if (addr.isEmpty() || data.isEmpty()) {
          return Optional.empty();
        }
        return Optional.of(new Message(addr.get(), data.get(), 0, (int) a[3]));
      }
      default -> {
        return msghdr(n, (int) a[2]);
      }
    }
  }

  // A sockaddr of 'length' bytes; none for a null pointer where the call allows it (sendto).
  private Optional<Optional<byte[]>> address(int tid, long pointer, int length, boolean optional) {
    if (optional && pointer == 0) {
      return Optional.of(Optional.empty());
    }
    if (length < 0 || length > Endpoint.SOCKADDR_MAX) {
      throw new LastErrorException(EINVAL);
    }
    if (length == 0) {
      return Optional.of(Optional.of(new byte[0]));
    }
    return natives.bytes(tid, pointer, length).map(Optional::of);
  }

  private Optional<byte[]> payload(int tid, long pointer, long length) {
    if (length == 0) {
      return Optional.of(new byte[0]);
    }
    return arguments.bytes(tid, pointer, (int) Math.min(length, MAX_PAYLOAD + 1L));
  }

  private Optional<Message> msghdr(SeccompListener.Notification n, int flags) {
    Optional<byte[]> raw = natives.bytes(n.tid(), n.args()[1], MSGHDR_SIZE);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    ByteBuffer h = ByteBuffer.wrap(raw.get()).order(ByteOrder.nativeOrder());
    long iov = h.getLong(16);
    long iovlen = h.getLong(24);
    if (iovlen < 0 || iovlen > UIO_MAXIOV) {
      throw new LastErrorException(EMSGSIZE);
    }
    Optional<Optional<byte[]>> addr = address(n.tid(), h.getLong(0), h.getInt(8), true);
    Optional<byte[]> vectors = iovlen == 0 ? Optional.of(new byte[0]) : arguments.bytes(n.tid(), iov, (int) iovlen * IOVEC_SIZE);
    if (addr.isEmpty() || vectors.isEmpty()) {
      return Optional.empty();
    }
    // The data gathered into one buffer: one send of it is the same message.
    ByteBuffer v = ByteBuffer.wrap(vectors.get()).order(ByteOrder.nativeOrder());
    byte[] data = new byte[0];
    for (int i = 0; i < iovlen && data.length <= MAX_PAYLOAD; i++) {
      long base = v.getLong(i * IOVEC_SIZE);
      long len = v.getLong(i * IOVEC_SIZE + 8);
      Optional<byte[]> part = payload(n.tid(), base, Math.min(len, MAX_PAYLOAD + 1L - data.length));
      if (part.isEmpty()) {
        return Optional.empty();
      }
      int at = data.length;
      data = Arrays.copyOf(data, at + part.get().length);
      System.arraycopy(part.get(), 0, data, at, part.get().length);
    }
    return Optional.of(new Message(addr.get(), data, h.getLong(40), flags));
  }

  /** The data to send: a stream socket sends what fits (a short send), a datagram that does not fit is refused. */
  static byte[] bounded(byte[] data, int type) {
    if (data.length <= MAX_PAYLOAD) {
      return data;
    }
    if (type == SOCK_STREAM) {
      return Arrays.copyOf(data, MAX_PAYLOAD);
    }
    throw new LastErrorException(EMSGSIZE);
  }
}
