package org.evfilter.predicates.labels;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.evfilter.events.net.Cidr;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.syscalls.Constants;

/**
 * Network labels, as SELinux's node and port contexts ({@code nodecon}, {@code portcon}, what
 * {@code semanage node -l} and {@code semanage port -l} list): a network's label and a protocol's
 * port range's label. An endpoint's label set is its node's label and its port's: the entry of the
 * longest prefix containing its address and the narrowest range containing its port (on a tie,
 * the later entry, as in file_contexts).
 */
public final class NetworkLabels {
  /** {@code nodecon NETWORK CONTEXT}: every address in {@code network} is labelled {@code label}. */
  public record Node(Cidr network, String label, int line, String origin) {
    public Node {
      Objects.requireNonNull(network, "network");
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(origin, "origin");
    }
  }

  /** {@code portcon PROTOCOL LOW[-HIGH] CONTEXT}: ports {@code low..high} of {@code protocol} are labelled {@code label}. */
  public record Port(int protocol, int low, int high, String label, int line, String origin) {
    public Port {
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(origin, "origin");
      if (low < 0 || high > 0xffff || low > high) {
        throw new IllegalArgumentException("ports " + low + "-" + high);
      }
    }
  }

  /** The protocols a port entry names, as {@code semanage port -p} does. */
  public static final List<String> PROTOCOLS = List.of("tcp", "udp", "sctp", "dccp");

  private static final int SOCK_STREAM = Constants.linux().require("SOCK_STREAM");
  private static final int SOCK_DGRAM = Constants.linux().require("SOCK_DGRAM");
  private static final int TCP = Constants.linux().require("IPPROTO_TCP");
  private static final int UDP = Constants.linux().require("IPPROTO_UDP");

  private final List<Node> nodes;
  private final List<Port> ports;

  private NetworkLabels(List<Node> nodes, List<Port> ports) {
    // Most specific first; on a tie, the later entry.
    this.nodes = nodes.stream().sorted(Comparator.comparingInt((Node n) -> n.network().prefix()).reversed()
        .thenComparing(Comparator.comparingInt(Node::line).reversed())).toList();
    this.ports = ports.stream().sorted(Comparator.comparingInt((Port p) -> p.high() - p.low())
        .thenComparing(Comparator.comparingInt(Port::line).reversed())).toList();
  }

  public static NetworkLabels of(List<Node> nodes, List<Port> ports) {
    return new NetworkLabels(nodes, ports);
  }

  public static NetworkLabels none() {
    return new NetworkLabels(List.of(), List.of());
  }

  /** The IPPROTO number of a protocol name ({@code tcp}), if it is one of {@link #PROTOCOLS}. */
  public static Optional<Integer> protocol(String name) {
    return PROTOCOLS.contains(name)
        ? Optional.of(Constants.linux().require("IPPROTO_" + name.toUpperCase(java.util.Locale.ROOT)))
        : Optional.empty();
  }

  public List<Node> nodes() {
    return nodes;
  }

  public List<Port> ports() {
    return ports;
  }

  public boolean isEmpty() {
    return nodes.isEmpty() && ports.isEmpty();
  }

  /** The label of the node holding {@code address}, if an entry gives one. */
  public Optional<Node> node(IpAddress address) {
    return nodes.stream().filter(n -> n.network().contains(address)).findFirst();
  }

  /** The label of {@code port} of {@code protocol}, if an entry gives one. */
  public Optional<Port> port(int protocol, int port) {
    return ports.stream().filter(p -> p.protocol() == protocol && p.low() <= port && port <= p.high()).findFirst();
  }

  /** The labels of an IP endpoint: its node's and its port's (none for other families). */
  public List<String> labels(Endpoint e) {
    if (e.address().isEmpty()) {
      return List.of();
    }
    java.util.List<String> out = new java.util.ArrayList<>(2);
    node(e.address().get()).ifPresent(n -> out.add(n.label()));
    port(protocolOf(e), e.port()).ifPresent(p -> out.add(p.label()));
    return out;
  }

  // A socket made with protocol 0 has its family's default for its type: TCP for a stream, UDP for a datagram.
  private static int protocolOf(Endpoint e) {
    if (e.protocol() != 0) {
      return e.protocol();
    }
    return e.type() == SOCK_STREAM ? TCP : e.type() == SOCK_DGRAM ? UDP : 0;
  }
}
