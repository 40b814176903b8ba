package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evfilter run} end to end on the real kernel: coreutils and small C programs under
 * policies, labels from xattrs and file_contexts, the kernel's actions, the path race, the
 * supervisor's death.
 */
@Tag("kernel")
class RunTest {
  private static final Path SAMPLES = Path.of("../samples/policies/valid").toAbsolutePath().normalize();
  private static Path bin;
  @TempDir Path work;

  @BeforeAll
  static void needsTheKernel() throws Exception {
    Optional<String> why = unavailable();
    if (why.isPresent()) {
      System.err.println("\n*** SKIPPED: evfilter run not tested: " + why.get() + " ***\n");
    }
    Assumptions.assumeTrue(why.isEmpty(), () -> why.get());
    for (String prog : List.of("path_race", "open_loop", "openat2_beneath")) {
      bin = CPrograms.build(prog, false).getParent();
    }
  }

  private static Optional<String> unavailable() throws Exception {
    if (!System.getProperty("os.arch").equals("amd64") || !Files.exists(Path.of("/proc/sys/kernel/seccomp/actions_avail"))) {
      return Optional.of("needs x86_64 Linux with seccomp");
    }
    if (!Files.readString(Path.of("/proc/sys/kernel/seccomp/actions_avail")).contains("user_notif")) {
      return Optional.of("this kernel has no seccomp user notification");
    }
    return Optional.empty();
  }

  private ChildJvm.Result run(String... args) throws Exception {
    return ChildJvm.evfilter(work, List.of(), args);
  }

  private Path labelled(String name, String content, String label) throws Exception {
    Path f = work.resolve(name);
    Files.writeString(f, content);
    if (label != null) {
      Process p = new ProcessBuilder("setfattr", "-n", "user.evfilter.label", "-v", label, f.toString()).start();
      assertEquals(0, p.waitFor());
    }
    return f;
  }

  @Test
  void catReadsWhatTheLabelsAllowAndSaysWhyTheRestIsDenied() throws Exception {
    Path open = labelled("public.txt", "public words\n", null);
    Path secret = labelled("secret.txt", "secret words\n", "secret_t");
    Path audit = work.resolve("audit.jsonl");
    ChildJvm.Result r = run("run", "--policy", SAMPLES.resolve("cat.evf").toString(), "--audit", audit.toString(), "--",
        "cat", "/etc/hostname", open.toString(), secret.toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.out().contains("public words") && !r.out().contains("secret words"), r.out());
    assertTrue(r.err().contains("cat: " + secret + ": Permission denied"), r.err());
    assertTrue(r.err().matches("(?s).*denied openat " + secret + " \\(secret_t\\): .*cat\\.evf:10:1: errno\\(13\\).*"), r.err());
    List<JsonNode> records = new ArrayList<>();
    for (String line : Files.readAllLines(audit)) {
      records.add(new ObjectMapper().readTree(line));
    }
    JsonNode allowed = records.stream().filter(j -> j.get("paths").toString().contains("public.txt")).findFirst().orElseThrow();
    assertEquals("allow", allowed.get("decision").asText());
    assertEquals("[\"tmp_t\"]", allowed.get("labels").toString());
    assertTrue(allowed.get("result").asInt() >= 0);
    JsonNode denied = records.stream().filter(j -> j.get("paths").toString().contains("secret.txt")).findFirst().orElseThrow();
    assertEquals("errno(13)", denied.get("decision").asText());
    assertEquals(-13, denied.get("result").asInt());
    assertTrue(records.stream().anyMatch(j -> j.get("cached").asBoolean()), "no AVC hit in " + records.size() + " records");
  }

  @Test
  void fileContextsRulesLabelByPath(@TempDir Path dir) throws Exception {
    Path priv = Files.createDirectories(dir.resolve("private"));
    Files.writeString(priv.resolve("notes"), "private notes\n");
    Path contexts = work.resolve("more_contexts");
    Files.writeString(contexts, dir.toRealPath() + "/private(/.*)?  system_u:object_r:secret_t:s0\n");
    ChildJvm.Result r = run("run", "--policy", SAMPLES.resolve("cat.evf").toString(), "--labels", contexts.toString(), "--",
        "cat", priv.resolve("notes").toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("(secret_t)"), r.err());
  }

  @Test
  void aLabelsFileOnTheCommandLineDeclaresTheLabelsThePolicyNames(@TempDir Path dir) throws Exception {
    Path priv = Files.writeString(Files.createDirectories(dir.resolve("private")).resolve("notes"), "private notes\n");
    Path open = Files.writeString(Files.createDirectories(dir.resolve("public")).resolve("notes"), "public notes\n");
    Path contexts = Files.writeString(work.resolve("private_contexts"), dir.toRealPath() + "/private(/.*)?  private_t\n");
    // No 'label private_t' in the policy: the file given with --labels declares it.
    Path p = Files.writeString(work.resolve("p.evf"), "default allow\nerrno(EACCES) openat: label & private_t\n");
    ChildJvm.Result r = run("run", "--policy", p.toString(), "--labels", contexts.toString(), "--", "cat", open.toString(),
        priv.toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.out().contains("public notes") && !r.out().contains("private notes"), r.out());
    assertTrue(r.err().contains("cat: " + priv + ": Permission denied"), r.err());
  }

  @Test
  void aForgottenSyscallFailsAsDefaultDenyShould() throws Exception {
    // base.evf has no execve and the default kill_process: the command dies of SIGSYS at exec.
    ChildJvm.Result r = run("run", "--policy", SAMPLES.resolve("base.evf").toString(), "--", "cat", "/etc/hostname");
    assertEquals(128 + 31, r.code(), r.err());
    assertTrue(r.err().contains("was killed by signal 31 (SIGSYS"), r.err());
  }

  @Test
  void theKernelsActionsBehaveAsDefined() throws Exception {
    Path p = work.resolve("actions.evf");
    Files.writeString(p, "default allow\nerrno(EROFS) mkdir, mkdirat\ntrap uname\nlog getcwd\n");
    ChildJvm.Result mkdir = run("run", "--policy", p.toString(), "--", "mkdir", work.resolve("d").toString());
    assertEquals(1, mkdir.code(), mkdir.err());
    assertTrue(mkdir.err().contains("Read-only file system"), mkdir.err());
    assertFalse(Files.exists(work.resolve("d")));
    ChildJvm.Result uname = run("run", "--policy", p.toString(), "--", "uname");
    assertEquals(128 + 31, uname.code(), uname.err());
    ChildJvm.Result pwd = run("run", "--policy", p.toString(), "--", "sh", "-c", "cd /tmp && /bin/pwd");
    assertEquals(0, pwd.code(), pwd.err());
    assertEquals("/tmp\n", pwd.out());
    Files.writeString(p, "default allow\nkill_process uname\n");
    assertEquals(128 + 31, run("run", "--policy", p.toString(), "--", "uname").code());
    assertEquals(42, run("run", "--policy", p.toString(), "--", "sh", "-c", "exit 42").code());
  }

  @Test
  void pathSyscallsAreDecidedAndPerformedByTheSupervisor() throws Exception {
    Path secret = labelled("keep.txt", "keep\n", "secret_t");
    Path p = work.resolve("paths.evf");
    Files.writeString(p, "label secret_t\ndefault allow\n"
        + "errno(EACCES) unlink, unlinkat, rmdir, mkdir, mkdirat, rename, renameat, renameat2, link, linkat, chmod, fchmodat,"
        + " truncate, creat, openat: label & secret_t\n");
    Path audit = work.resolve("audit.jsonl");
    // ln -L links what a symlink names (linkat AT_SYMLINK_FOLLOW): the very file that was labelled.
    String script = "cd " + work + " && mkdir d && echo x > d/f && mv d/f d/g && ln d/g d/h && chmod 600 d/h"
        + " && ln -s g d/sym && ln -L d/sym d/hard && [ d/hard -ef d/g ] && rm d/g d/h d/sym d/hard"
        + " && rmdir d && echo performed; rm -f keep.txt; mv keep.txt moved.txt; chmod 777 keep.txt;"
        + " ln -s keep.txt to-keep; ln -L to-keep keep-too; ls keep.txt";
    ChildJvm.Result r = run("run", "--policy", p.toString(), "--audit", audit.toString(), "--", "sh", "-c", script);
    assertEquals(0, r.code(), r.err());
    assertEquals("performed\nkeep.txt\n", r.out());
    assertTrue(r.err().contains("rm: cannot remove 'keep.txt': Permission denied"), r.err());
    assertTrue(r.err().contains("evfilter run: denied unlinkat " + secret + " (secret_t)"), r.err());
    assertTrue(r.err().contains("denied renameat2 " + secret + " -> "), r.err());
    assertTrue(r.err().contains("denied linkat " + work.resolve("to-keep") + " -> " + work.resolve("keep-too") + " (secret_t)"),
        "a link through a symlink to a secret file: " + r.err());
    assertTrue(Files.exists(secret) && !Files.exists(work.resolve("d")) && !Files.exists(work.resolve("keep-too")));
    String log = Files.readString(audit);
    for (String call : List.of("mkdir", "renameat2", "linkat", "fchmodat", "unlinkat")) {
      assertTrue(log.contains("\"syscall\":\"" + call + "\""), call + " not supervised: " + log);
    }
  }

  @Test
  void theSupervisorOpensWithTheTasksCredentials() throws Exception {
    Path rootOnly = labelled("root-only.txt", "root only\n", null);
    Files.setPosixFilePermissions(rootOnly, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path everyone = labelled("everyone.txt", "everyone\n", null);
    Files.setPosixFilePermissions(everyone, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path p = work.resolve("creds.evf");
    Files.writeString(p, "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    // setpriv drops to nobody, then cat's opens come to the supervisor, which runs as root.
    ChildJvm.Result r = run("run", "-q", "--policy", p.toString(), "--", "setpriv", "--reuid=65534", "--regid=65534",
        "--clear-groups", "--", "sh", "-c", "cat " + everyone + "; cat " + rootOnly + "; touch " + work.resolve("new.txt"));
    assertTrue(r.out().contains("everyone") && !r.out().contains("root only"), r.out() + r.err());
    assertTrue(r.err().contains(rootOnly + ": Permission denied"), r.err());
    assertTrue(r.err().contains("new.txt") && r.err().contains("Permission denied"), "nobody cannot create in a root directory: " + r.err());
    // Files are created with the task's umask, not the supervisor's.
    ChildJvm.Result um = run("run", "-q", "--policy", p.toString(), "--", "sh", "-c",
        "umask 077; : > " + work.resolve("private.txt") + "; umask 000; : > " + work.resolve("open.txt"));
    assertEquals(0, um.code(), um.err());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(work.resolve("private.txt"))));
    assertEquals("rw-rw-rw-", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(work.resolve("open.txt"))));
  }

  @Test
  void groupsAndUserNamespacesChangedMidRunAreTheOnesTheSupervisorWears() throws Exception {
    Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path group = labelled("group.txt", "group 4321\n", null);
    Files.setPosixFilePermissions(group, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    Files.setAttribute(group, "unix:gid", 4321);
    Path p = work.resolve("groups.evf");
    Files.writeString(p, "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    // setpriv opens files as root first (the supervisor learns root's groups), then sets the groups
    // and ids and execs cat: the supervisor must wear the new groups, not the ones it learnt.
    ChildJvm.Result member = run("run", "-q", "--audit", work.resolve("a.jsonl").toString(), "--policy", p.toString(), "--",
        "setpriv", "--reuid=65534", "--regid=65534", "--groups=4321", "--", "cat", group.toString());
    assertEquals(0, member.code(), member.err());
    assertTrue(member.out().contains("group 4321"), member.out());
    assertTrue(Files.readString(work.resolve("a.jsonl")).contains("\"syscall\":\"setgroups\""), "setgroups not seen by the supervisor");
    ChildJvm.Result outsider = run("run", "-q", "--policy", p.toString(), "--",
        "setpriv", "--reuid=65534", "--regid=65534", "--groups=1234", "--", "cat", group.toString());
    assertEquals(1, outsider.code(), outsider.out() + outsider.err());
    assertTrue(outsider.err().contains("Permission denied"), outsider.err());
    // In a user namespace of its own the task has every capability, but only there: the supervisor
    // must not lend it its own (reading a file of another user, mode 0600, stays refused).
    Path nobodys = labelled("nobodys.txt", "nobody's\n", null);
    Files.setPosixFilePermissions(nobodys, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Files.setAttribute(nobodys, "unix:uid", 65534);
    ChildJvm.Result unshared = run("run", "-q", "--policy", p.toString(), "--", "unshare", "--user", "--",
        "cat", nobodys.toString());
    assertTrue(unshared.err().contains("Permission denied") && !unshared.out().contains("nobody's"), unshared.out() + unshared.err());
    // The same command outside a policy is refused by the kernel too: the supervisor adds no right.
    Process plain = new ProcessBuilder("unshare", "--user", "--", "cat", nobodys.toString()).start();
    assertEquals(1, plain.waitFor());
  }

  // evfilter-launch --cached, as ./evfilter starts `run`: the cache in its own directory.
  private ChildJvm.Result launch(Path cache, String... args) throws Exception {
    Path launcher = Path.of("../lsm-bridge/target/classes/org/evfilter/lsm/supervise/evfilter-launch").toAbsolutePath().normalize();
    List<String> argv = new ArrayList<>(List.of(launcher.toString(), "--cached", cache.toString(),
        // The build identity: a file that changes with each build of the command line.
        Path.of("../cli/target/classes/org/evfilter/cli/Main.class").toAbsolutePath().normalize().toString(),
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
        "org.evfilter.cli.Main", "--args"));
    argv.addAll(List.of(args));
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    Process p = new ProcessBuilder(argv).directory(work.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES), "launcher did not finish");
    return new ChildJvm.Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  // The cache takes no file changed less than a second before it was read (same-tick changes).
  private static void settle() throws InterruptedException {
    Thread.sleep(1100);
  }

  private static Object entryInode(Path cache) throws Exception {
    try (var s = Files.list(cache)) {
      Path e = s.filter(f -> f.toString().endsWith(".run")).findFirst().orElseThrow();
      return Files.getAttribute(e, "unix:ino");
    }
  }

  private static long entries(Path cache) throws Exception {
    try (var s = Files.list(cache)) {
      return s.filter(f -> f.toString().endsWith(".run")).count();
    }
  }

  @Test
  void aCachedProgramStartsTheCommandAtOnceAndAChangedPolicyIsNeverServedStale() throws Exception {
    Path cache = work.resolve("cache");
    Path open = labelled("public.txt", "public words\n", null);
    Path secret = labelled("secret.txt", "secret words\n", "secret_t");
    Path policy = work.resolve("p.evf");
    Files.writeString(policy, "include \"" + SAMPLES.resolve("cat.evf") + "\"\n");
    String[] cat = {"run", "--policy", policy.toString(), "--", "cat", open.toString(), secret.toString()};
    settle();
    // A miss: the JVM compiles, runs, and leaves the entry; then a hit: the same behaviour, the
    // command started by the launcher and supervised by the JVM it exec'd.
    Object written = null;
    for (int round = 0; round < 2; round++) {
      ChildJvm.Result r = launch(cache, cat);
      assertEquals(1, r.code(), r.err());
      assertTrue(r.out().contains("public words") && !r.out().contains("secret words"), "round " + round + ": " + r.out() + r.err());
      assertTrue(r.err().matches("(?s).*denied openat " + secret + " \\(secret_t\\): .*cat\\.evf:10:1: errno\\(13\\).*"), r.err());
      assertTrue(r.err().contains("supervised syscalls"), r.err());
      assertEquals(1, entries(cache), "round " + round);
      // A miss writes the entry anew (a new inode); a hit only reads it.
      Object inode = entryInode(cache);
      assertTrue(round == 0 || inode.equals(written), "the second run compiled again: the cache missed");
      written = inode;
    }
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
    // A program changed in the entry (a planted one): the command never runs a single instruction of its own.
    Path entry;
    try (var s = Files.list(cache)) {
      entry = s.filter(f -> f.toString().endsWith(".run")).findFirst().orElseThrow();
    }
    byte[] good = Files.readAllBytes(entry);
    byte[] bad = good.clone();
    bad[bad.length - 4] ^= 0x01; // the last instruction's k: another return value
    Files.write(entry, bad);
    ChildJvm.Result planted = launch(cache, cat);
    assertEquals(2, planted.code(), planted.err());
    assertTrue(planted.err().contains("is not the one") && planted.out().isEmpty(), planted.out() + planted.err());
    Files.write(entry, good);
    // The included file is in the entry's manifest: changing what it includes changes the program.
    Path stricter = work.resolve("stricter.evf");
    Files.writeString(stricter, "include \"" + SAMPLES.resolve("base.evf") + "\"\ndefault errno(EPERM)\nallow execve\n");
    Files.writeString(policy, "include \"" + stricter + "\"\n");
    settle();
    ChildJvm.Result denied = launch(cache, cat);
    assertNotEquals(written, entryInode(cache), "a changed include did not make the entry stale");
    assertNotEquals(0, denied.code());
    assertFalse(denied.out().contains("public words"), denied.out() + denied.err());
    Files.writeString(stricter, "include \"" + SAMPLES.resolve("cat.evf") + "\"\n");
    settle();
    for (int round = 0; round < 2; round++) {
      ChildJvm.Result again = launch(cache, cat);
      assertTrue(again.out().contains("public words"), "a changed include was served stale: " + again.out() + again.err());
    }
    // Nothing supervised: no JVM at all on a hit, the exit status and the signal said as `run` says them.
    Path plain = work.resolve("plain.evf");
    Files.writeString(plain, "default allow\nkill_process uname\n");
    settle();
    for (int round = 0; round < 2; round++) {
      assertEquals(42, launch(cache, "run", "--policy", plain.toString(), "--", "sh", "-c", "exit 42").code());
      ChildJvm.Result killed = launch(cache, "run", "--policy", plain.toString(), "--", "uname");
      assertEquals(128 + 31, killed.code());
      assertTrue(killed.err().contains("uname was killed by signal 31 (SIGSYS"), killed.err());
    }
    // An entry another user could have written is never trusted.
    Files.setPosixFilePermissions(cache, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    try (var s = Files.list(cache)) {
      for (Path e : s.toList()) {
        Files.write(e, new byte[] {'x'});
      }
    }
    assertTrue(launch(cache, cat).out().contains("public words"));
  }

  @Test
  void theDemoShowsAnAllowedAndADeniedReadTheAvcAndWhereTheReportIs() throws Exception {
    Path dir = work.resolve("demo");
    ChildJvm.Result r = run("demo", "--dir", dir.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("public words: anyone may read this") && !r.out().contains("secret words"), r.out());
    assertTrue(r.err().contains("denied openat " + dir.resolve("secret.txt") + " (secret_t): "), r.err());
    assertTrue(r.err().matches("(?s).*supervised syscalls: \\d+ allowed, 1 denied; AVC \\d+ lookups.*"), r.err());
    assertTrue(r.out().contains("report: " + dir.resolve("compare-report/report.html")), r.out());
    assertTrue(Files.exists(dir.resolve("compare-report/report.html")) && Files.exists(dir.resolve("compare-report/per-syscall.png")));
    assertTrue(r.out().contains(" 0 disagree"), r.out());
  }

  @Test
  void procSelfIsTheTasksAndTheHandoffFailsClosed() throws Exception {
    Path p = work.resolve("self.evf");
    Files.writeString(p, "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    ChildJvm.Result self = run("run", "-q", "--policy", p.toString(), "--", "head", "-1", "/proc/self/status");
    assertEquals(0, self.code(), self.err());
    assertEquals("Name:\thead\n", self.out());
    // Without read the launcher cannot wait for the handoff: the command must not run at all.
    Files.writeString(p, "label secret_t\ndefault allow\nerrno(EPERM) read\nerrno(EACCES) openat: label & secret_t\n");
    ChildJvm.Result noRead = run("run", "-q", "--policy", p.toString(), "--", "sh", "-c", "echo ran");
    assertEquals(2, noRead.code(), noRead.err());
    assertEquals("", noRead.out());
    assertTrue(noRead.err().contains("did not run"), noRead.err());
  }

  @Test
  void openat2ResolveFlagsStillBindTheLookup() throws Exception {
    Path sub = Files.createDirectories(work.resolve("oa/sub"));
    Files.writeString(work.resolve("oa/escape.txt"), "x\n");
    Files.writeString(sub.resolve("inside.txt"), "y\n");
    Path p = work.resolve("oa2.evf");
    Files.writeString(p, "label secret_t\ndefault allow\nerrno(EACCES) openat2: label & secret_t\n");
    ChildJvm.Result r = run("run", "-q", "--policy", p.toString(), "--", bin.resolve("openat2_beneath").toString(), sub.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("beneath: -1 Invalid cross-device link"), r.out());
    assertTrue(r.out().matches("(?s).*inside: [0-9]+ opened.*"), r.out());
  }

  @Test
  void aThreadFlippingThePathNeverGetsTheDeniedFile() throws Exception {
    Path dir = Files.createDirectories(work.resolve("race"));
    Files.writeString(dir.resolve("a-file"), "allowed\n");
    Files.writeString(dir.resolve("s-file"), "SECRET\n");
    assertEquals(0, new ProcessBuilder("setfattr", "-n", "user.evfilter.label", "-v", "secret_t", dir.resolve("s-file").toString())
        .start().waitFor());
    Path p = work.resolve("race.evf");
    Files.writeString(p, "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    ChildJvm.Result r = run("run", "-q", "--policy", p.toString(), "--", bin.resolve("path_race").toString(), dir.toString(), "20000");
    assertEquals(0, r.code(), r.err());
    String[] f = r.out().trim().replace(",", "").split(" ");
    // "opens N succeeded K escapes E"
    long succeeded = Long.parseLong(f[3]);
    long escapes = Long.parseLong(f[5]);
    System.out.println("path race under the supervisor: " + r.out().trim());
    assertEquals(0, escapes, r.out());
    assertTrue(succeeded > 0 && succeeded < 20000, "both files were named: " + r.out());
  }

  @Test
  void killingTheSupervisorLeavesNothingAllowed() throws Exception {
    Path target = labelled("target.txt", "x\n", null);
    Path p = work.resolve("notify.evf");
    Files.writeString(p, "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    Path out = work.resolve("loop.out");
    List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "org.evfilter.cli.Main", "run", "-q", "--policy", p.toString(), "--", "sh", "-c",
        "i=0; while [ $i -lt 150 ]; do if cat " + target + " >/dev/null 2>&1; then echo ok; else echo fail; fi; i=$((i+1)); sleep 0.02; done; echo done"));
    Process jvm = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(work.resolve("loop.err").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(out) || Files.readAllLines(out).stream().filter("ok"::equals).count() < 5) {
      assertTrue(System.nanoTime() < deadline, "the loop never ran: " + Files.readString(work.resolve("loop.err")));
      Thread.sleep(20);
    }
    jvm.destroyForcibly().waitFor();
    while (!Files.readString(out).contains("done")) {
      assertTrue(System.nanoTime() < deadline, "the loop never ended: " + Files.readString(out));
      Thread.sleep(50);
    }
    List<String> lines = Files.readAllLines(out);
    int firstFail = lines.indexOf("fail");
    assertTrue(firstFail > 0, lines.toString());
    assertFalse(lines.subList(firstFail, lines.size()).contains("ok"), "an open succeeded after the supervisor died: " + lines);
  }
}
