package org.evfilter.lsm.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.Map;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.bpf.ActionCache;
import org.evfilter.lsm.bpf.BpfException;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;

class SeccompCompilerTest {
  private static final int X86_64 = (int) Arch.X86_64.auditArch();

  private static SeccompCompiler.Compilation compile(String policy, SeccompCompiler.Options o) {
    BoundPolicy p = PolicyBinder.bind("test.evf", policy, KernelFacts.of(2, Map.of()));
    return SeccompCompiler.compile(p, o);
  }

  private static SeccompCompiler.Compilation compile(String policy) {
    return compile(policy, SeccompCompiler.Options.defaults());
  }

  private static String run(BpfProgram p, int arch, int nr, long... args) {
    long[] a = java.util.Arrays.copyOf(args, 6);
    return SeccompActions.verdict(p.run(new SeccompData(nr, arch, 0, a)).value()).toString();
  }

  private static int nr(String name) {
    return SyscallTable.of(Arch.X86_64).byName(name).orElseThrow().nr();
  }

  @Test
  void aFourByteArgumentComparesItsLowWordOnly() {
    // Docker's AF_VSOCK rule: libseccomp compares 64 bits, so 0x100000028 passes as "not 40".
    BpfProgram p = compile("default errno(EPERM)\nallow socket: family < 40 || family > 40\n").program();
    assertEquals("errno(1)", run(p, X86_64, nr("socket"), 0x100000028L, 1, 0));
    assertEquals("errno(1)", run(p, X86_64, nr("socket"), 40, 1, 0));
    assertEquals("allow", run(p, X86_64, nr("socket"), 0x100000002L, 1, 0));
  }

  @Test
  void maskedFlagSetsCompareOnlyTheMaskedBits() {
    BpfProgram p = compile("default errno(EPERM)\nallow fcntl: (cmd & 0xffff) == 0 || (cmd & 0xffff) == 8 || (cmd & 0xffff) == 0x20"
        + " || (cmd & 0xffff) == 0x28 || (cmd & 0xffff) == 0x1f1f\n").program();
    int fcntl = nr("fcntl");
    assertEquals("allow", run(p, X86_64, fcntl, 3, 0x10001f1fL));
    assertEquals("allow", run(p, X86_64, fcntl, 3, 0x70000028L));
    assertEquals("errno(1)", run(p, X86_64, fcntl, 3, 0x10001f1eL));
  }

  @Test
  void aDeferredOperandDefersOnlyWhenTheRestCannotDecide() {
    int openat = nr("openat");
    BpfProgram any = compile("label tmp_t, etc_t\ndefault errno(EPERM)\nallow openat: label & tmp_t || label & etc_t || flags == 5\n").program();
    assertEquals("allow", run(any, X86_64, openat, -100, 0, 5));
    assertEquals("user_notif", run(any, X86_64, openat, -100, 0, 4));
    BpfProgram all = compile("label tmp_t, etc_t\ndefault errno(EPERM)\nallow openat: label & tmp_t && label & etc_t && flags == 5\n").program();
    assertEquals("errno(1)", run(all, X86_64, openat, -100, 0, 4));
    assertEquals("user_notif", run(all, X86_64, openat, -100, 0, 5));
  }

  @Test
  void anUndecidedRuleDefersOnlyWhereTheLaterRulesDecideOtherwise() {
    // errno(EPERM) if labelled tmp_t, allow flags == 1, default errno(EPERM): with flags 2 the answer is
    // EPERM whatever the label.
    BpfProgram p = compile("label tmp_t\ndefault errno(EPERM)\nerrno(EPERM) openat: label & tmp_t\nallow openat: flags == 1\n").program();
    int openat = nr("openat");
    assertEquals("errno(1)", run(p, X86_64, openat, -100, 0, 2));
    assertEquals("user_notif", run(p, X86_64, openat, -100, 0, 1));
  }

  @Test
  void bitTestsOfNumbersOnEverySyscallStayOneTest() {
    SeccompCompiler.Compilation c = compile("default errno(EPERM)\nallow : nr & 1\n");
    assertTrue(c.program().length() < 20, c.program().length() + " instructions");
    assertEquals("allow", run(c.program(), X86_64, 1));
    assertEquals("errno(1)", run(c.program(), X86_64, 2));
    assertEquals("allow", run(c.program(), X86_64, 0x7fff));
  }

  @Test
  void labelledRulesGrowLinearly() {
    StringBuilder policy = new StringBuilder("label tmp_t\ndefault errno(EPERM)\n");
    for (int i = 0; i < 40; i++) {
      policy.append("allow ioctl: cmd == ").append(i * 7).append(" && arg > ").append(i).append(" && label & tmp_t\n");
    }
    SeccompCompiler.Compilation c = compile(policy.toString());
    assertTrue(c.program().length() < 600, c.program().length() + " instructions");
    assertEquals("user_notif", run(c.program(), X86_64, nr("ioctl"), 3, 7, 100));
    assertEquals("errno(1)", run(c.program(), X86_64, nr("ioctl"), 3, 7, 0));
  }

  @Test
  void flagCombinationsAreOneBitTest() {
    // Docker's personality rules: every combination of two flags, and 0xffffffff (a query).
    BpfProgram p = compile("default errno(EPERM)\nallow personality: arg0 in {0, 8, 0x20000, 0x20008, 0xffffffff}\n").program();
    int personality = nr("personality");
    for (long v : new long[] {0, 8, 0x20000, 0x20008, 0xffffffffL}) {
      assertEquals("allow", run(p, X86_64, personality, v), Long.toHexString(v));
    }
    for (long v : new long[] {1, 9, 0x20001, 0x28, 0xfffffffeL, 0x40000, 0x1000000ffffffffL}) {
      assertEquals("errno(1)", run(p, X86_64, personality, v), Long.toHexString(v));
    }
    // Arch and number (3), tree (2), high word (2), then one load, one equality, one bit test, return.
    int executed = p.run(new SeccompData(personality, X86_64, 0, new long[] {8, 0, 0, 0, 0, 0})).executed();
    assertTrue(executed <= 3 + 2 + 2 + 4, executed + " instructions executed");
  }

  @Test
  void eightByteSignedComparisonsUseBothHalves() {
    BpfProgram p = compile("default errno(EPERM)\nallow lseek: offset >= -4096 && offset < 0x100000000\n").program();
    int lseek = nr("lseek");
    assertEquals("allow", run(p, X86_64, lseek, 3, -4096));
    assertEquals("errno(1)", run(p, X86_64, lseek, 3, -4097));
    assertEquals("allow", run(p, X86_64, lseek, 3, 0xffffffffL));
    assertEquals("errno(1)", run(p, X86_64, lseek, 3, 0x100000000L));
    assertEquals("errno(1)", run(p, X86_64, lseek, 3, Long.MIN_VALUE));
  }

  @Test
  void foreignArchesAndX32NumbersGetTheBadArchAction() {
    String policy = "default errno(EPERM)\nallow read, write\n";
    BpfProgram p = compile(policy).program();
    assertEquals("allow", run(p, X86_64, 0));
    assertEquals("kill_process", run(p, X86_64, 0x40000000));
    assertEquals("kill_process", run(p, (int) Arch.I386.auditArch(), 3));
    // -1 is what a tracer sets to skip a syscall, not an x32 number.
    assertEquals("errno(1)", run(p, X86_64, -1));
    assertEquals("kill_process", run(p, X86_64, -2));
    SeccompCompiler.Options trap = new SeccompCompiler.Options(Arch.X86_64, new BoundPolicy.Verdict(ActionKind.TRAP, 0),
        false, Map.of(), true);
    assertEquals("trap", run(compile(policy, trap).program(), (int) Arch.AARCH64.auditArch(), 0));
  }

  @Test
  void unknownNumbersCanAnswerEnosys() {
    String policy = "default errno(EPERM)\nallow read\n";
    int beyond = SyscallTable.of(Arch.X86_64).maxNumber() + 1;
    assertEquals("errno(1)", run(compile(policy).program(), X86_64, beyond));
    BpfProgram p = compile(policy, SeccompCompiler.Options.defaults().withEnosysForUnknown(true)).program();
    assertEquals("errno(38)", run(p, X86_64, beyond));
    assertEquals("errno(38)", run(p, X86_64, 0x3fffffff));
    assertEquals("errno(1)", run(p, X86_64, nr("write")));
  }

  @Test
  void labelsDeferToUserSpaceOnlyWhereTheyDecide() {
    SeccompCompiler.Compilation c = compile(
        "label tmp_t\ndefault errno(EPERM)\nallow openat: flags & O_CREAT && label & tmp_t\nallow read\n");
    assertEquals(1, c.stats().deferredRules());
    int openat = nr("openat");
    assertEquals("user_notif", run(c.program(), X86_64, openat, -100, 0, 0x41));
    assertEquals("errno(1)", run(c.program(), X86_64, openat, -100, 0, 0));
    assertEquals("allow", run(c.program(), X86_64, 0));
  }

  @Test
  void unconditionalAllowsStayCacheable() {
    SeccompCompiler.Compilation c = compile("default errno(EPERM)\nallow read, write, close\nallow openat: flags == 0\n");
    BitSet cached = ActionCache.allowed(c.program(), X86_64, 400);
    assertEquals(BitSet.valueOf(new long[] {0b1011}), cached);
    assertEquals(3, c.stats().cacheable());
  }

  @Test
  void frequentSyscallsGetShorterPaths() {
    StringBuilder policy = new StringBuilder("default errno(EPERM)\n");
    for (String s : new String[] {"read", "open", "stat", "poll", "mmap", "brk", "ioctl", "pread64", "access", "pipe",
        "dup", "pause", "getpid", "socket", "bind", "listen", "fork", "kill", "uname", "fcntl", "flock", "fsync", "getdents"}) {
      policy.append("allow ").append(s).append('\n');
    }
    int getpid = nr("getpid");
    SeccompData call = new SeccompData(getpid, X86_64, 0, new long[6]);
    int plain = compile(policy.toString()).program().run(call).executed();
    SeccompCompiler.Compilation hot = compile(policy.toString(),
        SeccompCompiler.Options.defaults().withFrequencies(Map.of(getpid, 1000L)));
    int weighted = hot.program().run(call).executed();
    assertTrue(weighted < plain, weighted + " vs " + plain);
    assertTrue(hot.stats().treeDepth() <= ProgramWriter.ceilLog2(hot.stats().ranges()) + 1, hot.stats().toString());
  }

  @Test
  void aPolicyTooLargeForTheKernelIsRefusedWithItsCause() {
    StringBuilder policy = new StringBuilder("default errno(EPERM)\n");
    for (int i = 0; i < 1000; i++) {
      policy.append("allow ioctl: cmd == ").append(i * 7).append(" && arg > ").append(i).append(" && fd != ").append(i).append('\n');
    }
    BpfException e = assertThrows(BpfException.class, () -> compile(policy.toString()));
    assertTrue(e.getMessage().contains("more than the kernel's 4096"), e.getMessage());
  }

  @Test
  void optimisingRemovesLoadsAndDuplicateReturns() {
    SeccompCompiler.Compilation c = compile("default errno(EPERM)\nallow read: fd == 0 || fd == 1 || fd == 2\n");
    assertTrue(c.program().length() < c.unoptimised().size(), c.program().length() + " vs " + c.unoptimised().size());
    long loads = c.program().instructions().stream().filter(i -> i.code() == 0x20 && i.k() == 16).count();
    assertEquals(1, loads);
    assertFalse(c.defers());
  }
}
