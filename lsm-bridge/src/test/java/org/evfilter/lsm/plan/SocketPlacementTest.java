package org.evfilter.lsm.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.bpf.SeccompReturn;
import org.evfilter.lsm.cgroup.SocketHooks;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.plan.EnforcementPlan.Landlock;
import org.evfilter.lsm.plan.EnforcementPlan.Placement;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;

/** Where socket rules go when cgroup socket hooks are there: the plan, its reasons and the seccomp program. */
class SocketPlacementTest {
  private static final SyscallTable T = SyscallTable.of(Arch.X86_64);
  private static final Kernel HOOKS = new Kernel(7, false, true, EnumSet.allOf(SocketHooks.Group.class), Arch.X86_64);
  private static final String TCP = "(family == AF_INET || family == AF_INET6) && type == SOCK_STREAM && protocol == IPPROTO_TCP";

  private static EnforcementPlan plan(String policy, Kernel k) throws IOException {
    BoundPolicy p = PolicyBinder.bind("p.evf", policy, KernelFacts.of(2, Map.of()));
    return EnforcementPlan.of(p, k, new EnforcementPlan.Options(SeccompCompiler.Options.defaults(), Landlock.OFF, true, true));
  }

  private static int nr(String name) {
    return T.byName(name).orElseThrow().nr();
  }

  private static int action(EnforcementPlan plan, String syscall) {
    long[] args = new long[6];
    int arch = (int) Arch.X86_64.auditArch();
    return plan.compilation().program().run(new SeccompData(nr(syscall), arch, 0, args)).value() & SeccompReturn.ACTION;
  }

  @Test
  void aRuleTheHooksCanDecideIsTheirsAndSeccompLetsItsSyscallThrough() throws IOException {
    EnforcementPlan plan = plan("default allow\nerrno(ECONNREFUSED) connect: " + TCP + " && !(addr in {127.0.0.0/8})\n", HOOKS);
    assertEquals(Placement.CGROUP_EBPF, plan.where(0, nr("connect")));
    assertEquals(Set.of(nr("connect")), plan.sockets().decidedSyscalls());
    assertEquals(2, plan.sockets().programs().size());
    assertEquals(SeccompReturn.ALLOW, action(plan, "connect"));
    // clone3 could start a child outside the leaf.
    assertEquals(SeccompReturn.ERRNO, action(plan, "clone3"));
    assertTrue(plan.reasons().isEmpty(), plan.reasons().toString());
  }

  @Test
  void withoutTheHooksTheSupervisorDecidesAndSaysWhy() throws IOException {
    String policy = "default allow\nerrno(ECONNREFUSED) connect: " + TCP + " && port == 80\n";
    EnforcementPlan noHooks = plan(policy, new Kernel(7, false, true, Set.of(), Arch.X86_64));
    assertEquals(Placement.SUPERVISOR, noHooks.where(0, nr("connect")));
    assertEquals(SeccompReturn.USER_NOTIF, action(noHooks, "connect"));
    assertEquals(1, noHooks.reasons().stream().filter(r -> r instanceof Reason.HookMissing).count(), noHooks.reasons().toString());
    EnforcementPlan noCgroup = plan(policy, new Kernel(7, false, false, Arch.X86_64));
    assertTrue(noCgroup.reasons().contains(new Reason.NoCgroupV2()), noCgroup.reasons().toString());
  }

  @Test
  void whatKeepsASyscallWithTheSupervisorIsNamed() throws IOException {
    List<String[]> table = List.of(
        new String[] {"errno(EPERM) connect: addr in {10.0.0.0/8}", "calls on IP stream sockets other than TCP"},
        new String[] {"errno(EPERM) connect: !(addr in {10.0.0.0/8})", "calls on sockets of other families"},
        new String[] {"errno(EPERM) connect: " + TCP + " && fd == 3", "reads fd, which a cgroup socket hook does not see"},
        new String[] {"kill_process connect: " + TCP + " && port == 80", "kill_process cannot be taken at a cgroup hook"},
        new String[] {"errno(EPERM) sendto: (family == AF_INET || family == AF_INET6) && type == SOCK_DGRAM && protocol == IPPROTO_UDP"
            + " && port == 53", "sendto and sendmsg have different rules"},
        new String[] {"errno(EPERM) sendto, sendmsg: (family == AF_INET || family == AF_INET6) && type == SOCK_DGRAM"
            + " && protocol == IPPROTO_UDP && port == 53", "sends without an address on connected UDP sockets"});
    for (String[] row : table) {
      EnforcementPlan plan = plan("default allow\n" + row[0] + "\n", HOOKS);
      String why = plan.reasons().stream().filter(r -> r instanceof Reason.NotAtHook).map(Reason::text).findFirst().orElse("none");
      assertTrue(why.contains(row[1]), row[0] + ": " + why);
      assertEquals(Placement.SUPERVISOR, plan.where(0, T.byName(row[0].contains("connect") ? "connect" : "sendto").orElseThrow().nr()));
    }
  }

  @Test
  void underADefaultRefusalTheOtherFamiliesNeedARule() throws IOException {
    String rule = "allow connect: " + TCP + " && port == 443\n";
    assertEquals(Placement.SUPERVISOR, plan("default errno(EPERM)\n" + rule, HOOKS).where(0, nr("connect")));
    EnforcementPlan handed = plan("default errno(EPERM)\n" + rule + "allow connect: family != AF_INET && family != AF_INET6\n"
        + "allow connect: (family == AF_INET || family == AF_INET6) && !(" + TCP.substring(TCP.indexOf("type")) + ")"
        + " && !(type == SOCK_DGRAM && protocol == IPPROTO_UDP)\n", HOOKS);
    assertEquals(Placement.CGROUP_EBPF, handed.where(0, nr("connect")), handed.reasons().toString());
  }
}
