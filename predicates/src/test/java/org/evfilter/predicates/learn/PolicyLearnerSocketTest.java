package org.evfilter.predicates.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.labels.LabelResolver;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.junit.jupiter.api.Test;

/** Learning from the calls that name a socket address: the endpoints seen, and nothing else, are allowed again. */
class PolicyLearnerSocketTest {
  private static SyscallEvent call(String syscall, Optional<Endpoint> e, long... args) {
    int nr = SyscallTable.of(Arch.X86_64).byName(syscall).orElseThrow().nr();
    SyscallEvent.Builder b = SyscallEvent.builder(Arch.X86_64, nr, args);
    e.ifPresent(b::endpoint);
    return b.build();
  }

  private static Optional<Endpoint> inet(String addr, int port) {
    return Optional.of(Endpoint.inet(IpAddress.parse(addr).orElseThrow(), port, 1, 6, addr.indexOf(':') >= 0));
  }

  private static Optional<Endpoint> unix(String path) {
    return Optional.of(Endpoint.unix(path, 1));
  }

  private static String learned(List<SyscallEvent> events) {
    PolicyLearner learner = new PolicyLearner(Arch.X86_64, List.of());
    events.forEach(e -> learner.add(e, -1));
    return learner.policy(List.of(), "", "errno(EPERM)");
  }

  private static String rules(String policy) {
    return String.join("\n", policy.lines().filter(l -> l.startsWith("allow") || l.startsWith("# ") && l.contains(":")
        && !l.startsWith("# Learned")).toList());
  }

  private static String decide(BoundPolicy p, SyscallEvent e) {
    return PolicyEngine.compile(p, Arch.X86_64).decide(new SeccompView().set(e, 0), new CompiledFilter.Counter()).toString();
  }

  @Test
  void connectAndBindAreLimitedToTheEndpointsTheyNamed() {
    List<SyscallEvent> seen = List.of(
        call("connect", inet("1.2.3.4", 443), 3),
        call("connect", inet("5.6.7.8", 443), 3),
        call("connect", inet("::1", 53), 3),
        call("connect", unix("/run/nscd/socket"), 3),
        call("connect", unix("/tmp/it's"), 3),
        call("bind", Optional.of(new Endpoint(Endpoint.AF_UNIX, 2, 0, Optional.empty(), 0, Optional.empty())), 3),
        call("bind", unix("@abstract"), 3),
        call("bind", Optional.of(new Endpoint(16, 3, 0, Optional.empty(), 0, Optional.empty())), 3));
    String policy = learned(seen);
    assertEquals(String.join("\n",
        "# connect: 5 calls; [::1]:53, 2 addresses on port 443, unix \"/run/nscd/socket\", unix \"/tmp/it's\"",
        "allow connect: ((port == 53 && addr == ::1) || (port == 443 && addr in {1.2.3.4, 5.6.7.8})"
            + " || path == \"/run/nscd/socket\" || path == \"/tmp/it's\")",
        "# bind: 3 calls; unix \"@abstract\", an unnamed unix address, family AF_NETLINK",
        "allow bind: (path == \"@abstract\" || (family == AF_UNIX && !(path ~ \"*\")) || family == AF_NETLINK)"), rules(policy));
    BoundPolicy p = PolicyBinder.bind("learned.evf", policy, KernelFacts.ofThisMachine());
    seen.forEach(e -> assertEquals("allow", decide(p, e), e.toString()));
    Object[][] outside = {
      {"connect", inet("1.2.3.5", 443)},
      {"connect", inet("1.2.3.4", 444)},
      {"connect", inet("::2", 53)},
      {"connect", unix("/run/nscd/socket2")},
      {"bind", unix("/run/x")},
      {"bind", Optional.of(new Endpoint(17, 3, 0, Optional.empty(), 0, Optional.empty()))},
      {"sendto", inet("1.2.3.4", 443)},
    };
    for (Object[] o : outside) {
      @SuppressWarnings("unchecked")
      SyscallEvent e = call((String) o[0], (Optional<Endpoint>) o[1], 3);
      assertEquals("errno(1)", decide(p, e), e.toString());
    }
  }

  @Test
  void aSendThatNamedNoAddressLeavesItsSyscallUnlimitedByAddressAndSaysWhy() {
    String policy = learned(List.of(
        call("sendto", inet("127.0.0.1", 53), 3, 0x1000, 1, 0, 0x2000, 16),
        call("sendto", Optional.empty(), 3, 0x1000, 1, 0, 0, 0),
        call("sendmsg", inet("127.0.0.1", 53), 3, 0x1000, 0)));
    assertEquals(String.join("\n",
        "# sendto: 2 calls; flags bits 0x0; 127.0.0.1:53, 1 call naming no address (its peer is not in the trace:"
            + " not limited by address)",
        "allow sendto: !(flags & 0xffffffff)",
        "# sendmsg: 1 call; flags bits 0x0; 127.0.0.1:53",
        "allow sendmsg: !(flags & 0xffffffff) && port == 53 && addr == 127.0.0.1"), rules(policy));
  }

  @Test
  void socketTypesAreLearnedWithoutTheirFlagsAsRulesCompareThem() {
    long nonblockCloexec = 04000 | 02000000;
    List<SyscallEvent> seen = List.of(call("socket", Optional.empty(), 2, 1 | nonblockCloexec, 6), call("socket", Optional.empty(), 10, 2, 0));
    String policy = learned(seen);
    assertEquals(String.join("\n",
        "# socket: 2 calls; family 2, 0xa; type 1, 2; protocol 0, 6",
        "allow socket: family in {2, 0xa} && type in {1, 2} && protocol in {0, 6}"), rules(policy));
    BoundPolicy p = PolicyBinder.bind("learned.evf", policy, KernelFacts.ofThisMachine());
    seen.forEach(e -> assertEquals("allow", decide(p, e), e.toString()));
  }
}
