package org.evfilter.lsm.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.plan.EnforcementPlan.Landlock;
import org.evfilter.lsm.plan.EnforcementPlan.Placement;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnforcementPlanTest {
  private static final SyscallTable T = SyscallTable.of(Arch.X86_64);
  private static final Kernel ABI7 = new Kernel(7, false, true, Arch.X86_64);
  private static final String CONTEXTS = """
      /srv/pub(/.*)?             pub_t
      /srv/work(/.*)?            work_t
      """;

  @TempDir
  Path dir;

  private BoundPolicy bind(String contexts, String policy, Arch arch) throws IOException {
    Files.writeString(dir.resolve("fc"), contexts);
    Path p = dir.resolve("p.evf");
    Files.writeString(p, "labels \"fc\"\n" + policy);
    return PolicyBinder.load(p, List.of(), KernelFacts.ofThisMachine(), arch);
  }

  private BoundPolicy bind(String policy) throws IOException {
    return bind(CONTEXTS, policy, Arch.X86_64);
  }

  private static EnforcementPlan plan(BoundPolicy p, Kernel k, Landlock landlock, boolean supervisorRules) throws IOException {
    return EnforcementPlan.of(p, k, new EnforcementPlan.Options(SeccompCompiler.Options.defaults(), landlock, supervisorRules));
  }

  private static EnforcementPlan planned(BoundPolicy p, Kernel k) throws IOException {
    return plan(p, k, Landlock.PLAN, true);
  }

  private static int nr(String name) {
    return T.byName(name).orElseThrow().nr();
  }

  private static <R extends Reason> R only(EnforcementPlan plan, Class<R> type) {
    List<R> found = plan.reasons().stream().filter(type::isInstance).map(type::cast).toList();
    assertEquals(1, found.size(), plan.reasons().toString());
    return found.get(0);
  }

  @Test
  void eachRuleAndSyscallIsPlacedWhereItIsDecided() throws IOException {
    BoundPolicy p = bind("""
        default errno(EACCES)
        allow read
        allow openat: label & work_t
        allow mkdir: label & work_t && mode == 0700
        allow fchmodat: label & work_t
        allow rename
        """);
    EnforcementPlan plan = planned(p, ABI7);
    assertEquals(Placement.BPF, plan.where(0, nr("read")));
    assertEquals(Placement.LANDLOCK, plan.where(1, nr("openat")));
    assertEquals(Placement.SUPERVISOR, plan.where(3, nr("fchmodat")));
    // An allowed move could relabel an object: the supervisor performs it, though BPF alone could allow it.
    assertTrue(plan.labelsKept().contains(nr("rename")));
    assertEquals(Placement.SUPERVISOR, plan.where(4, nr("rename")));
    assertEquals(Set.of(Placement.BPF), plan.where(0));
    assertEquals(Set.of(Placement.LANDLOCK), plan.where(1));
    assertTrue(plan.program().rules().size() > p.rules().size(), "the supervisor's own rules follow the policy's");
    assertEquals(new Reason.NotLowerable(nr("fchmodat"), "fchmodat"), only(plan, Reason.NotLowerable.class));
    Reason.NotExpressible mode = only(plan, Reason.NotExpressible.class);
    assertEquals("mkdir", mode.syscall());
    assertTrue(mode.text().startsWith("mkdir: ") && mode.text().contains("reads mode"), mode.text());
    assertTrue(plan.reasons().stream().noneMatch(r -> r instanceof Reason.OfKernel), plan.reasons().toString());
  }

  @Test
  void withoutLandlockTheProgramDecidesWhatItCanAndTheSupervisorTheRest() throws IOException {
    BoundPolicy p = bind("""
        default errno(EACCES)
        allow read
        allow openat: label & work_t
        """);
    EnforcementPlan off = plan(p, ABI7, Landlock.OFF, true);
    assertTrue(off.landlock().isEmpty());
    assertTrue(off.reasons().isEmpty());
    assertEquals(Placement.BPF, off.where(0, nr("read")));
    assertEquals(Placement.SUPERVISOR, off.where(1, nr("openat")));
    EnforcementPlan none = planned(p, ABI7.withLandlockAbi(0));
    assertEquals(List.of(Reason.Machine.LANDLOCK_MISSING), none.reasons());
    assertTrue(none.reasons().get(0) instanceof Reason.OfKernel);
    assertTrue(none.reasons().get(0).text().contains("not available"));
    assertEquals(Placement.SUPERVISOR, none.where(1, nr("openat")));
  }

  @Test
  void anOlderAbiSaysWhichRightItLacks() throws IOException {
    BoundPolicy p = bind("""
        default errno(EACCES)
        allow openat: label & work_t
        """);
    Reason.AbiLacksRight lacks = only(planned(p, ABI7.withLandlockAbi(2)), Reason.AbiLacksRight.class);
    assertEquals(2, lacks.abi());
    assertEquals("openat", lacks.syscall());
    assertTrue(lacks instanceof Reason.OfKernel);
    assertTrue(lacks.text().startsWith("openat: Landlock ABI 2 has no ") && lacks.text().contains("truncate"), lacks.text());
  }

  @Test
  void whatTheMachineOrThePolicyKeepsFromLandlockIsOneReason() throws IOException {
    BoundPolicy p = bind("""
        default errno(EACCES)
        allow openat: label & work_t
        """);
    assertEquals(List.of(Reason.Machine.SELINUX_ACTIVE), planned(p, new Kernel(7, true, true, Arch.X86_64)).reasons());
    BoundPolicy arm = bind(CONTEXTS, "default errno(EACCES)\nallow openat: label & work_t\n", Arch.AARCH64);
    assertEquals(List.of(new Reason.ArchNotSupported(Arch.AARCH64)), planned(arm, new Kernel(7, false, true, Arch.AARCH64)).reasons());
    // Sent to the supervisor (its own rules), an xattr write sets a label only where a rule reading
    // new_label allows it, and a move keeps the inodes in place; the policy's program alone lets them through.
    assertOnlyWithoutTheSupervisorsRules("allow setxattr", new Reason.LabelXattrsWritable("setxattr"));
    assertOnlyWithoutTheSupervisorsRules("allow renameat2", new Reason.MovesUnsupervised("renameat2"));
  }

  private void assertOnlyWithoutTheSupervisorsRules(String rule, Reason reason) throws IOException {
    BoundPolicy p = bind("default errno(EACCES)\n" + rule + "\nallow openat: label & work_t\n");
    assertTrue(planned(p, ABI7).landlock().orElseThrow().usesLandlock(), planned(p, ABI7).reasons().toString());
    assertEquals(List.of(reason), plan(p, ABI7, Landlock.PLAN, false).reasons());
  }

  @Test
  void whatTheLaunchFindsIsPlannedAroundUntilTheRulesetHolds() throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path file = Files.writeString(dir.resolve("file"), "x");
    Files.createLink(dir.resolve("other"), file);
    String contexts = dir + "/work(/.*)?   work_t\n" + file + "   file_t\n";
    BoundPolicy p = bind(contexts, """
        default errno(EACCES)
        allow openat: label & file_t && (flags & O_ACCMODE) == O_RDONLY
        allow mkdir: label & work_t
        """, Arch.X86_64);
    EnforcementPlan built = plan(p, ABI7, Landlock.BUILD, true);
    Reason.FoundAtLaunch links = only(built, Reason.FoundAtLaunch.class);
    assertEquals("openat", links.syscall());
    assertTrue(links.why().contains("2 hard links"), links.why());
    assertTrue(built.ruleset().isPresent(), built.reasons().toString());
    assertEquals(Set.of(nr("mkdir")), built.landlockDecides().orElseThrow().lowered().keySet());
    assertTrue(Files.isDirectory(work));
    EnforcementPlan once = plan(p, ABI7, Landlock.BUILD_ONCE, true);
    assertTrue(once.ruleset().isEmpty());
    assertFalse(once.landlockDecides().isPresent());
  }

  @Test
  void socketRulesReadingTheAddressAreTheSupervisorsAndSocketRegistersAreBpf() throws IOException {
    Files.writeString(dir.resolve("net"), "portcon udp 53 dns_t\n");
    BoundPolicy p = bind("labels \"net\"\ndefault allow\nerrno(EACCES) connect: !(label & dns_t) && port != 443\n"
        + "errno(EPERM) sendto: addr in {10.0.0.0/8}\nerrno(EPERM) socket: family == AF_INET6 && type == SOCK_RAW\n"
        + "errno(EPERM) bind: fd == 3\n");
    for (Landlock l : new Landlock[] {Landlock.OFF, Landlock.PLAN}) {
      EnforcementPlan plan = plan(p, ABI7, l, true);
      assertEquals(EnforcementPlan.Placement.SUPERVISOR, plan.where(0, nr("connect")));
      assertEquals(EnforcementPlan.Placement.SUPERVISOR, plan.where(1, nr("sendto")));
      assertEquals(EnforcementPlan.Placement.BPF, plan.where(2, nr("socket")));
      // A register of bind: no address read, no supervisor.
      assertEquals(EnforcementPlan.Placement.BPF, plan.where(3, nr("bind")));
      List<String> socketReasons = plan.reasons().stream().filter(r -> r instanceof Reason.SocketAddress)
          .map(r -> ((Reason.SocketAddress) r).syscall()).toList();
      assertEquals(List.of("connect", "sendto"), socketReasons, plan.reasons().toString());
      assertTrue(plan.reasons().stream().noneMatch(r -> r instanceof Reason.NotLowerable n && n.syscall().equals("connect")));
    }
  }
}
