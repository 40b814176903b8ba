package org.evfilter.lsm.landlock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.plan.Reason;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LandlockLoweringTest {
  private static final SyscallTable T = SyscallTable.of(Arch.X86_64);
  private static final String CONTEXTS = """
      /srv/pub(/.*)?             pub_t
      /srv/work(/.*)?            work_t
      /srv/pub/inner(/.*)?       work_t
      /etc/ld\\.so\\.cache       etc_t
      """;

  @TempDir
  Path dir;

  private BoundPolicy bind(String contexts, String policy) throws IOException {
    Files.writeString(dir.resolve("fc"), contexts);
    Path p = dir.resolve("p.evf");
    Files.writeString(p, "labels \"fc\"\n" + policy);
    return PolicyBinder.load(p, KernelFacts.ofThisMachine());
  }

  private static LandlockPlan plan(BoundPolicy p, int abi) {
    return LandlockLowering.plan(p, SeccompCompiler.Options.defaults(), abi);
  }

  private static List<String> texts(LandlockPlan plan) {
    return plan.fallbacks().stream().map(Reason::text).toList();
  }

  private static Set<String> lowered(LandlockPlan plan) {
    return plan.lowered().keySet().stream().map(nr -> T.byNumber(nr).orElseThrow().name()).collect(Collectors.toSet());
  }

  private static long grant(BoundPolicy p, LandlockPlan plan, String label) {
    return plan.grants().getOrDefault(p.labelBits().get(label), 0L);
  }

  @Test
  void directoryRulesAreLoweredWithTheRightsTheirFlagsNeed() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        default errno(EACCES)
        allow openat: (label & pub_t || label & etc_t) && (flags & O_ACCMODE) == O_RDONLY
        allow openat, mkdir, unlinkat: label & work_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertEquals(Set.of("openat", "mkdir", "unlinkat"), lowered(plan), texts(plan).toString());
    long read = FsAccess.READ_FILE.bit() | FsAccess.READ_DIR.bit();
    // O_RDONLY|O_TRUNC satisfies the rule: the policy lets it truncate (O_CREAT stays with the supervisor).
    assertEquals(read | FsAccess.TRUNCATE.bit(), grant(p, plan, "pub_t"));
    assertEquals(read | FsAccess.TRUNCATE.bit(), grant(p, plan, "etc_t"));
    long work = grant(p, plan, "work_t");
    assertTrue((work & FsAccess.WRITE_FILE.bit()) != 0 && (work & FsAccess.MAKE_DIR.bit()) != 0
        && (work & FsAccess.REMOVE_DIR.bit()) != 0 && (work & FsAccess.REMOVE_FILE.bit()) != 0);
    assertTrue(plan.compilation().notifies(), "O_PATH, O_TMPFILE and O_CREAT opens still go to the supervisor");
    assertEquals(0, work & FsAccess.MAKE_REG.bit());
    assertTrue(plan.notes().stream().noneMatch(n -> n.contains("EACCES, not")), plan.notes().toString());
  }

  @Test
  void aDenialInsideAnAllowedTreeStaysWithTheSupervisor() throws IOException {
    BoundPolicy p = bind(CONTEXTS + "/srv/work/secret   secret_t\n", """
        default errno(EACCES)
        allow openat: label & work_t
        allow mkdir: label & work_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertEquals(Set.of(), lowered(plan));
    assertTrue(texts(plan).stream().anyMatch(f -> f.startsWith("openat: ") && f.contains("/srv/work/secret")), texts(plan).toString());
  }

  @Test
  void labelsOnlyXattrsGiveStayWithTheSupervisorAndTheRestIsLowered() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        label keep_t
        default errno(EACCES)
        allow openat: label & work_t
        errno(EPERM) unlinkat: label & keep_t
        allow unlinkat: label & work_t
        allow mkdir: label & work_t || label & keep_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertEquals(Set.of("openat"), lowered(plan));
    assertTrue(texts(plan).stream().anyMatch(f -> f.startsWith("mkdir: ") && f.contains("keep_t")), texts(plan).toString());
    // An object its xattr labels "work_t keep_t" is opened as its path's work_t says; one labelled
    // keep_t alone is not: found at launch, that makes openat the supervisor's.
    long work = p.labelBits().get("work_t");
    long keep = p.labelBits().get("keep_t");
    assertEquals(Set.of(), LandlockLowering.deciding(p, plan, work | keep, work));
    assertEquals(plan.lowered().keySet(), LandlockLowering.deciding(p, plan, keep, work));
    assertTrue(texts(plan).stream().anyMatch(f -> f.startsWith("unlinkat: ") && f.contains("keep_t")), texts(plan).toString());
    List<LandlockPlan.Placement> pl = plan.placements();
    assertEquals(Set.of(LandlockPlan.Where.LANDLOCK), pl.get(0).where());
    assertEquals(Set.of(LandlockPlan.Where.SUPERVISOR), pl.get(1).where());
  }

  @Test
  void anArgumentLandlockCannotSeeOrAnActionItCannotTakeKeepsTheSupervisor() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        default errno(EACCES)
        allow openat: label & work_t && mode == 0600
        kill_process mkdir: label & pub_t
        allow mkdir: label & work_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertEquals(Set.of(), lowered(plan));
    assertTrue(texts(plan).stream().anyMatch(f -> f.startsWith("openat: ") && f.contains("mode")), texts(plan).toString());
    assertTrue(texts(plan).stream().anyMatch(f -> f.startsWith("mkdir: ") && f.contains("kill")), texts(plan).toString());
  }

  @Test
  void withoutLandlockOrWithoutTheRightNothingIsLoweredAndItSaysWhy() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        default errno(EACCES)
        allow openat: label & work_t
        """);
    LandlockPlan none = plan(p, 0);
    assertFalse(none.usesLandlock());
    assertTrue(texts(none).get(0).contains("not available"));
    LandlockPlan two = plan(p, 2); // no TRUNCATE before ABI 3
    assertFalse(two.usesLandlock());
    assertTrue(texts(two).stream().anyMatch(f -> f.contains("truncate")), texts(two).toString());
  }

  @Test
  void otherErrnosAndStricterChecksAreSaid() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        default errno(EPERM)
        allow execve
        allow rename: label & work_t
        allow openat: label & work_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertEquals(Set.of("openat"), lowered(plan));
    assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("openat: ") && n.contains("errno(1)")), plan.notes().toString());
    assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("execve: ") && n.contains("read-file")), plan.notes().toString());
    assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("rename: ") && n.contains("EXDEV")), plan.notes().toString());
  }

  @Test
  void renamesOrLinksTheProgramLetsThroughUncheckedRefuseTheLowering() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        default errno(EPERM)
        allow renameat2
        allow openat: label & work_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertFalse(plan.usesLandlock());
    assertTrue(texts(plan).get(0).contains("renameat2"), texts(plan).toString());
    // A rule that reads labels but may hold on its arguments alone is allowed in BPF when they do.
    BoundPolicy either = bind(CONTEXTS, """
        default errno(EPERM)
        allow renameat2: (flags & 1) || label & work_t
        allow openat: label & work_t
        """);
    LandlockPlan eitherPlan = plan(either, 7);
    assertFalse(eitherPlan.usesLandlock());
    assertTrue(texts(eitherPlan).get(0).contains("renameat2"), texts(eitherPlan).toString());
    // One that reads labels alone always reaches the supervisor: Landlock may decide the opens.
    BoundPolicy labelsOnly = bind(CONTEXTS, """
        default errno(EPERM)
        allow renameat2: label & work_t
        allow openat: label & work_t
        """);
    assertTrue(plan(labelsOnly, 7).usesLandlock(), texts(plan(labelsOnly, 7)).toString());
  }

  @Test
  void anUnlabelledObjectThePolicyAllowsIsNoTreeLandlockCanGrant() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        default errno(EPERM)
        allow openat: (flags & O_ACCMODE) == O_RDONLY
        allow openat: label & work_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertFalse(plan.usesLandlock());
    assertTrue(texts(plan).stream().anyMatch(f -> f.contains("unlabelled object")), texts(plan).toString());
  }

  @Test
  void xattrWritersRefuseTheLowering() throws IOException {
    BoundPolicy p = bind(CONTEXTS, """
        default errno(EACCES)
        allow setxattr
        allow openat: label & work_t
        """);
    LandlockPlan plan = plan(p, 7);
    assertFalse(plan.usesLandlock());
    assertTrue(texts(plan).get(0).contains("setxattr"));
  }

  @Test
  void treesParseAndOverlapConservatively() {
    FileTree home = FileTree.parse("/home/[^/]+(/.*)?").orElseThrow();
    assertTrue(home.subtree());
    assertEquals(List.of("home", "[^/]+"), home.components());
    assertTrue(FileTree.parse("/lib(64)?(/.*)?").isPresent());
    assertFalse(FileTree.parse("/usr/.*bin").isPresent());
    assertFalse(FileTree.parse("/var/[a-z/]+").isPresent());
    assertFalse(FileTree.parse("/a|/b").isPresent());
    FileTree etc = FileTree.parse("/etc(/.*)?").orElseThrow();
    assertTrue(etc.mayOverlap(FileTree.parse("/etc/shadow").orElseThrow()));
    assertFalse(etc.mayOverlap(FileTree.parse("/usr(/.*)?").orElseThrow()));
    assertTrue(home.mayOverlap(FileTree.parse("/home/alice/\\.ssh(/.*)?").orElseThrow()));
    assertFalse(FileTree.parse("/srv/work").orElseThrow().mayOverlap(FileTree.parse("/srv/work/x").orElseThrow()));
    assertTrue(etc.mayOverlap("/etc/.*\\.conf"));
    assertFalse(etc.mayOverlap("/usr/.*"));
    // A quantifier makes the character before it optional; an alternative at the top starts anywhere.
    FileTree ab = FileTree.parse("/srv/ab(/.*)?").orElseThrow();
    assertTrue(ab.mayOverlap("/srv/ax?b/.*\\.key"));
    assertTrue(ab.mayOverlap("/srv/zzz|/srv/ab/.*\\.key"));
    // Components that could match a slash are no tree.
    assertFalse(FileTree.parse("/x/a\\/b(/.*)?").isPresent());
    assertFalse(FileTree.parse("/x/[^/&&x](/.*)?").isPresent());
  }

  @Test
  void aTreeReachableThroughAnotherMountIsSaid() {
    List<String> plain = List.of("22 1 254:0 / / rw - ext4 /dev/vda rw", "25 22 0:25 / /tmp rw - tmpfs tmpfs rw");
    assertTrue(LandlockRuleset.mountedElsewhere(Path.of("/srv/work"), plain).isEmpty());
    assertTrue(LandlockRuleset.mountedElsewhere(Path.of("/tmp/work"), plain).isEmpty());
    List<String> bound = List.of("22 1 254:0 / / rw - ext4 /dev/vda rw", "30 22 254:0 /srv /mnt/srv rw - ext4 /dev/vda rw");
    assertTrue(LandlockRuleset.mountedElsewhere(Path.of("/srv/work"), bound).orElseThrow().contains("/mnt/srv"));
    List<String> inside = List.of("22 1 254:0 / / rw - ext4 /dev/vda rw", "31 22 254:0 /srv/work/sub /mnt/x rw - ext4 /dev/vda rw");
    assertTrue(LandlockRuleset.mountedElsewhere(Path.of("/srv/work"), inside).isPresent());
    List<String> elsewhere = List.of("22 1 254:0 / / rw - ext4 /dev/vda rw", "31 22 254:0 /home /mnt/h rw - ext4 /dev/vda rw");
    assertTrue(LandlockRuleset.mountedElsewhere(Path.of("/srv/work"), elsewhere).isEmpty());
  }
}
