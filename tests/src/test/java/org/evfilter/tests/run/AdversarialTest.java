package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a confined program might try, on the real kernel, each outcome asserted: io_uring, ptrace
 * and process_vm_writev under a policy that does not allow them; signals while its opens are
 * supervised; `..`, symlinks, hard links and renames towards a secret file, labelled by xattr and
 * by path. (i386 through int 0x80, x32 numbers, numbers beyond the table, -1, high bits on 32-bit
 * arguments and signed/unsigned boundaries are probed against the kernel by KernelCompilerTest.)
 */
@Tag("kernel")
class AdversarialTest {
  private static final Path BASE = Path.of("../samples/policies/valid/base.evf").toAbsolutePath().normalize();
  private static Path adversary;
  @TempDir Path work;

  @BeforeAll
  static void build() throws Exception {
    CPrograms.needUserNotification("adversarial programs");
    adversary = CPrograms.build("adversary", true);
  }

  private ChildJvm.Result run(String... args) throws Exception {
    return ChildJvm.evfilter(work, List.of(), args);
  }

  @Test
  void ioUringPtraceAndProcessVmWritevAreDeniedByDefault() throws Exception {
    Path p = Files.writeString(work.resolve("deny.evf"), "include \"" + BASE + "\"\ndefault errno(EPERM)\nallow execve, clone, kill, wait4\n");
    ChildJvm.Result r = run("run", "--policy", p.toString(), "--", adversary.toString(), "forbidden");
    assertEquals(0, r.code(), r.err());
    assertEquals("io_uring_setup errno=1\nptrace errno=1\nprocess_vm_writev errno=1\n", r.out());
  }

  @Test
  void signalsDuringSupervisedOpensNeverYieldAWrongDescriptorOrStopTheSupervisor() throws Exception {
    Path file = Files.writeString(work.resolve("file"), "the right content\n");
    Path p = Files.writeString(work.resolve("sup.evf"), "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    ChildJvm.Result r = run("run", "--policy", p.toString(), "--", adversary.toString(), "signals", file.toString(), "5000");
    assertEquals(0, r.code(), r.err());
    Matcher m = Pattern.compile("ok=(\\d+) eintr=(\\d+) other=(\\d+) wrong=(\\d+)").matcher(r.out());
    assertTrue(m.find(), r.out());
    assertEquals(5000, Long.parseLong(m.group(1)) + Long.parseLong(m.group(2)), r.out());
    assertEquals("0", m.group(3), "opens failed otherwise than EINTR: " + r.out());
    assertEquals("0", m.group(4), "a descriptor of something else: " + r.out());
    assertTrue(Long.parseLong(m.group(1)) > 0, r.out());
    assertTrue(r.err().contains("supervised syscalls") && r.err().contains(" 0 denied"), r.err());
  }

  private Path trickDir() throws Exception {
    Path dir = Files.createDirectories(work.resolve("trick/pub")).getParent();
    Files.writeString(dir.resolve("secret"), "secret\n");
    Files.writeString(dir.resolve("pub/open.txt"), "open\n");
    return dir;
  }

  @Test
  void dotDotSymlinksHardLinksAndRenamesNeverReachAnXattrLabelledSecret() throws Exception {
    Path dir = trickDir();
    assertEquals(0, new ProcessBuilder("setfattr", "-n", "user.evfilter.label", "-v", "secret_t", dir.resolve("secret").toString())
        .start().waitFor());
    Path p = Files.writeString(work.resolve("x.evf"), "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    ChildJvm.Result r = run("run", "--policy", p.toString(), "--", adversary.toString(), "tricks", dir.toString());
    assertEquals(0, r.code(), r.err());
    // The label is the inode's: every way to the file is refused, however it was reached or renamed.
    assertEquals("dotdot errno=13\nsymlink-made errno=0\nsymlink errno=13\nhardlink-made errno=0\nhardlink errno=13\n"
        + "rename-made errno=0\nrenamed errno=13\npublic errno=0\n", r.out());
  }

  @Test
  void pathLabelsResolveDotDotAndSymlinksAndThePolicyKeepsLinksAndRenamesOfSecrets() throws Exception {
    Path dir = trickDir();
    String real = dir.toRealPath().toString();
    Path contexts = Files.writeString(work.resolve("contexts"), real + "(/.*)?  tmp_t\n" + real + "/secret  secret_t\n");
    // By path, a hard link or a rename would carry the file out of its label: the policy forbids them for secrets.
    Path p = Files.writeString(work.resolve("p.evf"),
        "label secret_t\ndefault allow\nerrno(EACCES) openat, link, linkat, rename, renameat, renameat2: label & secret_t\n");
    ChildJvm.Result r = run("run", "--labels", contexts.toString(), "--policy", p.toString(), "--", adversary.toString(), "tricks",
        dir.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("dotdot errno=13\nsymlink-made errno=0\nsymlink errno=13\nhardlink-made errno=13\nhardlink errno=2\n"
        + "rename-made errno=13\nrenamed errno=2\npublic errno=0\n", r.out());
    assertTrue(Files.exists(dir.resolve("secret")));
  }
}
