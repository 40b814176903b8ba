package org.evfilter.tests.cgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.evfilter.events.net.Cidr;
import org.evfilter.events.syscalls.Constants;

/** Seeded random socket policies whose rules cgroup hooks can decide (each names its socket's type and protocol). */
final class RandomSocketPolicies {
  /** The network labels every policy reads ({@code labels "net.labels"}). */
  static final String LABELS = String.join("\n",
      "nodecon 10.0.0.0/8 intranet_t",
      "nodecon 10.1.0.0/16 lab_t",
      "nodecon 127.0.0.0/8 localhost_t",
      "nodecon ::1/128 localhost_t",
      "nodecon 2001:db8::/32 doc_t",
      "nodecon ::/0 world_t",
      "portcon udp 53 dns_t",
      "portcon tcp 8000-8999 devel_t",
      "portcon udp 5000-5999 devel_t",
      "");

  private static final List<String> ERRNOS = List.of("ECONNREFUSED", "EHOSTUNREACH", "EADDRNOTAVAIL", "ENETDOWN", "ECONNABORTED", "EPERM");
  private static final List<String> LABEL_NAMES = List.of("intranet_t", "lab_t", "localhost_t", "doc_t", "world_t", "dns_t", "devel_t");
  private static final List<String> NETWORKS = List.of("10.0.0.0/8", "10.1.2.0/24", "192.168.0.0/16", "127.0.0.1", "0.0.0.0/0", "::1/128",
      "2001:db8::/32", "2001:db8:1::/48", "::ffff:10.0.0.0/104", "fe80::/10", "::/0", "172.16.0.0/12");

  /** A policy and what a probe should go around: its networks and the edges of its ports. */
  record Generated(String text, List<Cidr> networks, List<Integer> ports) {}

  private RandomSocketPolicies() {}

  /** The errno name of a number among those the policies use. */
  static String errnoName(int errno) {
    return ERRNOS.stream().filter(n -> Constants.linux().require(n) == errno).findFirst().orElse("E" + errno);
  }

  /** Rules on connect and bind, TCP and UDP, default allow. */
  static String policy(Random r) {
    StringBuilder b = new StringBuilder("labels \"net.labels\"\ndefault allow\n");
    int rules = 1 + r.nextInt(6);
    for (int i = 0; i < rules; i++) {
      String action = r.nextInt(5) == 0 ? "allow" : "errno(" + ERRNOS.get(r.nextInt(ERRNOS.size())) + ")";
      String call = r.nextBoolean() ? "connect" : "bind";
      String socket = r.nextBoolean() ? "type == SOCK_STREAM && protocol == IPPROTO_TCP" : "type == SOCK_DGRAM && protocol == IPPROTO_UDP";
      b.append(action).append(' ').append(call).append(": (family == AF_INET || family == AF_INET6) && ").append(socket).append(" && (").append(expression(r, 3, new ArrayList<>(),
          new ArrayList<>())).append(")\n");
    }
    return b.toString();
  }

  /** Rules on UDP connect only, with the networks and ports they name. */
  static Generated connectPolicy(Random r) {
    List<Cidr> networks = new ArrayList<>();
    List<Integer> ports = new ArrayList<>(List.of(53));
    StringBuilder b = new StringBuilder("labels \"net.labels\"\ndefault allow\n");
    int rules = 1 + r.nextInt(4);
    for (int i = 0; i < rules; i++) {
      String action = r.nextInt(4) == 0 ? "allow" : "errno(" + ERRNOS.get(r.nextInt(ERRNOS.size())) + ")";
      b.append(action).append(" connect: (family == AF_INET || family == AF_INET6) && type == SOCK_DGRAM && protocol == IPPROTO_UDP && (").append(expression(r, 3, networks, ports))
          .append(")\n");
    }
    if (networks.isEmpty()) {
      networks.add(Cidr.parse("10.0.0.0/8").cidr().orElseThrow());
    }
    return new Generated(b.toString(), networks, ports.stream().distinct().limit(4).toList());
  }

  private static String expression(Random r, int depth, List<Cidr> networks, List<Integer> ports) {
    int k = depth == 0 ? r.nextInt(6) : r.nextInt(9);
    switch (k) {
      case 0: {
        List<String> nets = new ArrayList<>();
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
          String net = NETWORKS.get(r.nextInt(NETWORKS.size()));
          nets.add(net);
          networks.add(Cidr.parse(net).cidr().orElseThrow());
        }
        return "addr in {" + String.join(", ", nets) + "}";
      }
      case 1: {
        int p = 1 + r.nextInt(65534);
        ports.add(p);
        ports.add(p + 1);
        return "port == " + p;
      }
      case 2: {
        int lo = r.nextInt(6000);
        int hi = lo + r.nextInt(3000);
        ports.addAll(List.of(lo, hi, hi + 1, Math.max(0, lo - 1)));
        return "port in {" + lo + ".." + hi + "}";
      }
      case 3:
        return "label & " + LABEL_NAMES.get(r.nextInt(LABEL_NAMES.size()));
      case 4:
        return r.nextBoolean() ? "family == AF_INET" : "family == AF_INET6";
      case 5: {
        String a = r.nextBoolean() ? "10.1.2.3" : "2001:db8::5";
        networks.add(Cidr.parse(a).cidr().orElseThrow());
        return "addr != " + a;
      }
      case 6:
        return "!(" + expression(r, depth - 1, networks, ports) + ")";
      case 7:
        return expression(r, depth - 1, networks, ports) + " && " + expression(r, depth - 1, networks, ports);
      default:
        return "(" + expression(r, depth - 1, networks, ports) + " || " + expression(r, depth - 1, networks, ports) + ")";
    }
  }
}
