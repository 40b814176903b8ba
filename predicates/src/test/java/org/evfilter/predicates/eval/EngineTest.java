package org.evfilter.predicates.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EngineTest {
  static final KernelFacts FACTS = KernelFacts.of(2, Map.of());
  static final EventSchema OPENAT = SchemaCatalog.bundled().find("syscalls/sys_enter_openat").orElseThrow();

  static boolean matches(String filter, SyscallEvent e) {
    CompiledFilter f = CompiledFilter.compile(
        FilterBinder.forEvent(OPENAT, Dialect.EVFILTER, FACTS).bind("<t>", filter).expression().orElseThrow(), SeccompView.LAYOUT);
    return f.matches(new SeccompView().set(e, 0), new CompiledFilter.Counter());
  }

  static SyscallEvent openat(long dfd, String path, long flags) {
    return SyscallEvent.builder(Arch.X86_64, 257, dfd, 0x1000, flags, 0644).pid(42).strings(Map.of(1, path)).build();
  }

  @ParameterizedTest(name = "{0} on flags={1}")
  @CsvSource(delimiterString = " => ", value = {
    "flags & 0x40 => 0x41 => true", "flags & 0x42 => 0x41 => true", "flags & 0x40 => 0x1 => false",
    "flags == 0x241 => 0x241 => true", "flags != 0x241 => 0x241 => false",
    "flags < 2 => 0xffffffffffffffff => false", "flags > 2 => 0xffffffffffffffff => true",
    "(flags & O_ACCMODE) == O_WRONLY => 0x241 => true", "(flags & O_ACCMODE) == O_RDONLY => 0x241 => false",
    "flags in {1, 0x200..0x300} => 0x241 => true", "flags in {1, 2} => 0x241 => false",
    "!(flags & O_CREAT) => 0x241 => false", "flags & O_CREAT && !(flags & O_EXCL) => 0x241 => true"})
  void kernelSemanticsOnNumbers(String filter, String flags, boolean expected) {
    assertEquals(expected, matches(filter, openat(-100, "/x", Long.parseUnsignedLong(flags.replace("0x", ""), 16))));
  }

  @Test
  void signedAndNarrowFieldsCompareAtTheirWidth() {
    // __syscall_nr is a signed int in tracefs: -1 < 0.
    SyscallEvent e = SyscallEvent.builder(Arch.X86_64, -1).build();
    assertTrue(matches("__syscall_nr < 0", e));
    assertFalse(matches("__syscall_nr > 0", e));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource(delimiterString = " => ", value = {
    "filename ~ \"/etc/*\" => /etc/passwd => true", "filename ~ \"*passwd\" => /etc/passwd => true",
    "filename ~ \"*tc/pa*\" => /etc/passwd => true", "filename ~ \"/e?c/[op]asswd\" => /etc/passwd => true",
    "filename ~ \"/e?c/[!p]asswd\" => /etc/passwd => false", "filename ~ \"!*shadow*\" => /etc/passwd => true",
    "filename == \"/etc/passwd\" => /etc/passwd => true", "filename != \"/etc/passwd\" => /etc/passwd => false",
    "filename == \"*\" => /etc/passwd => false", "filename ~ \"*\" => /etc/passwd => true"})
  void kernelGlobs(String filter, String path, boolean expected) {
    assertEquals(expected, matches(filter, openat(-100, path, 0)));
  }

  @Test
  void anUnreadStringNeverMatchesEvenNegated() {
    SyscallEvent noPath = SyscallEvent.builder(Arch.X86_64, 257, -100, 0x1000, 0).build();
    assertFalse(matches("filename == \"/x\"", noPath));
    assertFalse(matches("filename != \"/x\"", noPath));
  }

  @Test
  void shortCircuitAndCounting() {
    BoundPolicy p = PolicyBinder.bind("p.evf", "allow openat: flags & 1 && flags & 2 && flags & 4\n", FACTS);
    PolicyEngine engine = PolicyEngine.compile(p, Arch.X86_64);
    CompiledFilter.Counter c = new CompiledFilter.Counter();
    SeccompView v = new SeccompView();
    engine.decide(v.set(openat(-100, "/x", 0), 0), c);
    assertEquals(1, c.predicates, "stops at the first false conjunct");
    engine.decide(v.set(openat(-100, "/x", 7), 0), c);
    assertEquals(4, c.predicates);
    assertEquals(2, c.events);
  }

  @Test
  void mostRestrictiveWinsWhateverTheOrder() {
    String rules = String.join("\n", "default errno(EPERM)", "allow openat", "log openat: flags & O_CREAT",
        "errno(EACCES) openat: flags & O_CREAT && flags & O_EXCL", "kill_process openat: filename ~ \"/etc/shadow\"", "");
    java.util.List<String> reversed = new java.util.ArrayList<>(java.util.List.of(rules.split("\n")));
    java.util.Collections.reverse(reversed);
    for (String text : new String[] {rules, String.join("\n", reversed)}) {
      PolicyEngine engine = PolicyEngine.compile(PolicyBinder.bind("p.evf", text, FACTS), Arch.X86_64);
      CompiledFilter.Counter c = new CompiledFilter.Counter();
      SeccompView v = new SeccompView();
      assertEquals(ActionKind.ALLOW, engine.decide(v.set(openat(-100, "/x", 0), 0), c).kind());
      assertEquals(ActionKind.LOG, engine.decide(v.set(openat(-100, "/x", 0x40), 0), c).kind());
      assertEquals(new BoundPolicy.Verdict(ActionKind.ERRNO, 13), engine.decide(v.set(openat(-100, "/x", 0xc0), 0), c));
      assertEquals(ActionKind.KILL_PROCESS, engine.decide(v.set(openat(-100, "/etc/shadow", 0xc0), 0), c).kind());
      assertEquals(new BoundPolicy.Verdict(ActionKind.ERRNO, 1), engine.decide(v.set(SyscallEvent.builder(Arch.X86_64, 0).build(), 0), c));
    }
  }

  @Test
  void foreignAbisGetTheBadArchAction() {
    PolicyEngine engine = PolicyEngine.compile(PolicyBinder.bind("p.evf", "default allow\n", FACTS), Arch.X86_64);
    CompiledFilter.Counter c = new CompiledFilter.Counter();
    SeccompView v = new SeccompView();
    assertEquals(ActionKind.ALLOW, engine.decide(v.set(SyscallEvent.builder(Arch.X86_64, 5).build(), 0), c).kind());
    assertEquals(PolicyEngine.BAD_ARCH, engine.decide(v.set(SyscallEvent.builder(Arch.I386, 5).build(), 0), c));
    assertEquals(PolicyEngine.BAD_ARCH, engine.decide(v.set(SyscallEvent.builder(Arch.X32, 0x40000000 | 5).build(), 0), c));
  }

  @Test
  void stacksOnlyTighten() {
    PolicyEngine open = PolicyEngine.compile(PolicyBinder.bind("a.evf", "default allow\n", FACTS), Arch.X86_64);
    PolicyEngine strict = PolicyEngine.compile(PolicyBinder.bind("b.evf", "default allow\nerrno(EPERM) openat\n", FACTS), Arch.X86_64);
    PolicyStack stack = PolicyStack.of(strict).push(open);
    CompiledFilter.Counter c = new CompiledFilter.Counter();
    assertEquals(ActionKind.ERRNO, stack.decide(new SeccompView().set(openat(-100, "/x", 0), 0), c).kind());
    assertEquals(1, c.events);
  }

  @Test
  void theCacheServesHitsAndNeverAStaleDecision() {
    PolicyEngine allow = PolicyEngine.compile(PolicyBinder.bind("p.evf", "default errno(EPERM)\nallow openat: flags & O_CREAT\n", FACTS), Arch.X86_64);
    DecisionCache cache = new DecisionCache(allow, 100);
    CompiledFilter.Counter c = new CompiledFilter.Counter();
    SeccompView v = new SeccompView();
    assertEquals(ActionKind.ALLOW, cache.decide(v.set(openat(-100, "/a", 0x40), 0), c).kind());
    assertEquals(ActionKind.ALLOW, cache.decide(v.set(openat(-100, "/b", 0x40), 0), c).kind());
    assertEquals(ActionKind.ERRNO, cache.decide(v.set(openat(-100, "/a", 0), 0), c).kind());
    // The projection is flags (and nr, arch): the path does not split the key.
    assertEquals(new AvcStats(3, 1, 2, 0), cache.stats());
    PolicyEngine deny = PolicyEngine.compile(PolicyBinder.bind("p.evf", "default errno(EPERM)\n", FACTS), Arch.X86_64);
    cache.load(deny);
    assertEquals(1, cache.sequence());
    assertEquals(ActionKind.ERRNO, cache.decide(v.set(openat(-100, "/a", 0x40), 0), c).kind());
    AvcStats before = cache.stats();
    cache.decide(v.set(openat(-100, "/a", 0x40), 0), c);
    assertEquals(new AvcStats(1, 1, 0, 0), cache.stats().minus(before));
    assertThrows(IllegalArgumentException.class, () -> new DecisionCache(allow, 0));
  }

  @Test
  void labelsFromXattrWinOverFileContexts(@TempDir Path dir) throws Exception {
    Path fc = dir.resolve("fc");
    Files.writeString(fc, String.join("\n",
        dir + "(/.*)?  tmp_t",
        dir + "/secret/.* shadow_t",
        dir + "/secret/keep  etc_t",
        ""));
    Files.writeString(dir.resolve("p.evf"), "labels \"fc\"\nallow openat: label & tmp_t\n");
    BoundPolicy p = PolicyBinder.load(dir.resolve("p.evf"), FACTS);
    var resolver = p.labelResolver(100);
    long tmp = p.labelBits().get("tmp_t");
    long shadow = p.labelBits().get("shadow_t");
    long etc = p.labelBits().get("etc_t");
    assertEquals(tmp, resolver.byPath(dir + "/a", org.evfilter.events.vfs.VfsEvent.FileType.UNKNOWN));
    assertEquals(shadow, resolver.byPath(dir + "/secret/x", org.evfilter.events.vfs.VfsEvent.FileType.UNKNOWN));
    assertEquals(etc, resolver.byPath(dir + "/secret/keep", org.evfilter.events.vfs.VfsEvent.FileType.UNKNOWN), "a literal path wins");
    Path labelled = Files.writeString(dir.resolve("labelled"), "x");
    assertEquals(tmp, resolver.labels(labelled.toString()));
    var view = Files.getFileAttributeView(labelled, java.nio.file.attribute.UserDefinedFileAttributeView.class);
    try {
      view.write("evfilter.label", java.nio.ByteBuffer.wrap("system_u:object_r:shadow_t:s0".getBytes()));
    } catch (java.io.IOException | UnsupportedOperationException noXattrs) {
      org.junit.jupiter.api.Assumptions.abort("no user xattrs on " + dir + ": " + noXattrs);
    }
    // Writing the xattr changed ctime, so the cached label of the old inode state is not used.
    assertEquals(shadow, resolver.labels(labelled.toString()));
    Path renamed = Files.move(labelled, dir.resolve("secret-renamed"));
    assertEquals(shadow, resolver.labels(renamed.toString()), "the label moves with the inode");
  }

  @Test
  void aPathRuleOnOneSyscallOfAFamilyNamesTheSiblingsLeftOpen() {
    BoundPolicy p = org.evfilter.predicates.PolicyBinder.bind("family.evf",
        "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\nerrno(EPERM) open\n",
        org.evfilter.predicates.KernelFacts.of(2, java.util.Map.of()));
    java.util.List<String> bypasses = PolicyAnalysis.analyse(PolicyEngine.compile(p, Arch.X86_64)).stream()
        .filter(f -> f.kind() == PolicyAnalysis.Kind.BYPASS).map(f -> ((PolicyAnalysis.Remark) f).message()).toList();
    assertTrue(bypasses.contains("creat is allowed without the label or path rules openat has: it reaches the same objects"), bypasses.toString());
    assertTrue(bypasses.stream().noneMatch(m -> m.startsWith("open is")), bypasses.toString());
  }
}
