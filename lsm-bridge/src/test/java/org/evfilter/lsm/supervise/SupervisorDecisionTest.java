package org.evfilter.lsm.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.LastErrorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Errno;
import org.evfilter.events.syscalls.FileFlags;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.labels.LabelResolver;
import org.junit.jupiter.api.Test;

/** The supervisor's decisions and error paths against a fake kernel: no root, no seccomp, no task. */
class SupervisorDecisionTest {
  private static final SyscallTable X86 = SyscallTable.of(Arch.X86_64);
  private static final int ME = (int) ProcessHandle.current().pid();
  private static final long PATH = 0x1000;
  private static final long PATH2 = 0x2000;

  private final FakeSupervisorNatives natives = new FakeSupervisorNatives().file("/public").file("/secret");
  private final List<String> denials = new ArrayList<>();
  private final RecordingChannel channel = new RecordingChannel(null);
  private final List<String> answers = channel.answers;

  private Supervisor supervisor(String policy) {
    BoundPolicy p = PolicyBinder.bind("p.evf", policy, KernelFacts.ofThisMachine(), Arch.X86_64);
    return new Supervisor(p, LabelResolver.none(), AuditLog.none(), 64, natives, new TaskCredentials()).reportDenials(denials::add);
  }

  private static SeccompListener.Notification call(String name, long... args) {
    long[] six = java.util.Arrays.copyOf(args, 6);
    return new SeccompListener.Notification(1, ME, X86.byName(name).orElseThrow().nr(), (int) Arch.X86_64.auditArch(), 0, six);
  }

  private static final String FILTER = "default allow\nerrno(EACCES) openat: filename == \"/secret\"\n";

  @Test
  void anAllowedOpenIsPerformedOnThePinnedObjectAndItsDescriptorInjected() {
    natives.string(PATH, "/public");
    supervisor(FILTER).handle(channel, call("openat", FileFlags.AT_FDCWD, PATH, FileFlags.O_RDONLY));
    assertEquals(List.of("addfd"), answers);
    assertTrue(natives.calls.contains("openat /proc/self/fd/10"), natives.calls.toString());
    assertTrue(denials.isEmpty());
  }

  @Test
  void aDeniedOpenFailsWithTheRulesErrnoAndSaysWhy() {
    natives.string(PATH, "/secret");
    supervisor(FILTER).handle(channel, call("openat", FileFlags.AT_FDCWD, PATH, FileFlags.O_RDONLY));
    assertEquals(List.of("errno " + Errno.EACCES), answers);
    assertTrue(denials.get(0).startsWith("denied openat /secret: "), denials.toString());
    assertTrue(natives.calls.stream().noneMatch(c -> c.startsWith("openat /proc/self/fd")), natives.calls.toString());
  }

  @Test
  void anUnreadablePathIsRefusedWithEfault() {
    supervisor(FILTER).handle(channel, call("openat", FileFlags.AT_FDCWD, PATH, 0));
    assertEquals(List.of("errno " + Errno.EFAULT), answers);
  }

  @Test
  void aTaskGoneBeforeTheCheckGetsNoAnswer() {
    natives.string(PATH, "/public");
    channel.pending = false;
    supervisor(FILTER).handle(channel, call("openat", FileFlags.AT_FDCWD, PATH, 0));
    assertEquals(List.of(), answers);
    assertTrue(natives.open.isEmpty(), "nothing left open: " + natives.open);
  }

  @Test
  void aFailedInjectionFailsTheCallWithItsErrnoAndClosesEverything() {
    natives.string(PATH, "/public");
    channel.injectFails = new LastErrorException(24);
    Supervisor s = supervisor(FILTER);
    s.handle(channel, call("openat", FileFlags.AT_FDCWD, PATH, 0));
    assertEquals(List.of("errno 24"), answers);
    assertTrue(natives.open.isEmpty(), "nothing left open: " + natives.open);
    assertEquals(1, s.summary().allowed());
  }

  @Test
  void anAbsentFileIsNotOpenedWithoutOCreat() {
    natives.string(PATH, "/absent");
    supervisor(FILTER).handle(channel, call("openat", FileFlags.AT_FDCWD, PATH, 0));
    assertEquals(List.of("errno " + Errno.ENOENT), answers);
  }

  @Test
  void aSyscallTheSupervisorDoesNotDecideIsRefused() {
    supervisor(FILTER).handle(channel, call("getpid"));
    assertEquals(List.of("errno " + Errno.EPERM), answers);
    assertTrue(denials.get(0).contains("not a path or socket syscall"), denials.toString());
  }

  @Test
  void anExecAllowedByADeferredRuleIsStillDenied() {
    natives.string(PATH, "/public");
    supervisor(FILTER).handle(channel, call("execve", PATH, 0, 0));
    assertEquals(List.of("errno " + Errno.EACCES), answers);
    assertTrue(denials.get(0).contains("exec cannot be performed"), denials.toString());
  }

  @Test
  void aMoveOfAnAnchoredInodeIsRefusedWithExdev() {
    natives.string(PATH, "/public").string(PATH2, "/moved");
    Supervisor s = supervisor(FILTER).keepInPlace(Set.of(List.of(1L, (long) natives.files.get("/public"))));
    s.handle(channel, call("rename", PATH, PATH2));
    assertEquals(List.of("errno " + Errno.EXDEV), answers);
    assertTrue(natives.calls.stream().noneMatch(c -> c.startsWith("renameat2")), natives.calls.toString());
  }

  @Test
  void anAllowedMoveIsMadeBetweenThePinnedParents() {
    natives.string(PATH, "/public").string(PATH2, "/moved");
    supervisor(FILTER).handle(channel, call("rename", PATH, PATH2));
    assertEquals(List.of("return 0"), answers);
    assertTrue(natives.calls.contains("renameat2 public moved"), natives.calls.toString());
  }

  @Test
  void theRulesErrnoPassesThroughForAnyNumber() {
    natives.string(PATH, "/public");
    supervisor("default allow\nerrno(ENOSPC) mkdir\n").handle(channel, call("mkdir", PATH, 0755));
    assertEquals(List.of("errno " + 28), answers);
    assertFalse(natives.calls.stream().anyMatch(c -> c.startsWith("mkdirat")));
  }

  @Test
  void anOpenat2WithAModeButNoCreateIsInvalid() {
    assertTrue(Supervisor.invalid(new TaskArguments.OpenHow(0, 0644, 0)));
    assertTrue(Supervisor.invalid(new TaskArguments.OpenHow(1L << 32, 0, 0)));
    assertFalse(Supervisor.invalid(new TaskArguments.OpenHow(FileFlags.O_CREAT, 0644, 0)));
  }

  @Test
  void symlinksAreFollowedAsTheKernelFollowsThem() {
    assertTrue(Supervisor.follows(PathSyscall.Kind.OPEN, 0));
    assertFalse(Supervisor.follows(PathSyscall.Kind.OPEN, FileFlags.O_NOFOLLOW));
    assertFalse(Supervisor.follows(PathSyscall.Kind.LINK, 0));
    assertTrue(Supervisor.follows(PathSyscall.Kind.LINK, FileFlags.AT_SYMLINK_FOLLOW));
    assertTrue(Supervisor.follows(PathSyscall.Kind.CHOWN, 0));
    assertFalse(Supervisor.follows(PathSyscall.Kind.CHOWN, FileFlags.AT_SYMLINK_NOFOLLOW));
    assertTrue(Supervisor.follows(PathSyscall.Kind.CHMOD, FileFlags.AT_SYMLINK_NOFOLLOW));
    assertFalse(Supervisor.follows(PathSyscall.Kind.LCHOWN, 0));
    assertFalse(Supervisor.follows(PathSyscall.Kind.RENAME, 0));
  }
}
