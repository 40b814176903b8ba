package org.evfilter.predicates.learn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.syscalls.Constants;

/**
 * The endpoints one of connect, bind, sendto, sendmsg was seen naming, as the least condition on
 * the socket fields that allows each of them again: the ports with the addresses reached on each
 * ({@code port == 443 && addr in {1.2.3.4, 5.6.7.8}}), unix socket paths ({@code path ==
 * "/run/x"}), an unnamed unix address, other families by number. A call that named no address (a
 * send on a connected socket) is decided on its peer when run, and the trace does not say who that
 * was: then the syscall is not limited by address at all, and the comment says why.
 */
final class LearnedEndpoints {
  private final Map<Integer, Set<IpAddress>> byPort = new TreeMap<>();
  private final Set<String> paths = new TreeSet<>();
  private final Set<Integer> otherFamilies = new TreeSet<>();
  private boolean unnamedUnix;
  private boolean unwritablePath;
  private long unaddressed;

  /** One call's endpoint, or none when it named no address. */
  void add(Optional<Endpoint> endpoint) {
    if (endpoint.isEmpty()) {
      unaddressed++;
      return;
    }
    Endpoint e = endpoint.get();
    if (e.address().isPresent()) {
      byPort.computeIfAbsent(e.port(), p -> new TreeSet<>()).add(e.address().get());
    } else if (e.path().isPresent()) {
      if (literal(e.path().get()).isPresent()) {
        paths.add(e.path().get());
      } else {
        unwritablePath = true;
      }
    } else if (e.family() == Endpoint.AF_UNIX) {
      unnamedUnix = true;
    } else {
      otherFamilies.add(e.family());
    }
  }

  /** What was seen, for the rule's comment; empty when no endpoint was. */
  Optional<String> seen() {
    List<String> parts = new ArrayList<>();
    byPort.forEach((port, addresses) -> parts.add(addresses.size() == 1
        ? endpointText(addresses.iterator().next(), port) : addresses.size() + " addresses on port " + port));
    paths.forEach(p -> parts.add("unix " + literal(p).orElseThrow()));
    if (unnamedUnix) {
      parts.add("an unnamed unix address");
    }
    if (unwritablePath) {
      parts.add("a unix path a policy string cannot hold");
    }
    otherFamilies.forEach(f -> parts.add("family " + familyName(f)));
    if (unaddressed > 0) {
      parts.add(unaddressed + (unaddressed == 1 ? " call" : " calls") + " naming no address (its peer is not in the trace:"
          + " not limited by address)");
    }
    return parts.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", parts));
  }

  /** The condition that allows exactly the endpoints seen, when every call named one. */
  Optional<String> condition() {
    if (unaddressed > 0 || (byPort.isEmpty() && paths.isEmpty() && !unnamedUnix && !unwritablePath && otherFamilies.isEmpty())) {
      return Optional.empty();
    }
    List<String> alternatives = new ArrayList<>();
    byPort.forEach((port, addresses) -> alternatives.add("port == " + port + " && " + (addresses.size() == 1
        ? "addr == " + addresses.iterator().next()
        : "addr in {" + String.join(", ", addresses.stream().map(IpAddress::toString).toList()) + "}")));
    paths.forEach(p -> alternatives.add("path == " + literal(p).orElseThrow()));
    if (unwritablePath) {
      alternatives.add("family == AF_UNIX");
    } else if (unnamedUnix) {
      // An unnamed address has no path: '~ "*"' is false on it (an absent string matches neither way), so its negation holds.
      alternatives.add("family == AF_UNIX && !(path ~ \"*\")");
    }
    otherFamilies.forEach(f -> alternatives.add("family == " + familyName(f)));
    return Optional.of(alternatives.size() == 1 ? alternatives.get(0)
        : "(" + String.join(" || ", alternatives.stream().map(a -> a.contains("&&") ? "(" + a + ")" : a).toList()) + ")");
  }

  // AF_UNIX is also AF_LOCAL and AF_FILE, AF_NETLINK also AF_ROUTE: the first name in order, else the number.
  private static String familyName(int family) {
    Constants c = Constants.linux();
    return c.names().stream().filter(n -> n.startsWith("AF_") && c.value(n).orElse(-1) == family).sorted().findFirst()
        .orElse(Integer.toString(family));
  }

  private static String endpointText(IpAddress a, int port) {
    return (a.isV4() ? a.toString() : "[" + a + "]") + ":" + port;
  }

  // The path as a policy string: quoted with whichever quote it lacks; strings have no escapes, so
  // a path holding both quotes, a control byte or NUL cannot be written.
  private static Optional<String> literal(String path) {
    if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return Optional.empty();
    }
    if (path.indexOf('"') < 0) {
      return Optional.of('"' + path + '"');
    }
    return path.indexOf('\'') < 0 ? Optional.of('\'' + path + '\'') : Optional.empty();
  }
}
