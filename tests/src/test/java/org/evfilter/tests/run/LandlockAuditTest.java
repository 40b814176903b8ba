package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.evfilter.lsm.natives.AuditNetlink;
import org.evfilter.lsm.natives.LandlockAbi;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Landlock's refusals under {@code evfilter run}, on the real kernel: with auditing on they are
 * reported as the supervisor's are (stderr and {@code --audit}, with the path, its labels and the
 * rule); with auditing off, run says once, before the command runs, that they cannot be. Auditing
 * is machine-wide: these tests switch it on only through {@code run --enable-audit}, which switches
 * it back off, and check that it did (after a normal end and after SIGTERM).
 */
@Tag("kernel")
class LandlockAuditTest {
  @TempDir Path work;

  @BeforeAll
  static void needsLandlockAndAudit() throws Exception {
    CPrograms.needUserNotification("Landlock's refusals");
    int abi = LandlockAbi.version();
    String why = abi < 7 ? "this kernel's Landlock ABI is " + abi + " (7 logs refusals)" : null;
    if (why == null) {
      try (AuditNetlink a = AuditNetlink.open()) {
        a.status();
      } catch (java.io.IOException e) {
        why = "the kernel's audit status cannot be read: " + e.getMessage();
      }
    }
    if (why != null) {
      System.err.println("\n*** SKIPPED: Landlock's refusals not tested: " + why + " ***\n");
    }
    Assumptions.assumeTrue(why == null, why);
  }

  private static AuditNetlink.Status status() throws Exception {
    try (AuditNetlink a = AuditNetlink.open()) {
      return a.status();
    }
  }

  // pub_t may be read, secret_t never (an explicit rule), the rest of the system is read by path.
  private Path policy() throws Exception {
    Files.createDirectories(work.resolve("pub"));
    Files.createDirectories(work.resolve("secret"));
    Files.writeString(work.resolve("pub/p.txt"), "public words\n");
    Files.writeString(work.resolve("secret/s.txt"), "secret words\n");
    Files.writeString(work.resolve("contexts"), String.join("\n",
        "/usr(/.*)?                  usr_t",
        "/etc(/.*)?                  usr_t",
        work.resolve("pub") + "(/.*)?     pub_t",
        work.resolve("secret") + "(/.*)?  secret_t",
        ""));
    Path p = work.resolve("p.evf");
    Files.writeString(p, "labels \"contexts\"\ndefault errno(EACCES)\n"
        + "allow read, write, close, fstat, newfstatat, lseek, mmap, mprotect, munmap, brk, pread64, access, fadvise64,"
        + " rt_sigaction, rt_sigprocmask, rt_sigreturn, exit, exit_group, arch_prctl, set_tid_address, set_robust_list, rseq,"
        + " prlimit64, getrandom, uname, execve, futex, getpid, gettid, ioctl, nanosleep, clock_nanosleep, copy_file_range, sendfile\n"
        + "errno(EACCES) openat: label & secret_t\n"
        + "allow openat: (label & usr_t || label & pub_t) && (flags & O_ACCMODE) == O_RDONLY\n");
    return p;
  }

  private ChildJvm.Result cat(Path audit, String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("run", "--policy", policy().toString(), "--audit", audit.toString()));
    args.addAll(List.of(options));
    args.addAll(List.of("--", "cat", work.resolve("pub/p.txt").toString(), work.resolve("secret/s.txt").toString()));
    return ChildJvm.evfilter(work, List.of(), args.toArray(String[]::new));
  }

  private static List<JsonNode> records(Path audit) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(audit)) {
      if (!line.isBlank()) {
        out.add(json.readTree(line));
      }
    }
    return out;
  }

  @Test
  void aRefusalByLandlockIsReportedWithItsPathLabelsAndRule() throws Exception {
    boolean wasOn = status().on();
    Path audit = work.resolve("audit.jsonl");
    ChildJvm.Result r = cat(audit, "--enable-audit");
    assertEquals(wasOn, status().on(), "run --enable-audit left auditing as it found it");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.out().contains("public words") && !r.out().contains("secret words"), r.out());
    Path secret = work.resolve("secret/s.txt");
    assertTrue(r.err().contains("Landlock decides the labels of openat in the kernel; its refusals are reported"), r.err());
    assertTrue(r.err().contains("evfilter run: denied openat fs.read_file " + secret + " (secret_t): " + work.resolve("p.evf")
        + ":4:1: errno(13) (decided by Landlock, in the kernel)"), r.err());
    assertEquals(0, count(r.err(), "supervised syscalls: 0 allowed, 0 denied") - 1, r.err());
    JsonNode denied = records(audit).stream().filter(j -> j.get("paths").toString().contains("s.txt")).findFirst().orElseThrow();
    assertEquals("landlock", denied.get("decidedBy").asText());
    assertEquals("openat", denied.get("syscall").asText());
    assertEquals("[\"fs.read_file\"]", denied.get("access").toString());
    assertEquals("[\"secret_t\"]", denied.get("labels").toString());
    assertEquals(work.resolve("p.evf") + ":4:1", denied.get("rule").asText());
    assertEquals("errno(13)", denied.get("decision").asText());
    assertEquals(-13, denied.get("result").asInt());
    assertFalse(records(audit).stream().anyMatch(j -> j.get("paths").toString().contains("p.txt")), "an allowed read is not a refusal");
  }

  @Test
  void withAuditingOffRunSaysOnceBeforeTheCommandThatRefusalsCannotBeReported() throws Exception {
    if (status().on()) {
      System.err.println("\n*** SKIPPED: auditing is on on this machine: the notice for auditing off not tested ***\n");
    }
    Assumptions.assumeFalse(status().on(), "auditing is on");
    Path audit = work.resolve("audit.jsonl");
    ChildJvm.Result r = cat(audit);
    assertEquals(1, r.code(), r.err());
    String notice = "its refusals are EACCES and cannot be reported here: auditing is off on this machine";
    assertEquals(1, count(r.err(), notice), r.err());
    assertTrue(r.err().indexOf(notice) < r.err().indexOf("Permission denied"), "said before the command runs: " + r.err());
    assertFalse(r.err().contains("denied openat"), r.err());
    assertTrue(records(audit).isEmpty(), "nothing decided by the supervisor, nothing Landlock's could be read");
  }

  @Test
  void auditingSwitchedOnForARunIsSwitchedBackOffWhenRunIsTerminated() throws Exception {
    Assumptions.assumeFalse(status().on(), "auditing is on: run --enable-audit changes nothing");
    List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "org.evfilter.cli.Main", "run", "--enable-audit", "--policy", policy().toString(),
        "--", "sleep", "20"));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(work.resolve("out.txt").toFile()).start();
    List<ProcessHandle> started = new ArrayList<>();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!status().on() || p.descendants().findAny().isEmpty()) {
        assertTrue(p.isAlive() && System.nanoTime() < deadline, () -> "run never started sleep: " + read(work.resolve("out.txt")));
        Thread.sleep(50);
      }
      p.descendants().forEach(started::add);
      p.destroy(); // SIGTERM: the shutdown hook switches auditing back off
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertFalse(status().on(), "auditing was left on by a terminated run");
    } finally {
      p.destroyForcibly();
      started.forEach(ProcessHandle::destroyForcibly);
      if (status().on()) {
        try (AuditNetlink a = AuditNetlink.open()) {
          a.setEnabled(0); // never leave the machine changed, even when this test fails
        }
      }
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.getMessage();
    }
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
