package org.evfilter.events.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.evfilter.events.syscalls.Constants;

/**
 * The socket a call acts on and the address it names, as a supervisor or tracer read them: the
 * address family of the {@code struct sockaddr}, the socket's type and protocol, and what the
 * address holds (an IP address and port, or a unix socket path). Absent parts are what the
 * address does not carry (a unix address has no IP address; a truncated one, nothing but its family).
 *
 * @param family {@code sa_family} ({@code AF_INET}, {@code AF_INET6}, {@code AF_UNIX}...)
 * @param type the socket's type ({@code SOCK_STREAM}...) without {@code SOCK_NONBLOCK|SOCK_CLOEXEC}; 0 unknown
 * @param protocol the socket's protocol ({@code IPPROTO_TCP}...); 0 unknown or the family's default
 * @param address the IP address (IPv4 held IPv4-mapped), for {@code AF_INET} and {@code AF_INET6}
 * @param port the port in host order; 0 where the address has none
 * @param path a unix socket's path; an abstract name is written with a leading {@code @}, as {@code ss} does
 */
public record Endpoint(int family, int type, int protocol, Optional<IpAddress> address, int port, Optional<String> path) {
  public static final int AF_UNSPEC = Constants.linux().require("AF_UNSPEC");
  public static final int AF_UNIX = Constants.linux().require("AF_UNIX");
  public static final int AF_INET = Constants.linux().require("AF_INET");
  public static final int AF_INET6 = Constants.linux().require("AF_INET6");

  /** {@code sizeof(struct sockaddr_in)}: the kernel refuses a shorter IPv4 address. */
  public static final int SOCKADDR_IN_SIZE = 16;
  /** {@code SIN6_LEN_RFC2133}: the kernel refuses a shorter IPv6 address. */
  public static final int SOCKADDR_IN6_MIN = 24;
  /** {@code sizeof(struct sockaddr_storage)}: the kernel refuses a longer address. */
  public static final int SOCKADDR_MAX = 128;
  /** {@code offsetof(struct sockaddr_un, sun_path)}. */
  private static final int SUN_PATH = 2;

  public Endpoint {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(path, "path");
    if (port < 0 || port > 0xffff) {
      throw new IllegalArgumentException("port " + port);
    }
  }

  /** An IPv4 or IPv6 endpoint (the family follows from how the address was written). */
  public static Endpoint inet(IpAddress address, int port, int type, int protocol, boolean v6) {
    return new Endpoint(v6 ? AF_INET6 : AF_INET, type, protocol, Optional.of(address), port, Optional.empty());
  }

  /**
   * The family a trace's endpoint has when it names none: {@code AF_INET6} for an address written
   * with a colon ({@code ::ffff:10.0.0.1} too), {@code AF_INET} for another address, {@code AF_UNIX}
   * for a path, else {@code AF_UNSPEC}.
   */
  public static int inferredFamily(Optional<String> writtenAddress, Optional<String> path) {
    if (writtenAddress.isPresent()) {
      return writtenAddress.get().indexOf(':') >= 0 ? AF_INET6 : AF_INET;
    }
    return path.isPresent() ? AF_UNIX : AF_UNSPEC;
  }

  /** A unix socket endpoint. */
  public static Endpoint unix(String path, int type) {
    return new Endpoint(AF_UNIX, type, 0, Optional.empty(), 0, Optional.of(path));
  }

  /**
   * Reads a {@code struct sockaddr} of {@code raw.length} bytes (the call's addrlen, at most
   * {@link #SOCKADDR_MAX}) as the kernel would: an IPv4 address shorter than {@code sockaddr_in}
   * or an IPv6 one shorter than {@code SIN6_LEN_RFC2133} carries its family only (the kernel
   * refuses it with EINVAL), a unix path ends at its first NUL or at addrlen.
   */
  public static Endpoint ofSockaddr(byte[] raw, int type, int protocol) {
    if (raw.length < 2) {
      return new Endpoint(AF_UNSPEC, type, protocol, Optional.empty(), 0, Optional.empty());
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
    int family = b.getShort(0) & 0xffff;
    int port = ((raw.length >= 4 ? raw[2] & 0xff : 0) << 8) | (raw.length >= 4 ? raw[3] & 0xff : 0);
    if (family == AF_INET && raw.length >= SOCKADDR_IN_SIZE) {
      return new Endpoint(family, type, protocol, Optional.of(IpAddress.of(Arrays.copyOfRange(raw, 4, 8))), port, Optional.empty());
    }
    if (family == AF_INET6 && raw.length >= SOCKADDR_IN6_MIN) {
      return new Endpoint(family, type, protocol, Optional.of(IpAddress.of(Arrays.copyOfRange(raw, 8, 24))), port, Optional.empty());
    }
    if (family == AF_UNIX && raw.length > SUN_PATH) {
      byte[] p = Arrays.copyOfRange(raw, SUN_PATH, raw.length);
      if (p[0] == 0) {
        // Abstract: every byte up to addrlen is the name, NULs included.
        return new Endpoint(family, type, protocol, Optional.empty(), 0,
            Optional.of("@" + new String(p, 1, p.length - 1, StandardCharsets.ISO_8859_1)));
      }
      int end = 0;
      while (end < p.length && p[end] != 0) {
        end++;
      }
      return new Endpoint(family, type, protocol, Optional.empty(), 0, Optional.of(new String(p, 0, end, StandardCharsets.ISO_8859_1)));
    }
    return new Endpoint(family, type, protocol, Optional.empty(), 0, Optional.empty());
  }

  /** This endpoint with the socket's type and protocol (as {@code getsockopt} gives them). */
  public Endpoint onSocket(int socketType, int socketProtocol) {
    return new Endpoint(family, socketType, socketProtocol, address, port, path);
  }

  /** How a trace writes it: {@code 127.0.0.1:53}, {@code [::1]:443}, {@code unix:/run/x.sock}, {@code family:16}. */
  @Override
  public String toString() {
    if (address.isPresent()) {
      return (family == AF_INET6 ? "[" + address.get() + "]" : address.get().toString()) + ":" + port;
    }
    if (path.isPresent()) {
      return "unix:" + path.get();
    }
    return "family:" + family;
  }
}
