package org.evfilter.events.trace;

import java.util.List;
import java.util.Optional;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.trace.LineTraceReader.BadLine;

/**
 * An {@link Endpoint} given member by member as text, the way traces and {@code evfilter eval}
 * write one: {@code family}, {@code type}, {@code protocol} as numbers or names ({@code AF_INET6},
 * {@code SOCK_DGRAM}), {@code addr} an IP address, {@code port} 0 to 65535, {@code path} a unix
 * socket path. The family follows from how {@code addr} is written, or from {@code path}, when not
 * given.
 */
public final class EndpointMembers {
  /** The members' names, in the order traces write them. */
  public static final List<String> NAMES = List.of("family", "type", "protocol", "addr", "port", "path");

  private Integer family;
  private int type;
  private int protocol;
  private int port;
  private Optional<IpAddress> address = Optional.empty();
  private Optional<String> writtenAddress = Optional.empty();
  private Optional<String> path = Optional.empty();
  private boolean given;

  /**
   * Sets one member.
   *
   * @throws IllegalArgumentException naming what is wrong with the value, or the member unknown
   */
  public void set(String member, String text) {
    given = true;
    try {
      switch (member) {
        case "family" -> family = LineTraceReader.constant(text);
        case "type" -> type = LineTraceReader.constant(text);
        case "protocol" -> protocol = LineTraceReader.constant(text);
        case "port" -> {
          long p = LineTraceReader.number(text);
          if (p < 0 || p > 0xffff) {
            throw new IllegalArgumentException("port " + text + " is not 0 to 65535");
          }
          port = (int) p;
        }
        case "addr" -> {
          address = Optional.of(IpAddress.parse(text).orElseThrow(() -> new IllegalArgumentException("'" + text + "' is not an IP address")));
          writtenAddress = Optional.of(text);
        }
        case "path" -> path = Optional.of(text);
        default -> throw new IllegalArgumentException("unknown endpoint member '" + member + "' (" + String.join(", ", NAMES) + ")");
      }
    } catch (BadLine bad) {
      throw new IllegalArgumentException(bad.getMessage());
    }
  }

  /** The endpoint, once any member was given. */
  public Optional<Endpoint> endpoint() {
    if (!given) {
      return Optional.empty();
    }
    int f = family != null ? family : Endpoint.inferredFamily(writtenAddress, path);
    return Optional.of(new Endpoint(f, type, protocol, address, port, path));
  }
}
