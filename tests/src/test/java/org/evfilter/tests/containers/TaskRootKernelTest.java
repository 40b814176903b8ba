package org.evfilter.tests.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.Sandbox;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.tests.kernel.KernelAccess;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A supervisor that resolves paths in the task's root, on the real kernel without a container
 * runtime: a command chroots into a busybox root file system (in a mount and pid namespace of its
 * own for /proc) and opens files there. The container's /etc/secret is labelled by the container
 * path's rule and refused; files of the same name on the host are never reached; an absolute
 * symlink and ".." above the root stay inside; /proc/self is the task's in its pid namespace, and
 * the supervisor's own /proc entry is refused in another mount of /proc.
 */
@Tag("kernel")
class TaskRootKernelTest {
  private static final long SUPERVISOR_PID = ProcessHandle.current().pid();
  @TempDir Path work;
  private Path root;
  private final List<String> denials = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void rootFileSystem() throws Exception {
    KernelAccess.assumeAvailable("resolving paths in a task's root");
    root = RootFileSystem.make(work.resolve("rootfs"), RootFileSystem.busybox("resolving paths in a task's root"));
    Files.writeString(root.resolve("etc/secret"), "container secret\n");
    Files.writeString(root.resolve("etc/public"), "container public\n");
    Files.createSymbolicLink(root.resolve("etc/link"), Path.of("/etc/secret"));
    Files.createSymbolicLink(root.resolve("etc/publink"), Path.of("/etc/public"));
  }

  // What the command printed, its stdout and stderr together, supervised in its root.
  private String run(String... argv) throws Exception {
    Path contexts = Files.writeString(work.resolve("contexts"), "/etc/secret  secret_t\n");
    BoundPolicy policy = PolicyBinder.bind(work.resolve("p.evf").toString(), "labels \"" + contexts + "\"\ndefault allow\n"
        + "errno(EACCES) open, openat: label & secret_t\n", KernelFacts.ofThisMachine(), Arch.X86_64);
    SeccompCompiler.Compilation c = SeccompCompiler.compile(Supervisor.programPolicy(policy, true),
        SeccompCompiler.Options.defaults().withRefusedListeners(true));
    Path out = work.resolve("out");
    List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"));
    command.addAll(List.of(argv));
    try (Sandbox sandbox = Sandbox.start(c.program(), true, Optional.empty(), command, out)) {
      Throwable[] failed = {null};
      Thread t = new Thread(() -> {
        try {
          new Supervisor(policy, policy.labelResolver(1024, LinuxXattrs.reader()), AuditLog.none(), 1024)
              .inTaskRoot().reportDenials(denials::add).serve(sandbox.listener().orElseThrow());
        } catch (RuntimeException | Error e) {
          failed[0] = e;
          ProcessHandle.of(sandbox.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
      }, "task-root-supervisor");
      t.start();
      int status = sandbox.waitFor();
      t.join(10_000);
      if (failed[0] != null) {
        throw new AssertionError("the supervisor failed", failed[0]);
      }
      String printed = Files.readString(out);
      System.out.println("$ " + String.join(" ", argv) + "\n" + printed + "(status " + status + ")");
      return printed;
    }
  }

  @Test
  void theContainersFilesAreLabelledByTheirPathsThereAndTheHostsAreNeverReached() throws Exception {
    String out = run("/usr/sbin/chroot", root.toString(), "/bin/sh", "-c",
        "cat /etc/public; cat /etc/secret; cat /etc/link; cat /etc/publink; cd /etc && cat ../../../../etc/public && cat secret;"
            + " cat /etc/hostname; echo done");
    List<String> lines = out.lines().toList();
    assertEquals("container public", lines.get(0), out);
    assertTrue(lines.get(1).contains("/etc/secret") && lines.get(1).contains("Permission denied"), out);
    assertTrue(lines.get(2).contains("/etc/link") && lines.get(2).contains("Permission denied"), "an absolute symlink stays inside: " + out);
    assertEquals("container public", lines.get(3), "an absolute symlink stays inside: " + out);
    assertEquals("container public", lines.get(4), ".. above the root stays at the root: " + out);
    assertTrue(lines.get(5).contains("secret") && lines.get(5).contains("Permission denied"), "relative to the cwd in the root: " + out);
    assertTrue(lines.get(6).contains("No such file"), "the host's /etc/hostname is not the container's: " + out);
    assertEquals("done", lines.get(7), out);
    assertFalse(out.contains("container secret"), out);
    assertTrue(denials.stream().anyMatch(d -> d.startsWith("denied openat /etc/secret (secret_t)")), denials.toString());
    assertTrue(denials.stream().noneMatch(d -> d.contains(root.toString())), "reported by the container's paths: " + denials);
  }

  @Test
  void procSelfIsTheTasksInItsOwnPidNamespace() throws Exception {
    String out = run("/usr/bin/unshare", "--mount", "--pid", "--fork", "--mount-proc=" + root.resolve("proc"), "/usr/sbin/chroot",
        root.toString(), "/bin/sh", "-c", "cat /proc/self/status; echo done");
    assertTrue(out.contains("Name:\tcat"), "/proc/self of cat, as its pid namespace numbers it: " + out);
    assertTrue(out.lines().anyMatch(l -> l.startsWith("NSpid:") && l.trim().split("\\s+").length == 2), out);
    assertTrue(out.contains("done"), out);
  }

  @Test
  void theSupervisorsOwnProcEntryIsRefusedInAnotherMountOfProc() throws Exception {
    String out = run("/usr/bin/unshare", "--mount", "/bin/sh", "-c", "mount -t proc proc '" + root.resolve("proc") + "' && exec"
        + " /usr/sbin/chroot '" + root + "' /bin/sh -c 'cat /proc/" + SUPERVISOR_PID + "/status; cat /proc/self/status; echo done'");
    List<String> lines = out.lines().toList();
    assertTrue(lines.get(0).contains("/proc/" + SUPERVISOR_PID + "/status") && lines.get(0).contains("Permission denied"), out);
    assertTrue(out.contains("Name:\tcat"), out);
    assertTrue(out.contains("done"), out);
  }
}
