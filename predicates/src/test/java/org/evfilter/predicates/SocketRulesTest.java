package org.evfilter.predicates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Cidr;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.FilterException;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.predicates.labels.LabelResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Socket rules: fields of the address a call names, address and network literals, network labels. */
class SocketRulesTest {
  static final KernelFacts FACTS = FilterBinderTest.FACTS;
  static final int STREAM = 1;
  static final int DGRAM = 2;

  static SyscallEvent call(String syscall, Endpoint e) {
    int nr = SyscallTable.of(Arch.X86_64).byName(syscall).orElseThrow().nr();
    return SyscallEvent.builder(Arch.X86_64, nr, 3).endpoint(e).build();
  }

  static Endpoint inet(String addr, int port, int type) {
    return Endpoint.inet(IpAddress.parse(addr).orElseThrow(), port, type, 0, addr.indexOf(':') >= 0);
  }

  static String decide(BoundPolicy p, SyscallEvent e) {
    long labels = e.endpoint().map(a -> p.labelsOf(a, LabelResolver.none())).orElse(0L);
    return PolicyEngine.compile(p, Arch.X86_64).decide(new SeccompView().set(e, labels), new CompiledFilter.Counter()).toString();
  }

  @Test
  void rulesDecideOnTheAddressPortAndFamily() {
    BoundPolicy p = PolicyBinder.bind("p.evf", String.join("\n",
        "default errno(EPERM)",
        "allow connect: addr in {10.0.0.0/8, ::1/128} && port == 443",
        "allow connect: family == AF_INET && addr == 127.0.0.1 && port in {53, 8000..8999}",
        "errno(ECONNREFUSED) sendto: addr != 192.168.1.1 && type == SOCK_DGRAM",
        "allow sendto: protocol == IPPROTO_UDP",
        "allow bind: path ~ \"/run/*\"",
        ""), FACTS);
    Object[][] cases = {
      {"connect", inet("10.255.255.255", 443, STREAM), "allow"},
      {"connect", inet("11.0.0.0", 443, STREAM), "errno(1)"},
      {"connect", inet("9.255.255.255", 443, STREAM), "errno(1)"},
      {"connect", inet("10.0.0.1", 444, STREAM), "errno(1)"},
      // An IPv6 socket reaching an IPv4 host is in the IPv4 network.
      {"connect", inet("::ffff:10.1.2.3", 443, STREAM), "allow"},
      {"connect", inet("::1", 443, STREAM), "allow"},
      {"connect", inet("::2", 443, STREAM), "errno(1)"},
      {"connect", inet("127.0.0.1", 8999, STREAM), "allow"},
      {"connect", inet("127.0.0.1", 9000, STREAM), "errno(1)"},
      // family == AF_INET: the v4-mapped form is an IPv6 address family.
      {"connect", inet("::ffff:127.0.0.1", 53, STREAM), "errno(1)"},
      {"connect", Endpoint.unix("/run/x", STREAM), "errno(1)"},
      {"sendto", inet("192.168.1.2", 53, DGRAM), "errno(111)"},
      {"sendto", inet("192.168.1.1", 53, DGRAM), "errno(1)"},
      // An address != X is false where the address has none (a unix socket), as for an unread string.
      {"sendto", Endpoint.unix("/run/x", DGRAM), "errno(1)"},
      {"sendto", new Endpoint(Endpoint.AF_INET, DGRAM, 17, Optional.empty(), 0, Optional.empty()), "allow"},
      {"bind", Endpoint.unix("/run/evfilter.sock", STREAM), "allow"},
      {"bind", Endpoint.unix("/tmp/evfilter.sock", STREAM), "errno(1)"},
      {"bind", inet("0.0.0.0", 80, STREAM), "errno(1)"},
    };
    for (Object[] c : cases) {
      assertEquals(c[2], decide(p, call((String) c[0], (Endpoint) c[1])), c[0] + " " + c[1]);
    }
  }

  @Test
  void networkBoundariesAreExactInBothFamilies() {
    String[][] cases = {
      // network, inside, just outside
      {"0.0.0.0/0", "255.255.255.255", "::1"},
      {"192.168.0.0/16", "192.168.255.255", "192.169.0.0"},
      {"10.0.0.1/32", "10.0.0.1", "10.0.0.2"},
      {"10.0.0.0/31", "10.0.0.1", "10.0.0.2"},
      {"::/0", "::ffff:1.2.3.4", ""},
      {"fe80::/10", "febf:ffff::1", "fec0::"},
      {"2001:db8::/127", "2001:db8::1", "2001:db8::2"},
      {"::ffff:0:0/96", "10.0.0.1", "::fffe:ffff:ffff"},
      {"::1/128", "::1", "::"},
    };
    for (String[] c : cases) {
      Cidr n = Cidr.parse(c[0]).cidr().orElseThrow();
      assertTrue(n.contains(IpAddress.parse(c[1]).orElseThrow()), c[0] + " holds " + c[1]);
      if (!c[2].isEmpty()) {
        assertTrue(!n.contains(IpAddress.parse(c[2]).orElseThrow()), c[0] + " does not hold " + c[2]);
      }
      BoundPolicy p = PolicyBinder.bind("p.evf", "default errno(EPERM)\nallow connect: addr in {" + c[0] + "}\n", FACTS);
      assertEquals("allow", decide(p, call("connect", inet(c[1], 1, STREAM))), c[0] + " " + c[1]);
      if (!c[2].isEmpty()) {
        assertEquals("errno(1)", decide(p, call("connect", inet(c[2], 1, STREAM))), c[0] + " " + c[2]);
      }
    }
  }

  @Test
  void illTypedSocketRulesNameThePosition() {
    String[][] cases = {
      {"allow connect: addr > 3", "p.evf:1:21: Illegal operation for field type: addresses compare only with ==, != and 'in'"},
      {"allow connect: addr == 3", "p.evf:1:24: Invalid value (did you forget quotes)?: 'addr' is an IP address, not '3'"},
      {"allow connect: addr == \"10.0.0.1\"", "p.evf:1:24: Expecting numeric field: 'addr' is an IP address, not '\"10.0.0.1\"'"},
      {"allow connect: port == \"x\"", "p.evf:1:25: Expecting numeric field: 'port' is a number (unsigned short), not a string"},
      {"allow connect: port == 70000", "p.evf:1:24: Value out of range: 'port' holds 16-bit values (0 to 65535), not 70000"},
      {"allow connect: port == 10.0.0.1", "p.evf:1:24: Invalid value (did you forget quotes)?: '10.0.0.1' is an address; 'port' is a number"},
      {"allow connect: addr in {10.0.0.0/33}", "p.evf:1:34: Value out of range: the prefix length of 10.0.0.0/33 must be a number from 0 to 32"},
      {"allow connect: addr in {::/129}", "p.evf:1:28: Value out of range: the prefix length of ::/129 must be a number from 0 to 128"},
      {"allow connect: addr in {10.0.0.0/x}", "p.evf:1:34: Value out of range"},
      {"allow connect: addr in {10.0.0.1/8}", "p.evf:1:25: Invalid value (did you forget quotes)?: '10.0.0.1/8' has bits set past its prefix; the network is 10.0.0.0/8"},
      {"allow connect: addr == 10.0.0.0/8", "p.evf:1:24: Invalid value (did you forget quotes)?: '10.0.0.0/8' is a network; write addr in {10.0.0.0/8}"},
      {"allow connect: addr == 10.0.0.256", "p.evf:1:24: Invalid value (did you forget quotes)?: '10.0.0.256' is not an IPv4 or IPv6 address"},
      {"allow connect: addr == 1:2:3", "p.evf:1:24: Invalid value (did you forget quotes)?: '1:2:3' is not an IPv4 or IPv6 address"},
      {"allow connect: addr in {10.0.0.1..10.0.0.5}", "p.evf:1:25: Invalid set: addresses are not ranges"},
      {"allow connect: port in {80, ::1}", "p.evf:1:29: Invalid set: '::1' is an address; 'port' is a number"},
      {"allow connect: family == AF_NOPE", "p.evf:1:26: Unknown name: no constant, errno or syscall is called 'AF_NOPE'"},
      {"allow openat: addr == 10.0.0.1", "p.evf:1:20: Field not found: 'addr' is not a field of seccomp/openat"},
    };
    for (String[] c : cases) {
      FilterException e = assertThrows(FilterException.class, () -> PolicyBinder.bind("p.evf", c[0], FACTS), c[0]);
      assertTrue(e.getMessage().startsWith(c[1]), c[0] + " -> " + e.getMessage());
    }
  }

  @Test
  void strictFtraceRefusesAddressesAsTheKernelDoes() {
    FilterBinder strict = FilterBinder.syntaxOnly(Dialect.FTRACE, FACTS);
    FilterBinder syntax = FilterBinder.syntaxOnly(Dialect.FTRACE, FACTS);
    // The kernel reads the number 10 and then finds '.0.0.1' where an operator or the end is due.
    String[] refused = {"addr == 10.0.0.1", "addr == ::1", "addr == fe80::1", "x == 1 && addr in {10.0.0.0/8}"};
    for (String f : refused) {
      FilterException e = assertThrows(FilterException.class, () -> strict.bind("f", f), f);
      assertTrue(e.error().code().isKernel(), f + " -> " + e.getMessage());
    }
    assertEquals(
        assertThrows(FilterException.class, () -> syntax.bind("f", "addr == 10.5")).getMessage(),
        assertThrows(FilterException.class, () -> strict.bind("f", "addr == 10.0.0.1")).getMessage().replace("10.0.0.1", "10.5"));
    // The extension reads them whole.
    FilterBinder.syntaxOnly(Dialect.EVFILTER, FACTS).bind("f", "addr == 10.0.0.1 || addr in {::1, fe80::/10, ::ffff:10.0.0.0/104}");
  }

  @Test
  void socketTypeRulesIgnoreTheFlagsSocketTakesInItsTypeRegister() {
    BoundPolicy p = PolicyBinder.bind("p.evf", "default errno(EPERM)\nallow socket: family == AF_INET && type == SOCK_STREAM\n"
        + "allow socket: family == AF_INET6 && type in {SOCK_DGRAM}\n", FACTS);
    int nr = SyscallTable.of(Arch.X86_64).byName("socket").orElseThrow().nr();
    long nonblockCloexec = 2048 | 524288;
    PolicyEngine engine = PolicyEngine.compile(p, Arch.X86_64);
    CompiledFilter.Counter counter = new CompiledFilter.Counter();
    assertEquals("allow", engine.decide(new SeccompView().set(SyscallEvent.builder(Arch.X86_64, nr, 2, 1 | nonblockCloexec, 0).build(), 0), counter).toString());
    assertEquals("allow", engine.decide(new SeccompView().set(SyscallEvent.builder(Arch.X86_64, nr, 10, 2 | 2048, 0).build(), 0), counter).toString());
    assertEquals("errno(1)", engine.decide(new SeccompView().set(SyscallEvent.builder(Arch.X86_64, nr, 2, 2, 0).build(), 0), counter).toString());
    // Registers only: nothing a socket() rule reads is deferred.
    assertTrue(p.rules().stream().noneMatch(BoundPolicy.Rule::readsSocketFields));
  }

  @Test
  void networkLabelsFileLabelsNodesAndPorts(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("net.labels"), String.join("\n",
        "# network labels",
        "nodecon 10.0.0.0/8 system_u:object_r:intranet_t:s0",
        "nodecon 10.1.0.0/16 lab_t",
        "nodecon ::1/128 localhost_t",
        "nodecon 127.0.0.0/8 localhost_t",
        "portcon tcp 8000-8999 devel_port_t",
        "portcon tcp 8080 http_port_t",
        "portcon udp 53 dns_t",
        "portcon tcp 53 dns_t",
        "/srv(/.*)? srv_t",
        ""));
    Path policy = Files.writeString(dir.resolve("p.evf"), String.join("\n",
        "labels \"net.labels\"",
        "default errno(EACCES)",
        "allow connect: label & dns_t || port == 443",
        "allow connect: (label & intranet_t) && !(label & lab_t)",
        "allow connect: label & http_port_t && label & localhost_t",
        ""));
    BoundPolicy p = PolicyBinder.load(policy, FACTS);
    assertEquals(List.of("intranet_t", "lab_t", "localhost_t", "devel_port_t", "http_port_t", "dns_t", "srv_t"), p.labels());
    Object[][] cases = {
      {inet("9.9.9.9", 53, DGRAM), List.of("dns_t"), "allow"},
      {inet("9.9.9.9", 53, STREAM), List.of("dns_t"), "allow"},
      {inet("9.9.9.9", 443, STREAM), List.of(), "allow"},
      {inet("10.2.0.1", 22, STREAM), List.of("intranet_t"), "allow"},
      // The longest prefix labels the node, alone: a node has one label, as in SELinux.
      {inet("10.1.0.1", 22, STREAM), List.of("lab_t"), "errno(13)"},
      {inet("127.0.0.1", 8080, STREAM), List.of("localhost_t", "http_port_t"), "allow"},
      {inet("::1", 8080, STREAM), List.of("localhost_t", "http_port_t"), "allow"},
      {inet("::1", 8081, STREAM), List.of("localhost_t", "devel_port_t"), "errno(13)"},
      {inet("::1", 8080, DGRAM), List.of("localhost_t"), "errno(13)"},
    };
    for (Object[] c : cases) {
      Endpoint e = (Endpoint) c[0];
      assertEquals(c[1], p.labelNames(p.labelsOf(e, LabelResolver.none())), e.toString());
      assertEquals(c[2], decide(p, call("connect", e)), e + " " + c[1]);
    }
  }

  @Test
  void networkLabelErrorsNameTheFileLineAndColumn(@TempDir Path dir) throws Exception {
    String[][] cases = {
      {"nodecon 10.0.0.0/33 x_t", "net.labels:1:9: Invalid policy: the prefix length of 10.0.0.0/33 must be a number from 0 to 32"},
      {"nodecon 10.0.0.1/8 x_t", "net.labels:1:9: Invalid policy: '10.0.0.1/8' has bits set past its prefix"},
      {"nodecon intranet x_t", "net.labels:1:9: Invalid policy: 'intranet' is not an IPv4 or IPv6 network"},
      {"\nportcon icmp 1 x_t", "net.labels:2:9: Invalid policy: unknown protocol 'icmp' (tcp, udp, sctp, dccp)"},
      {"portcon tcp 9000-8000 x_t", "net.labels:1:13: Invalid policy: '9000-8000' is not a port or a range"},
      {"portcon tcp 70000 x_t", "net.labels:1:13: Invalid policy: '70000' is not a port"},
      {"portcon tcp 53 a:b", "net.labels:1:16: Invalid policy: expected a context"},
      {"  portcon tcp 53", "net.labels:1:3: Invalid policy: expected 'portcon PROTOCOL PORT[-PORT] CONTEXT'"},
    };
    Path policy = Files.writeString(dir.resolve("p.evf"), "labels \"net.labels\"\nallow connect\n");
    for (String[] c : cases) {
      Files.writeString(dir.resolve("net.labels"), c[0] + "\n");
      FilterException e = assertThrows(FilterException.class, () -> PolicyBinder.load(policy, FACTS), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
  }
}
