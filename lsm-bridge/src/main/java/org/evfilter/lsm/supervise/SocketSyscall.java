package org.evfilter.lsm.supervise;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * Where a socket syscall keeps the address it names, for the supervisor: the argument holding the
 * {@code struct sockaddr} (or sendmsg's {@code struct user_msghdr}) and the one holding its length
 * (-1: in the msghdr). The socket is always argument 0.
 */
record SocketSyscall(String name, Kind kind, int address, int length) {
  /** What the call does with its address. */
  enum Kind { CONNECT, BIND, SENDTO, SENDMSG }

  private static final Map<Integer, SocketSyscall> BY_NUMBER = table();

  static Optional<SocketSyscall> of(int nr) {
    return Optional.ofNullable(BY_NUMBER.get(nr));
  }

  private static Map<Integer, SocketSyscall> table() {
    SocketSyscall[] all = {
      new SocketSyscall("connect", Kind.CONNECT, 1, 2),
      new SocketSyscall("bind", Kind.BIND, 1, 2),
      new SocketSyscall("sendto", Kind.SENDTO, 4, 5),
      new SocketSyscall("sendmsg", Kind.SENDMSG, 1, -1),
    };
    Map<Integer, SocketSyscall> m = new HashMap<>();
    SyscallTable t = SyscallTable.of(Arch.X86_64);
    for (SocketSyscall s : all) {
      t.byName(s.name).ifPresent(x -> m.put(x.nr(), s));
    }
    return Map.copyOf(m);
  }
}
