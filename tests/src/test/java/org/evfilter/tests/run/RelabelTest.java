package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.evfilter.lsm.natives.LandlockAbi;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Labels belong to objects, on the real kernel: a confined program tries every way to carry a
 * secret out of its label (hard links, renames of files and directories, exchanges, paths through
 * {@code ..} and symbolic links, copies, removing or rewriting its label xattr), under the
 * supervisor alone ({@code --landlock=off}) and with Landlock deciding the label rules it can; no
 * attempt reads a secret, and moves that keep labels still work. Each test prints its attempts and
 * outcomes as a table.
 */
@Tag("kernel")
class RelabelTest {
  private static final String SECRET = "TOPSECRET";
  private static Path fsops;
  @TempDir Path work;

  @BeforeAll
  static void build() throws Exception {
    CPrograms.needUserNotification("labels belonging to objects");
    fsops = CPrograms.build("fsops", true);
  }

  private Path tree() {
    return work.resolve("tree");
  }

  // pub and pub2 public (read only), work writable, secret nothing; renames, links and xattr writes
  // allowed without conditions, as Docker's default profile allows them.
  private Path policy(String more) throws IOException {
    String r = tree().toString();
    Files.writeString(work.resolve("contexts"), String.join("\n",
        work.resolve("bin") + "(/.*)?   pub_t",
        r + "/pub(/.*)?                 pub_t",
        r + "/pub2(/.*)?                pub_t",
        r + "/work(/.*)?                work_t",
        r + "/secret(/.*)?              secret_t",
        ""));
    return Files.writeString(work.resolve("p.evf"), "labels \"contexts\"\ndefault errno(EACCES)\n"
        + "allow read, write, close, fstat, newfstatat, lseek, mmap, mprotect, munmap, brk, rt_sigaction, rt_sigprocmask,"
        + " rt_sigreturn, exit, exit_group, arch_prctl, set_tid_address, set_robust_list, rseq, prlimit64, getrandom, readlink,"
        + " readlinkat, uname, execve, futex, getpid, gettid, ioctl\n"
        + "allow openat: label & pub_t && (flags & O_ACCMODE) == O_RDONLY\n"
        + "allow openat, mkdirat, unlinkat, symlinkat: label & work_t\n"
        + "allow renameat, renameat2, linkat, setxattr, fsetxattr, removexattr, fremovexattr\n" + more);
  }

  // xattrInWork: a secret labelled by its xattr in the work tree (Landlock then leaves the syscalls
  // that tree's rules decide to the supervisor: its scan finds the xattr); files/xo, outside every
  // tree, is one in every run.
  private void fresh(boolean xattrInWork) throws Exception {
    Path r = tree();
    if (Files.exists(r)) {
      try (Stream<Path> s = Files.walk(r)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    for (String d : List.of("pub", "pub2", "work", "secret/d", "files")) {
      Files.createDirectories(r.resolve(d));
    }
    Map<String, String> files = new LinkedHashMap<>();
    files.put("pub/a", "pub-a");
    files.put("pub2/b", "pub2-b");
    files.put("work/x", "work-x");
    files.put("work/y", "work-y");
    files.put("secret/s", SECRET + "-by-path");
    files.put("secret/d/t", SECRET + "-beneath");
    files.put("files/xo", SECRET + "-by-xattr-outside");
    if (xattrInWork) {
      files.put("work/xs", SECRET + "-by-xattr");
    }
    for (Map.Entry<String, String> f : files.entrySet()) {
      Files.writeString(r.resolve(f.getKey()), f.getValue() + "\n");
    }
    setfattr("-n", "user.evfilter.label", "-v", "secret_t", r.resolve("files/xo").toString());
    if (xattrInWork) {
      setfattr("-n", "user.evfilter.label", "-v", "secret_t", r.resolve("work/xs").toString());
    }
  }

  private static void setfattr(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("setfattr"));
    argv.addAll(List.of(args));
    assertEquals(0, new ProcessBuilder(argv).inheritIO().start().waitFor());
  }

  private record Outcome(List<String> lines, String err) {}

  private Outcome run(Path policy, List<String> ops, String mode, boolean xattrInWork) throws Exception {
    fresh(xattrInWork);
    Path bin = Files.createDirectories(work.resolve("bin"));
    Path exe = bin.resolve("fsops");
    if (!Files.exists(exe)) {
      Files.copy(fsops, exe);
      exe.toFile().setExecutable(true);
    }
    String r = tree().toString();
    Path file = Files.write(bin.resolve("ops"), ops.stream().map(o -> o.replace("T/", r + "/")).toList());
    ChildJvm.Result res = ChildJvm.evfilter(work, List.of(), "run", "--policy", policy.toString(), "--landlock=" + mode, "--",
        exe.toString(), file.toString());
    assertEquals(0, res.code(), res.err());
    // The outcome only: what comes after the paths' ": ".
    List<String> outcomes = res.out().lines().map(l -> l.substring(l.lastIndexOf(": ") + 2)).toList();
    assertEquals(ops.size(), outcomes.size(), res.out() + res.err());
    assertFalse(res.out().contains(SECRET), "a confined program read a secret:\n" + res.out());
    return new Outcome(outcomes, res.err());
  }

  // Both lowerings, the table printed, each outcome checked: expected[i] is "supervisor|Landlock"
  // when they differ by design, else the one outcome both must give.
  private void attempt(String title, Path policy, List<String> ops, List<String> expected, boolean xattrInWork) throws Exception {
    Outcome supervisor = run(policy, ops, "off", xattrInWork);
    boolean landlock = LandlockAbi.version() >= 3;
    Outcome withLandlock = landlock ? run(policy, ops, "auto", xattrInWork) : supervisor;
    if (!landlock) {
      System.err.println("\n*** SKIPPED: " + title + " under Landlock: this kernel's Landlock ABI is " + LandlockAbi.version()
          + " (3 or more needed) ***\n");
    }
    StringBuilder table = new StringBuilder("\n" + title + "\n");
    table.append(String.format("| %-52s | %-12s | %-12s |%n", "attempt", "supervisor", "Landlock"));
    table.append(String.format("|%s|%s|%s|%n", "-".repeat(54), "-".repeat(14), "-".repeat(14)));
    for (int i = 0; i < ops.size(); i++) {
      table.append(String.format("| %-52s | %-12s | %-12s |%n", ops.get(i).replace("T/", ""), supervisor.lines().get(i),
          withLandlock.lines().get(i)));
    }
    System.err.print(table);
    for (int i = 0; i < ops.size(); i++) {
      String[] want = expected.get(i).split("\\|");
      assertEquals(want[0], supervisor.lines().get(i), ops.get(i) + " under the supervisor\n" + table + supervisor.err());
      if (landlock) {
        assertEquals(want[want.length - 1], withLandlock.lines().get(i), ops.get(i) + " under Landlock\n" + table + withLandlock.err());
      }
    }
    if (landlock) {
      // With the xattr in the work tree, the syscalls its rules decide stay with the supervisor, said.
      assertTrue(withLandlock.err().contains(xattrInWork ? "is labelled secret_t by its xattr and work_t by its path"
          : "Landlock decides the labels of openat"), withLandlock.err());
    }
  }

  @Test
  void noLinkRenameExchangeOrCopyCarriesAPathLabelledSecretOutOfItsLabel() throws Exception {
    List<String> ops = new ArrayList<>();
    List<String> want = new ArrayList<>();
    add(ops, want, "show T/secret/s", "EACCES");
    add(ops, want, "link T/secret/s T/pub/h", "EXDEV");
    add(ops, want, "show T/pub/h", "ENOENT");
    add(ops, want, "rename T/secret/s T/work/m", "EXDEV");
    add(ops, want, "show T/work/m", "ENOENT");
    add(ops, want, "rename T/secret T/work/x-dir", "EXDEV");
    add(ops, want, "show T/work/x-dir/s", "ENOENT");
    add(ops, want, "rename T/secret/d T/pub/y", "EXDEV");
    add(ops, want, "show T/pub/y/t", "ENOENT");
    add(ops, want, "exchange T/secret/s T/work/x", "EXDEV");
    add(ops, want, "show T/work/x", "ok:work-x");
    add(ops, want, "rename T/work/../secret/s T/work/dotdot", "EXDEV");
    add(ops, want, "symlink ../secret T/work/lsec", "ok");
    add(ops, want, "show T/work/lsec/s", "EACCES");
    add(ops, want, "rename T/work/lsec/s T/work/through-link", "EXDEV");
    add(ops, want, "link T/work/lsec/d/t T/work/hard", "EXDEV");
    add(ops, want, "rename T/work/y T/work/lsec/y", "EXDEV");
    add(ops, want, "copy T/secret/s T/work/copy", "EACCES");
    add(ops, want, "show T/work/copy", "ENOENT");
    // The secret may still be moved within its label: it stays unreadable.
    add(ops, want, "rename T/secret/s T/secret/renamed", "ok");
    add(ops, want, "show T/secret/renamed", "EACCES");
    // Whole trees with their labels: the pub tree would become work_t (Landlock's rule is attached to it, too).
    add(ops, want, "rename T/pub T/work/pub", "EXDEV");
    // Labelled by its xattr outside every tree: moved into a granted one, Landlock would give it the tree's rights.
    add(ops, want, "rename T/files/xo T/work/xo", "ok|EXDEV");
    add(ops, want, "show T/work/xo", "EACCES|ENOENT");
    attempt("path labels (file_contexts): a secret_t file and directory", policy(""), ops, want, false);
  }

  @Test
  void movesThatKeepLabelsStillWorkAndAPublicFileCrossesLabelsAsACopy() throws Exception {
    List<String> ops = new ArrayList<>();
    List<String> want = new ArrayList<>();
    add(ops, want, "rename T/work/x T/work/x2", "ok");
    add(ops, want, "show T/work/x2", "ok:work-x");
    add(ops, want, "mkdir T/work/d", "ok");
    add(ops, want, "rename T/work/x2 T/work/d/x3", "ok");
    add(ops, want, "rename T/work/d T/work/e", "ok");
    add(ops, want, "show T/work/e/x3", "ok:work-x");
    add(ops, want, "link T/work/y T/work/e/y-link", "ok");
    add(ops, want, "exchange T/work/y T/work/e/x3", "ok");
    add(ops, want, "show T/work/y", "ok:work-x");
    // Between two trees of the same label.
    add(ops, want, "rename T/pub/a T/pub2/a", "ok");
    add(ops, want, "exchange T/pub2/a T/pub2/b", "ok");
    add(ops, want, "show T/pub2/a", "ok:pub2-b");
    // Across labels: refused as a move (EXDEV, what mv falls back from), done as a copy.
    add(ops, want, "rename T/pub2/b T/work/b", "EXDEV");
    add(ops, want, "copy T/pub2/b T/work/b", "ok");
    add(ops, want, "show T/work/b", "ok:pub-a");
    // Other xattrs are the policy's as ever.
    add(ops, want, "setother T/work/y", "ok");
    attempt("moves that keep labels", policy(""), ops, want, false);
  }

  @Test
  void theLabelXattrIsWrittenOrRemovedOnlyWhereARuleReadingNewLabelAllowsIt() throws Exception {
    List<String> ops = new ArrayList<>();
    List<String> want = new ArrayList<>();
    add(ops, want, "show T/work/xs", "EACCES");
    add(ops, want, "rmlabel T/work/xs", "EACCES");
    add(ops, want, "setlabel T/work/xs work_t", "EACCES");
    add(ops, want, "frmlabel T/work/xs", "EACCES");
    add(ops, want, "show T/work/xs", "EACCES");
    add(ops, want, "setother T/work/xs", "ok");
    // The xattr goes with the object: renamed, it is still secret.
    add(ops, want, "rename T/work/xs T/work/xs2", "ok");
    add(ops, want, "show T/work/xs2", "EACCES");
    // Into another tree: its labels go with it.
    add(ops, want, "rename T/work/xs2 T/pub/xs3", "ok");
    add(ops, want, "show T/pub/xs3", "EACCES");
    add(ops, want, "fsetlabel T/work/y secret_t", "EACCES");
    add(ops, want, "setlabel T/work/y work_t", "EACCES");
    attempt("xattr labels, no rule allowing relabelling", policy(""), ops, want, true);
  }

  @Test
  void aRelabellingRuleAllowsExactlyTheRelabellingsItNames() throws Exception {
    // work_t objects may be relabelled scratch_t and back; nothing else.
    Path p = policy("label scratch_t\nallow setxattr, fsetxattr, removexattr, fremovexattr: (label & work_t || label & scratch_t)"
        + " && (new_label & work_t || new_label & scratch_t) && !(new_label & secret_t)\n");
    List<String> ops = new ArrayList<>();
    List<String> want = new ArrayList<>();
    add(ops, want, "setlabel T/work/y scratch_t", "ok");
    add(ops, want, "rmlabel T/work/y", "ok");
    add(ops, want, "fsetlabel T/work/x scratch_t", "ok");
    add(ops, want, "setlabel T/work/x secret_t", "EACCES");
    add(ops, want, "rmlabel T/work/xs", "EACCES");
    add(ops, want, "setlabel T/work/xs work_t", "EACCES");
    add(ops, want, "show T/work/xs", "EACCES");
    add(ops, want, "setlabel T/pub/a scratch_t", "EACCES");
    // A policy allowing relabelling is not lowered to Landlock: both runs are the supervisor's.
    Outcome supervisor = run(p, ops, "off", true);
    Outcome auto = run(p, ops, "auto", true);
    assertEquals(want, supervisor.lines(), supervisor.err());
    assertEquals(want, auto.lines(), auto.err());
    assertTrue(auto.err().contains("may let the command set label xattrs") || !auto.err().contains("Landlock decides"), auto.err());
    ChildJvm.Result explain = ChildJvm.evfilter(work, List.of(), "explain", "--policy", p.toString());
    assertTrue(explain.out().contains("labels belong to objects: relabelling allowed by " + p + ":8:1"), explain.out());
    assertFalse(explain.out().contains("never decides"), explain.out());
    ChildJvm.Result none = ChildJvm.evfilter(work, List.of(), "explain", "--policy", policy("").toString());
    assertTrue(none.out().contains("labels belong to objects: no rule allows relabelling"), none.out());
  }

  @Test
  void aRelabellingRuleOnASyscallThatWritesNoXattrIsAnError() throws Exception {
    Path p = policy("allow openat: new_label & work_t\n");
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "explain", "--policy", p.toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("new_label"), r.err());
  }

  @Test
  void theIssuesShellAttemptsUnderADockerLikePolicyNeverReadTheSecret() throws Exception {
    // As reported: everything allowed (Docker's profile allows links, renames and xattr writes)
    // but opening secret_t; the secret labelled by file_contexts, and another by its xattr.
    fresh(true);
    String r = tree().toString();
    Files.writeString(work.resolve("contexts"), r + "/secret(/.*)?  secret_t\n" + r + "/pub(/.*)?  pub_t\n"
        + r + "/work(/.*)?  work_t\n");
    Path p = Files.writeString(work.resolve("docker-like.evf"), "labels \"contexts\"\ndefault allow\n"
        + "errno(EACCES) open, openat, openat2: label & secret_t\n");
    String script = String.join("\n", "cd " + r,
        "ln secret/s pub/h; cat pub/h",
        "mv secret/s pub/m; cat pub/m",
        "mv secret pub/x; cat pub/x/s pub/x/d/t",
        "cp secret/s pub/c; cat pub/c",
        "setfattr -x user.evfilter.label work/xs; cat work/xs",
        "setfattr -n user.evfilter.label -v work_t work/xs; cat work/xs",
        "mv work/xs pub/xs; cat pub/xs",
        "mv work/x pub/x2 && cat pub/x2",
        "mv work/y work/y2 && cat work/y2",
        "true");
    ChildJvm.Result res = ChildJvm.evfilter(work, List.of(), "run", "--landlock=off", "--policy", p.toString(), "--", "sh", "-c", script);
    System.err.println("\nthe issue's shell attempts (sh, ln, mv, cp, setfattr, cat):\n" + res.out() + res.err());
    assertFalse(res.out().contains(SECRET) || res.err().contains(SECRET), res.out() + res.err());
    // work/x crosses labels as a copy (mv falls back from EXDEV), work/y is renamed within its label.
    assertEquals("work-x\nwork-y\n", res.out(), res.err());
    assertTrue(Files.exists(tree().resolve("pub/x2")) && !Files.exists(tree().resolve("work/x")), "moved by copying");
    assertTrue(res.err().contains("ln: failed to create hard link 'pub/h' => 'secret/s': Invalid cross-device link"), res.err());
    assertTrue(res.err().contains("mv: cannot open 'secret/s' for reading: Permission denied"), res.err());
    assertTrue(res.err().contains("setfattr: work/xs: Permission denied"), res.err());
    assertTrue(Files.exists(tree().resolve("secret/s")) && Files.exists(tree().resolve("secret/d/t")), "the secrets stayed");
  }

  private static void add(List<String> ops, List<String> want, String op, String outcome) {
    ops.add(op);
    want.add(outcome);
  }
}
