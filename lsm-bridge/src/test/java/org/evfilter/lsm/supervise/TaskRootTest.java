package org.evfilter.lsm.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Errno;
import org.evfilter.events.syscalls.FileFlags;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task in a root of its own (a container at /rootfs on the made-up file system): its paths are
 * looked up in its root and working directory, labelled by file_contexts as the paths it sees,
 * and the supervisor's file of the same name is never reached.
 */
class TaskRootTest {
  private static final SyscallTable X86 = SyscallTable.of(Arch.X86_64);
  private static final int ME = (int) ProcessHandle.current().pid();
  private static final long PATH = 0x1000;
  private static final long PATH2 = 0x2000;

  @TempDir Path work;
  private final FakeSupervisorNatives natives = new FakeSupervisorNatives().file("/etc/secret").file("/etc/public")
      .file("/rootfs/etc/secret").file("/rootfs/etc/public").file("/rootfs/work/notes")
      .link("/proc/" + ME + "/root", "/rootfs").link("/proc/" + ME + "/cwd", "/rootfs/work")
      .symlink("/rootfs/etc/link", "/etc/secret");
  private final List<String> denials = new ArrayList<>();
  private final RecordingChannel channel = new RecordingChannel(fd -> natives.open.get(fd));
  private final List<String> answers = channel.answers;

  // /etc/secret is secret_t by its path in the container; the rule refuses opening it.
  private Supervisor supervisor(boolean inTaskRoot) throws IOException {
    Path contexts = Files.writeString(work.resolve("contexts"), "/etc/secret  secret_t\n/work(/.*)?  work_t\n");
    BoundPolicy p = PolicyBinder.bind(work.resolve("p.evf").toString(), "labels \"" + contexts + "\"\ndefault allow\n"
        + "errno(EACCES) openat: label & secret_t\nerrno(EPERM) renameat: label & work_t\n", KernelFacts.ofThisMachine(), Arch.X86_64);
    Supervisor s = new Supervisor(p, p.labelResolver(64), AuditLog.none(), 64, natives, new TaskCredentials()).reportDenials(denials::add);
    return inTaskRoot ? s.inTaskRoot() : s;
  }

  private void open(Supervisor s, String path) {
    natives.string(PATH, path);
    s.handle(channel, new SeccompListener.Notification(1, ME, X86.byName("openat").orElseThrow().nr(), (int) Arch.X86_64.auditArch(),
        0, new long[] {FileFlags.AT_FDCWD, PATH, FileFlags.O_RDONLY, 0, 0, 0}));
  }

  private boolean hostFileReached() {
    return natives.calls.stream().anyMatch(c -> c.equals("pin /etc/secret") || c.equals("pin /etc/public"));
  }

  @Test
  void anAbsolutePathIsTheContainersFileLabelledByItsPathThere() throws IOException {
    Supervisor s = supervisor(true);
    open(s, "/etc/secret");
    assertEquals(List.of("errno " + Errno.EACCES), answers);
    assertTrue(denials.get(0).startsWith("denied openat /etc/secret (secret_t): "), denials.toString());
    assertTrue(natives.calls.contains("pin /rootfs/etc/secret"), natives.calls.toString());
    open(s, "/etc/public");
    assertEquals("addfd /rootfs/etc/public", answers.get(1));
    assertFalse(hostFileReached(), natives.calls.toString());
    assertTrue(natives.open.isEmpty(), "nothing left open: " + natives.open);
  }

  @Test
  void anAbsoluteSymlinkInTheContainerLeadsToTheContainersFile() throws IOException {
    open(supervisor(true), "/etc/link");
    assertEquals(List.of("errno " + Errno.EACCES), answers);
    assertTrue(natives.calls.contains("pin /rootfs/etc/secret"), natives.calls.toString());
    assertFalse(hostFileReached(), natives.calls.toString());
  }

  @Test
  void dotDotAboveTheRootStaysAtTheRoot() throws IOException {
    Supervisor s = supervisor(true);
    open(s, "../../../../etc/secret");
    assertEquals(List.of("errno " + Errno.EACCES), answers);
    open(s, "../../../etc/public");
    assertEquals("addfd /rootfs/etc/public", answers.get(1));
    assertFalse(hostFileReached(), natives.calls.toString());
  }

  @Test
  void aRelativePathIsInTheTasksWorkingDirectoryInItsRoot() throws IOException {
    open(supervisor(true), "notes");
    assertEquals(List.of("addfd /rootfs/work/notes"), answers);
    assertTrue(natives.calls.contains("pin /rootfs/work/notes"), natives.calls.toString());
  }

  @Test
  void aMoveIsDecidedWithTheLabelsOfTheContainersPaths() throws IOException {
    natives.string(PATH, "/work/notes").string(PATH2, "/work/moved");
    supervisor(true).handle(channel, new SeccompListener.Notification(1, ME, X86.byName("rename").orElseThrow().nr(),
        (int) Arch.X86_64.auditArch(), 0, new long[] {PATH, PATH2, 0, 0, 0, 0}));
    // rename is not renameat: allowed, and made in the container's /work, never the supervisor's.
    assertEquals(List.of("return 0"), answers);
    assertTrue(natives.calls.contains("renameat2 notes moved"), natives.calls.toString());
    assertTrue(natives.calls.contains("pin /rootfs/work/notes"), natives.calls.toString());
  }

  @Test
  void withoutItTheSupervisorsRootIsTheTasks() throws IOException {
    open(supervisor(false), "/etc/public");
    assertEquals(List.of("addfd /etc/public"), answers);
  }

  @Test
  void aTaskRootTurnsTheSupervisorsPathsIntoTheTasks() {
    TaskRoot chroot = new TaskRoot("/var/lib/c1/rootfs");
    assertEquals("/etc/secret", chroot.view("/var/lib/c1/rootfs/etc/secret"));
    assertEquals("/", chroot.view("/var/lib/c1/rootfs"));
    assertEquals("/var/lib/c1/rootfs2/x", chroot.view("/var/lib/c1/rootfs2/x"), "outside the root: unchanged");
    assertFalse(chroot.holds("/var/lib/c1/rootfs2"));
    assertEquals("/etc/secret", TaskRoot.HOST.view("/etc/secret"));
  }
}
