package org.evfilter.events.net;

import java.util.List;
import java.util.OptionalInt;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.FieldKind;
import org.evfilter.events.syscalls.Constants;

/**
 * The fields rules on the calls that name a socket address (connect, bind, sendto, sendmsg) read
 * from the {@link Endpoint}: none of them is in {@code seccomp_data} (the address is behind a
 * pointer, the type and protocol belong to the socket), so each sits past the policy record's
 * registers and labels, where only a supervisor (or a cgroup hook) can fill it.
 */
public final class SocketFields {
  /** {@code sa_family}. */
  public static final EventField FAMILY = new EventField("family", "unsigned short", 80, 2, false, FieldKind.NUMERIC);
  /** The socket's type, without {@code SOCK_NONBLOCK|SOCK_CLOEXEC}. */
  public static final EventField TYPE = new EventField("type", "unsigned int", 84, 4, false, FieldKind.NUMERIC);
  /** The socket's protocol. */
  public static final EventField PROTOCOL = new EventField("protocol", "unsigned int", 88, 4, false, FieldKind.NUMERIC);
  /** The port, host order; 0 where the address has none. */
  public static final EventField PORT = new EventField("port", "unsigned short", 92, 2, false, FieldKind.NUMERIC);
  /** The IP address: 16 bytes, IPv4 held IPv4-mapped. */
  public static final EventField ADDR = new EventField("addr", "struct in6_addr", 96, 16, false, FieldKind.INET_ADDRESS);
  /** A unix socket's path. */
  public static final EventField PATH = new EventField("path", "char *", 112, 8, false, FieldKind.PTR_STRING);

  /** All of them, in this order (the index is {@link #indexOf}'s). */
  public static final List<EventField> ALL = List.of(FAMILY, TYPE, PROTOCOL, PORT, ADDR, PATH);

  /**
   * {@code SOCK_NONBLOCK|SOCK_CLOEXEC}: what socket(2) and socketpair(2) take in their type
   * register besides the type, and what a rule on a socket's type leaves out.
   */
  public static final long SOCK_FLAGS = Constants.linux().require("SOCK_NONBLOCK") | Constants.linux().require("SOCK_CLOEXEC");

  /** The syscalls whose rules read them. */
  public static final List<String> SYSCALLS = List.of("connect", "bind", "sendto", "sendmsg");

  private SocketFields() {}

  /** Where {@code f} is in {@link #ALL}, if it is one of these fields. */
  public static OptionalInt indexOf(EventField f) {
    int i = ALL.indexOf(f);
    return i < 0 ? OptionalInt.empty() : OptionalInt.of(i);
  }

  /** Whether rules on {@code syscall} read these fields. */
  public static boolean named(String syscall) {
    return SYSCALLS.contains(syscall);
  }
}
