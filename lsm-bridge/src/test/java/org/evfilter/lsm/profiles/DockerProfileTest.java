package org.evfilter.lsm.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.compile.SeccompActions;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.PolicyAnalysis;
import org.evfilter.predicates.eval.PolicyEngine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Docker's default seccomp profile, imported for x86_64: the syscalls it allows are allowed. */
class DockerProfileTest {
  // Docker allows these; numbered only since Linux 6.2-6.8, a table without them denied them (EPERM
  // where a libc falling back on ENOSYS expects to go on).
  private static final List<String> NEWER_ALLOWED = List.of(
      "fchmodat2", "futex_wait", "futex_wake", "futex_requeue", "cachestat", "map_shadow_stack", "mseal", "listmount");

  @Test
  void newerSyscallsDockerAllowsAreAllowed() throws Exception {
    Path profile = dockerProfile();
    OciProfile.Imported imported = OciProfile.read(profile, Arch.X86_64, Set.of(), "6.18");
    SyscallTable table = SyscallTable.of(Arch.X86_64);
    for (String name : NEWER_ALLOWED) {
      assertTrue(!imported.unknownNames().contains(name), name + " left out: " + imported.unknownNames());
    }
    BpfProgram program = SeccompCompiler.compile(PolicyBinder.bind("docker.evf", imported.policy(), KernelFacts.of(2, Map.of())),
        SeccompCompiler.Options.defaults()).program();
    for (String name : NEWER_ALLOWED) {
      assertEquals("allow", decision(program, table.byName(name).orElseThrow().nr()), name);
    }
    // What Docker does not list still gets its default, EPERM.
    assertEquals("errno(1)", decision(program, table.byName("file_setattr").orElseThrow().nr()));
    assertEquals("errno(1)", decision(program, table.byName("lsm_set_self_attr").orElseThrow().nr()));
  }

  @Test
  void dockersDefaultProfileWithALabelRuleLeavesPtraceProcessVmWritevAndNameToHandleAtOpen() throws Exception {
    // Without capabilities Docker denies open_by_handle_at, mount & co., io_uring and userfaultfd,
    // and allows ptrace and process_vm_writev (kernel 4.8 and later) and name_to_handle_at.
    OciProfile.Imported imported = OciProfile.read(dockerProfile(), Arch.X86_64, Set.of(), "6.18");
    String policy = imported.policy() + "\nlabel secret_t\nerrno(EACCES) open, openat, openat2: label & secret_t\n";
    List<PolicyAnalysis.Finding> findings = PolicyAnalysis.analyse(PolicyEngine.compile(
        PolicyBinder.bind("docker.evf", policy, KernelFacts.of(2, Map.of())), Arch.X86_64));
    List<String> holes = findings.stream().filter(f -> f instanceof PolicyAnalysis.LabelHole)
        .map(f -> ((PolicyAnalysis.LabelHole) f).hole() + " " + ((PolicyAnalysis.LabelHole) f).syscalls()).sorted().toList();
    assertEquals(List.of("HANDLE_NAME [name_to_handle_at]", "OTHER_TASK [ptrace, process_vm_writev]"), holes);
    // Each at the imported rule that allows it, never at the default (EPERM).
    assertTrue(findings.stream().filter(f -> f instanceof PolicyAnalysis.LabelHole)
        .allMatch(f -> f.origin().startsWith("docker.evf:")), findings.toString());
  }

  private static String decision(BpfProgram program, int nr) {
    return SeccompActions.verdict(program.run(new SeccompData(nr, (int) Arch.X86_64.auditArch(), 0, new long[6])).value()).toString();
  }

  private static Path dockerProfile() {
    Optional<Path> found = ProfileRoundTripTest.sharedProfile("docker-default.json");
    if (found.isEmpty()) {
      System.err.println("\n*** SKIPPED: Docker's profile not imported: no shared/profiles/docker-default.json above "
          + Path.of("").toAbsolutePath() + " ***\n");
    }
    Assumptions.assumeTrue(found.isPresent(), "no shared/profiles/docker-default.json");
    return found.get();
  }
}
