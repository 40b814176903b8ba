package org.evfilter.predicates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.evfilter.events.vfs.VfsEvent;
import org.evfilter.grammar.ErrorCode;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.policy.ActionKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyBinderTest {
  static final KernelFacts FACTS = FilterBinderTest.FACTS;

  @Test
  void bindsRulesIncludesAndLabels(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("file_contexts"), String.join("\n",
        "# SELinux style",
        "/tmp(/.*)?        system_u:object_r:tmp_t:s0",
        "/home/[^/]+(/.*)? -d user_home_t",
        ""));
    Files.writeString(dir.resolve("base.evf"), "allow read, write, close\n");
    Files.writeString(dir.resolve("main.evf"), String.join("\n",
        "include \"base.evf\"",
        "labels \"file_contexts\"",
        "default errno(EACCES)",
        "errno(EPERM) openat: label & tmp_t && (flags & O_ACCMODE) != O_RDONLY",
        "kill_process ptrace, process_vm_writev",
        ""));
    BoundPolicy p = PolicyBinder.load(dir.resolve("main.evf"), FACTS);
    assertEquals(new BoundPolicy.Verdict(ActionKind.ERRNO, 13), p.defaultAction());
    assertEquals(List.of("tmp_t", "user_home_t"), p.labels());
    // One bound rule per syscall: read, write, close, openat, ptrace, process_vm_writev.
    assertEquals(6, p.rules().size());
    assertEquals(Set.of(0), p.rules().get(0).syscalls());
    assertEquals(Set.of(3), p.rules().get(2).syscalls());
    BoundPolicy.Rule openat = p.rules().get(3);
    assertEquals(new BoundPolicy.Verdict(ActionKind.ERRNO, 1), openat.action());
    BoundExpression.All all = (BoundExpression.All) openat.filter().orElseThrow();
    assertEquals(1L, ((Atom.Numeric) all.operands().get(0)).value());
    assertTrue(p.rules().get(5).origin().endsWith("main.evf:5:1"));
  }

  @Test
  void aFileIncludedTwiceIsReadOnce(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("d.evf"), "default errno(EPERM)\nallow read\n");
    Files.writeString(dir.resolve("b.evf"), "include \"d.evf\"\n");
    Files.writeString(dir.resolve("c.evf"), "include \"d.evf\"\n");
    Files.writeString(dir.resolve("a.evf"), "include \"b.evf\"\ninclude \"c.evf\"\ninclude \"d.evf\"\n");
    BoundPolicy p = PolicyBinder.load(dir.resolve("a.evf"), FACTS);
    assertEquals(1, p.rules().size());
  }

  @Test
  void labelsFilesAreChecked(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("fc"), "/tmp(/.*)? tmp_t\n/bin/.* <<none>>\n/etc/passwd root:x:0:0:root\n");
    Files.writeString(dir.resolve("p.evf"), "labels \"fc\"\nallow read\n");
    FilterException e = assertThrows(FilterException.class, () -> PolicyBinder.load(dir.resolve("p.evf"), FACTS));
    assertTrue(e.getMessage().endsWith("fc:3:13: Invalid policy: expected a context 'user:role:type[:level]' or a label name,"
        + " found 'root:x:0:0:root'"), e.getMessage());
    Files.writeString(dir.resolve("fc"), "/tmp(/.*? tmp_t\n");
    assertTrue(assertThrows(FilterException.class, () -> PolicyBinder.load(dir.resolve("p.evf"), FACTS))
        .getMessage().contains("bad regular expression"));
  }

  @Test
  void givenLabelsFilesDeclareTheirLabelsAsALabelsStatementDoes(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.fc"), "/a(/.*)? a_t\n/shared(/.*)? a_t\n");
    Files.writeString(dir.resolve("secret.fc"), "# given on the command line\n/secret(/.*)? system_u:object_r:secret_t:s0\n"
        + "/shared(/.*)? secret_t\n");
    String rules = "default allow\nerrno(EACCES) openat: label & secret_t\n";
    Path p = Files.writeString(dir.resolve("p.evf"), "labels \"a.fc\"\n" + rules);
    // The policy names secret_t, declared only by the given file; a.fc given again is read as a second statement would.
    BoundPolicy given = PolicyBinder.load(p, List.of(dir.resolve("secret.fc"), dir.resolve("a.fc")), FACTS);
    Path stated = Files.writeString(dir.resolve("stated.evf"), "labels \"a.fc\"\n" + rules + "labels \"secret.fc\"\nlabels \"a.fc\"\n");
    BoundPolicy written = PolicyBinder.load(stated, FACTS);
    assertEquals(List.of("a_t", "secret_t"), given.labels());
    assertEquals(written.labelBits(), given.labelBits());
    for (String path : List.of("/a/x", "/secret/x", "/shared/x", "/elsewhere")) {
      assertEquals(written.fileContexts().label(path, VfsEvent.FileType.REGULAR), given.fileContexts().label(path, VfsEvent.FileType.REGULAR), path);
    }
    // Read last, like file_contexts.local: the given file's entries win over the policy's.
    BoundPolicy one = PolicyBinder.load(p, List.of(dir.resolve("secret.fc")), FACTS);
    assertEquals(Optional.of("secret_t"), one.fileContexts().label("/shared/x", VfsEvent.FileType.REGULAR));

    Files.writeString(dir.resolve("bad.fc"), "/ok ok_t\n/etc/passwd root:x:0:0:root\n");
    FilterException e = assertThrows(FilterException.class, () -> PolicyBinder.load(p, List.of(dir.resolve("bad.fc")), FACTS));
    assertTrue(e.getMessage().endsWith("bad.fc:2:13: Invalid policy: expected a context 'user:role:type[:level]' or a label name,"
        + " found 'root:x:0:0:root'"), e.getMessage());
    assertThrows(NoSuchFileException.class, () -> PolicyBinder.load(p, List.of(dir.resolve("none.fc")), FACTS));
  }

  @Test
  void withoutADefaultThePolicyDenies() {
    assertEquals(PolicyBinder.DEFAULT_DENY, PolicyBinder.bind("p.evf", "allow read\n", FACTS).defaultAction());
  }

  @Test
  void errorsNameTheFileLineAndColumn(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("loop.evf"), "allow read\ninclude \"loop.evf\"\n");
    FilterException loop = assertThrows(FilterException.class, () -> PolicyBinder.load(dir.resolve("loop.evf"), FACTS));
    assertTrue(loop.getMessage().contains("loop.evf:2:1: Invalid policy: 'loop.evf' includes itself"), loop.getMessage());

    String[][] cases = {
      {"allow openat: flags ==", "p.evf:1:23: Invalid value (did you forget quotes)?"},
      {"allow openat: flgs == 1", "p.evf:1:20: Field not found"},
      {"errno(EPRM) read", "p.evf:1:7: Unknown name: no errno is called 'EPRM'; did you mean 'EPERM'?"},
      {"errno(5000) read", "p.evf:1:7: Value out of range"},
      {"allow read\ndefault allow\ndefault log", "p.evf:3:1: Invalid policy: a second 'default'"},
      {"allow openat: label & tmp_t", "p.evf:1:23: Unknown name: no label 'tmp_t' is declared"},
      {"allow read, openat: count == 1", "p.evf:1:27: Field not found: 'count' is not a field of seccomp/openat"},
      {"allow nosuchcall", "p.evf:1:7: Unknown name: no x86_64 syscall is called 'nosuchcall'"},
    };
    for (String[] c : cases) {
      FilterException e = assertThrows(FilterException.class, () -> PolicyBinder.bind("p.evf", c[0], FACTS), c[0]);
      assertTrue(e.getMessage().startsWith(c[1]), c[0] + " -> " + e.getMessage());
    }
    assertEquals(ErrorCode.POLICY, assertThrows(FilterException.class,
        () -> PolicyBinder.bind("p.evf", "include \"nope.evf\"", FACTS)).error().code());
  }
}
