package org.evfilter.lsm.supervise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;

/** The supervisor's pure parts: names it shows, paths it rewrites, the rules it adds to a program. */
class SupervisorTest {
  @Test
  void pathsAreShownWithoutTerminalControl() {
    assertEquals("/tmp/a\\x1b[2J\\x0ab\\x5c", Supervisor.printable("/tmp/a\u001b[2J\nb\\"));
    assertEquals("/etc/passwd", Supervisor.printable("/etc/passwd"));
  }

  @Test
  void procSelfIsTheTasks() {
    assertArrayEquals("/proc/42/status".getBytes(StandardCharsets.ISO_8859_1),
        ObjectPinner.selfless("/proc/self/status".getBytes(StandardCharsets.ISO_8859_1), 42, 43));
    assertArrayEquals("/proc/42/task/43/fd".getBytes(StandardCharsets.ISO_8859_1),
        ObjectPinner.selfless("/proc/thread-self/fd".getBytes(StandardCharsets.ISO_8859_1), 42, 43));
    byte[] other = "/proc/selfish".getBytes(StandardCharsets.ISO_8859_1);
    assertArrayEquals(other, ObjectPinner.selfless(other, 42, 43));
  }

  @Test
  void aSupervisedProgramSendsCredentialChangesToTheSupervisorAndAnUnsupervisedOneIsUnchanged() {
    BoundPolicy p = PolicyBinder.bind("p.evf", "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n",
        KernelFacts.ofThisMachine(), Arch.X86_64);
    assertEquals(p, Supervisor.programPolicy(p, false));
    BoundPolicy supervised = Supervisor.programPolicy(p, true);
    BoundPolicy.Rule added = supervised.rules().get(p.rules().size());
    assertEquals(ActionKind.USER_NOTIF, added.action().kind());
    SyscallTable t = SyscallTable.of(Arch.X86_64);
    for (String name : TaskCredentials.TRACKED) {
      assertTrue(added.syscalls().contains(t.byName(name).orElseThrow().nr()), name);
    }
    assertEquals(Optional.empty(), added.filter());
    assertEquals(p.rules(), supervised.rules().subList(0, p.rules().size()));
  }

  @Test
  void aPolicyWithLabelRulesSendsTheMovesAndXattrWritesItMayAllowToTheSupervisor() {
    SyscallTable t = SyscallTable.of(Arch.X86_64);
    BoundPolicy open = PolicyBinder.bind("p.evf", "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n",
        KernelFacts.ofThisMachine(), Arch.X86_64);
    BoundPolicy.Rule kept = Supervisor.programPolicy(open, true).rules().stream()
        .filter(r -> r.origin().equals(Supervisor.LABELS_KEPT)).findFirst().orElseThrow();
    assertEquals(ActionKind.USER_NOTIF, kept.action().kind());
    assertEquals(Optional.empty(), kept.filter());
    for (String name : Supervisor.RELABELLERS) {
      assertTrue(kept.syscalls().contains(t.byName(name).orElseThrow().nr()), name);
    }
    // Default deny, only linkat allowed: the others never reach the kernel, nor the supervisor.
    BoundPolicy closed = PolicyBinder.bind("p.evf", "label secret_t\ndefault errno(EPERM)\nallow openat: !(label & secret_t)\n"
        + "allow linkat\n", KernelFacts.ofThisMachine(), Arch.X86_64);
    BoundPolicy.Rule onlyLink = Supervisor.programPolicy(closed, true).rules().stream()
        .filter(r -> r.origin().equals(Supervisor.LABELS_KEPT)).findFirst().orElseThrow();
    assertEquals(java.util.Set.of(t.byName("linkat").orElseThrow().nr()), onlyLink.syscalls());
    // Without label rules, nothing is added for them.
    BoundPolicy unlabelled = PolicyBinder.bind("p.evf", "default allow\nerrno(EACCES) openat: filename == \"/x\"\n",
        KernelFacts.ofThisMachine(), Arch.X86_64);
    assertTrue(Supervisor.programPolicy(unlabelled, true).rules().stream().noneMatch(r -> r.origin().equals(Supervisor.LABELS_KEPT)));
  }
}
