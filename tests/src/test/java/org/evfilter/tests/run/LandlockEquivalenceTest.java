package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.evfilter.lsm.natives.LandlockAbi;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof of the Landlock lowering on the real kernel: one generated workload (opens of every
 * kind, creations, removals, renames and exchanges of files and directories, hard links, symbolic
 * links, copies, label and other xattr writes, paths through {@code ..}) over
 * one generated file tree, run under the notification-only lowering and under the Landlock
 * lowering from identical trees, must allow exactly the same operations and refuse the same ones.
 * The one difference allowed is the one Landlock makes by design: the kernel's own checks run
 * before it (the supervisor decides first), so an operation in a refused tree on a missing path, an
 * existing one it creates, or an object of the wrong type fails with ENOENT, EEXIST or ENOTDIR
 * instead of the policy's EACCES: it fails in both runs. And one stricter case, said by the plan's notes: the
 * top directory of a tree is removed from its parent, which Landlock checks (the policy asks the
 * directory's own label), and it may not be moved (EXDEV: Landlock's rule would move with it).
 */
@Tag("kernel")
class LandlockEquivalenceTest {
  private static Path fsops;
  @TempDir Path work;

  @BeforeAll
  static void needsLandlock() throws Exception {
    CPrograms.needUserNotification("the Landlock lowering");
    int abi = LandlockAbi.version();
    if (abi < 3) {
      System.err.println("\n*** SKIPPED: the Landlock lowering not tested: this kernel's Landlock ABI is " + abi
          + " (3 or more needed: truncate) ***\n");
    }
    Assumptions.assumeTrue(abi >= 3, "needs Landlock ABI 3 or more");
    fsops = CPrograms.build("fsops", true);
  }

  private static final String SYSCALLS = "allow read, write, close, fstat, newfstatat, lseek, mmap, mprotect, munmap, brk,"
      + " rt_sigaction, rt_sigprocmask, rt_sigreturn, exit, exit_group, arch_prctl, set_tid_address, set_robust_list, rseq,"
      + " prlimit64, getrandom, readlink, readlinkat, uname, execve, futex, getpid, gettid, ioctl\n";

  private Path tree() {
    return work.resolve("tree");
  }

  // The policy: pub_t read only, work_t everything, secret_t and unlabelled nothing; a nested work
  // tree inside the public one; a single file labelled by its own entry.
  private Path policy() throws IOException {
    String r = tree().toString();
    Files.writeString(work.resolve("contexts"), String.join("\n",
        work.resolve("bin") + "(/.*)?   pub_t",
        r + "/pub(/.*)?                 pub_t",
        r + "/work(/.*)?                work_t",
        r + "/pub/inner(/.*)?           work_t",
        r + "/secret(/.*)?              secret_t",
        r + "/files/one                 pub_t",
        ""));
    Path p = work.resolve("p.evf");
    Files.writeString(p, "labels \"contexts\"\ndefault errno(EACCES)\n" + SYSCALLS
        + "allow openat: label & pub_t && (flags & O_ACCMODE) == O_RDONLY\n"
        + "allow openat, mkdirat, unlinkat: label & work_t\n"
        + "allow renameat, renameat2, linkat, symlinkat: label & work_t\n"
        // pub_t objects may be moved and linked, also into work_t's trees: there the supervisor refuses (EXDEV).
        + "allow renameat, renameat2, linkat: label & pub_t\n"
        // As Docker's profile: xattrs written freely; the label xattr only where relabelling is allowed (nowhere).
        + "allow setxattr, removexattr\n");
    return p;
  }

  private void build() throws IOException {
    Path r = tree();
    if (Files.exists(r)) {
      try (Stream<Path> s = Files.walk(r)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    for (String d : List.of("pub/d1", "pub/inner/sub", "work/d2", "secret/d3", "files")) {
      Files.createDirectories(r.resolve(d));
    }
    for (String f : List.of("pub/a", "pub/b", "pub/d1/c", "pub/inner/i1", "pub/inner/sub/i2", "work/x", "work/y", "work/d2/z",
        "secret/s", "secret/d3/t", "files/one", "files/two")) {
      Files.writeString(r.resolve(f), f + "\n");
    }
    Files.createSymbolicLink(r.resolve("work/l_pub"), Path.of("../pub/a"));
    Files.createSymbolicLink(r.resolve("pub/l_secret"), r.resolve("secret/s"));
    Files.createSymbolicLink(r.resolve("secret/l_work"), Path.of("../work/x"));
    Files.createSymbolicLink(r.resolve("work/l_dir"), Path.of("../pub/d1"));
    Files.createSymbolicLink(r.resolve("work/l_inner"), Path.of("../pub/inner"));
    Files.createSymbolicLink(r.resolve("work/dangling"), Path.of("../secret/nothing"));
    Files.createLink(r.resolve("work/hl_pub"), r.resolve("pub/b"));
    Files.createLink(r.resolve("pub/hl_work"), r.resolve("work/y"));
    Files.createLink(r.resolve("secret/hl_work"), r.resolve("work/d2/z"));
    // (A file with a rule of its own must have one link: see aFileRuleWithTwoLinks... below.)
    Files.createLink(r.resolve("work/hl_two"), r.resolve("files/two"));
  }

  // The same operations for both runs, drawn from a seeded generator.
  private Path operations(long seed, int count) throws IOException {
    String r = tree().toString();
    List<String> existing = new ArrayList<>();
    for (String p : List.of("pub", "pub/a", "pub/b", "pub/d1", "pub/d1/c", "pub/inner", "pub/inner/i1", "pub/inner/sub",
        "pub/inner/sub/i2", "pub/l_secret", "pub/hl_work", "work", "work/x", "work/y", "work/d2", "work/d2/z", "work/l_pub",
        "work/l_dir", "work/l_inner", "work/dangling", "work/hl_pub", "work/hl_two", "secret", "secret/s", "secret/d3",
        "secret/d3/t", "secret/l_work", "secret/hl_work", "files/one", "files/two", "work/../pub/a",
        "pub/inner/../../secret/s", "pub/d1/../../work/x", "work/l_dir/../a", "work/l_inner/i1", "work/l_dir/c",
        "secret/../work/d2/z", "pub/inner/sub/../i1")) {
      existing.add(r + "/" + p);
    }
    List<String> dirs = List.of("pub", "pub/d1", "pub/inner", "pub/inner/sub", "work", "work/d2", "secret", "secret/d3", "files",
        "work/l_dir", "work/l_inner");
    String[] opens = {"read", "write", "rdwr", "append", "trunc", "readdir", "opath", "creat-ro"};
    Random rnd = new Random(seed);
    List<String> ops = new ArrayList<>();
    List<String> made = new ArrayList<>();
    // What Landlock's rules are attached to is never moved here (the supervisor refuses it with
    // EXDEV, a difference aTreeTopIsKeptInPlace checks on its own): it would part the two runs' trees.
    List<String> movable = existing.stream().filter(p -> !List.of(r + "/pub", r + "/work", r + "/pub/inner", r + "/files/one")
        .contains(Path.of(p).normalize().toString())).toList();
    for (int i = 0; i < count; i++) {
      String some = rnd.nextInt(4) == 0 && !made.isEmpty() ? made.get(rnd.nextInt(made.size())) : existing.get(rnd.nextInt(existing.size()));
      String moved = rnd.nextInt(4) == 0 && !made.isEmpty() ? made.get(rnd.nextInt(made.size())) : movable.get(rnd.nextInt(movable.size()));
      String fresh = r + "/" + dirs.get(rnd.nextInt(dirs.size())) + "/n" + i;
      switch (rnd.nextInt(16)) {
        case 0, 1, 2, 3 -> ops.add(opens[rnd.nextInt(opens.length)] + " " + some);
        case 4 -> {
          ops.add("create " + fresh);
          made.add(fresh);
        }
        case 5 -> {
          ops.add("mkdir " + fresh);
          made.add(fresh);
        }
        case 6 -> ops.add("unlink " + some);
        case 7 -> ops.add("rmdir " + some);
        case 8 -> {
          ops.add("rename " + moved + " " + fresh);
          made.add(fresh);
        }
        case 9 -> {
          ops.add("link " + moved + " " + fresh);
          made.add(fresh);
        }
        case 10 -> {
          ops.add("symlink " + some + " " + fresh);
          made.add(fresh);
        }
        case 11 -> {
          // Both move: neither may be what Landlock's rules are attached to (see movable).
          String other = rnd.nextInt(4) == 0 && !made.isEmpty() ? made.get(rnd.nextInt(made.size())) : movable.get(rnd.nextInt(movable.size()));
          ops.add("exchange " + moved + " " + other);
        }
        case 12 -> ops.add(List.of("setlabel", "rmlabel", "setother").get(rnd.nextInt(3)) + " " + some
            + (rnd.nextBoolean() ? "" : " " + List.of("pub_t", "work_t", "secret_t").get(rnd.nextInt(3))));
        case 13 -> {
          ops.add("copy " + some + " " + fresh);
          made.add(fresh);
        }
        default -> ops.add("read " + some);
      }
    }
    Path file = work.resolve("bin/ops");
    Files.createDirectories(file.getParent());
    Files.write(file, ops);
    return file;
  }

  private record Outcome(List<String> lines, int supervised, String err) {}

  private Outcome run(Path policy, Path ops, String mode, String... more) throws Exception {
    return run(policy, ops, mode, true, more);
  }

  private Outcome run(Path policy, Path ops, String mode, boolean fresh, String... more) throws Exception {
    if (fresh) {
      build();
    }
    // -q hides denials, not the Landlock line: the tests read both from stderr.
    Path exe = work.resolve("bin/fsops");
    if (!Files.exists(exe)) {
      Files.copy(fsops, exe);
      exe.toFile().setExecutable(true);
    }
    List<String> args = new ArrayList<>(List.of("run", "--policy", policy.toString(), "--landlock=" + mode));
    args.addAll(List.of(more));
    args.addAll(List.of("--", exe.toString(), ops.toString()));
    ChildJvm.Result res = ChildJvm.evfilter(work, List.of(), args.toArray(String[]::new));
    assertEquals(0, res.code(), res.err());
    Matcher m = Pattern.compile("(\\d+) supervised syscalls").matcher(res.err());
    int supervised = m.find() ? Integer.parseInt(m.group(1)) : 0;
    return new Outcome(res.out().lines().toList(), supervised, res.err());
  }

  private static final Pattern LINE = Pattern.compile("(\\S+) (.*) \\((exists|missing)\\): (\\S+)");

  // The tops of the policy's trees: removing one is decided in its parent directory; and the
  // directories above them, which the supervisor keeps in place.
  private List<Path> roots() {
    Path r = tree();
    return List.of(r.resolve("pub"), r.resolve("work"), r.resolve("pub/inner"), r.resolve("secret"), work.resolve("bin"),
        r.resolve("files/one"), r, work);
  }

  // Compares the runs line by line; returns how many differed only by Landlock saying a path is
  // missing or exists where the supervisor refused first (or refusing to remove a tree's top).
  private int sameDecisions(List<String> supervisor, List<String> landlock) {
    return sameDecisions(supervisor, landlock, roots());
  }

  private static int sameDecisions(List<String> supervisor, List<String> landlock, List<Path> roots) {
    assertEquals(supervisor.size(), landlock.size(), "both runs performed every operation");
    int existence = 0;
    for (int i = 0; i < supervisor.size(); i++) {
      String s = supervisor.get(i);
      String l = landlock.get(i);
      if (s.equals(l)) {
        continue;
      }
      Matcher ms = LINE.matcher(s);
      Matcher ml = LINE.matcher(l);
      assertTrue(ms.matches() && ml.matches(), s + " / " + l);
      boolean sameOp = ms.group(1).equals(ml.group(1)) && ms.group(2).equals(ml.group(2)) && ms.group(3).equals(ml.group(3));
      // The kernel's own checks (existence, type) run before Landlock's, after the supervisor's.
      boolean kernelFirst = !ml.group(4).equals("ok") && !ml.group(4).equals("EACCES");
      boolean top = (ms.group(1).equals("unlink") || ms.group(1).equals("rmdir")) && ml.group(4).equals("EACCES")
          && roots.contains(Path.of(ms.group(2)).normalize()) && !ms.group(4).equals("ok");
      // A tree's top, or a directory above it, is kept in place: moving it would move Landlock's rule.
      // (An exchange moves both.)
      String[] paths = ms.group(2).split(" ");
      boolean kept = List.of("rename", "link", "exchange").contains(ms.group(1)) && ml.group(4).equals("EXDEV")
          && (roots.contains(Path.of(paths[0]).normalize()) || ms.group(1).equals("exchange") && roots.contains(Path.of(paths[1]).normalize()));
      String name = Path.of(ms.group(2).split(" ")[0]).getFileName().toString();
      String history = String.join("\n", supervisor.subList(0, i).stream().filter(x -> x.contains("/" + name + " ") || x.contains("/" + name + " (")).toList());
      assertTrue(sameOp && (ms.group(4).equals("EACCES") && kernelFirst || top || kept),
          "operation " + (i + 1) + " decided differently:\n  supervisor: " + s + "\n  Landlock:   " + l + "\nearlier on " + name + ":\n" + history);
      existence++;
    }
    return existence;
  }

  private static long count(List<String> lines, String result) {
    return lines.stream().filter(l -> l.endsWith(": " + result)).count();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(longs = {20261123, 9})
  void theLandlockLoweringAllowsAndRefusesWhatTheSupervisorDoes(long seed) throws Exception {
    Path policy = policy();
    Path ops = operations(Long.getLong("evfilter.landlock.seed", seed), 600);
    Outcome supervisor = run(policy, ops, "off");
    Outcome landlock = run(policy, ops, "auto");
    int existence = sameDecisions(supervisor.lines(), landlock.lines());
    long allowed = count(supervisor.lines(), "ok");
    long refused = count(supervisor.lines(), "EACCES");
    System.err.printf("Landlock equivalence: %d operations, %d allowed and %d refused alike, %d refused by Landlock as"
        + " missing or existing; supervised syscalls %d (notification only) vs %d (Landlock)%n", supervisor.lines().size(),
        allowed, refused - existence, existence, supervisor.supervised(), landlock.supervised());
    assertTrue(allowed > 50 && refused > 100, "the workload exercises both outcomes: " + allowed + " / " + refused);
    // What still reaches the supervisor with Landlock: O_PATH and O_CREAT opens, renames, exchanges,
    // links, symlinks, xattr writes; and a copy's creation, made when its source could be read.
    long kept = supervisor.lines().stream().filter(l -> l.matches("(opath|create|creat-ro|rename|exchange|link|symlink|setlabel|rmlabel"
        + "|setother) .*")).count();
    long copies = supervisor.lines().stream().filter(l -> l.startsWith("copy ")).count();
    assertTrue(landlock.supervised() >= kept && landlock.supervised() <= kept + copies, landlock.supervised() + " supervised, "
        + kept + " expected, plus up to " + copies + " copies\n" + landlock.err());
    // Without Landlock every operation (and the open of the operations file) reaches the supervisor, a copy twice when it reads.
    assertTrue(supervisor.supervised() >= supervisor.lines().size() + 1
        && supervisor.supervised() <= supervisor.lines().size() + 1 + copies, supervisor.err());
    List<String> relabelled = supervisor.lines().stream().filter(l -> l.matches("(setlabel|rmlabel) .*: ok")).toList();
    assertEquals(List.of(), relabelled, "no rule allows relabelling");
    System.err.printf("  of which: %d exchanges (%d done), %d moves or links refused EXDEV, %d label xattr writes refused, %d copies"
        + " (%d done)%n", supervisor.lines().stream().filter(l -> l.startsWith("exchange ")).count(),
        supervisor.lines().stream().filter(l -> l.matches("exchange .*: ok")).count(), count(supervisor.lines(), "EXDEV"),
        supervisor.lines().stream().filter(l -> l.matches("(setlabel|rmlabel) .*")).count(), copies,
        supervisor.lines().stream().filter(l -> l.matches("copy .*: ok")).count());
    assertTrue(supervisor.lines().stream().anyMatch(l -> l.matches("exchange .*: ok")), "the workload exchanges");
    assertTrue(supervisor.lines().stream().anyMatch(l -> l.matches("(rename|exchange|link) .*: EXDEV")), "moves across labels");
  }

  @Test
  void anXattrThatLabelsAnObjectOtherwiseThanItsPathKeepsItsSyscallsWithTheSupervisor() throws Exception {
    Path policy = policy();
    Path ops = operations(7, 200);
    // pub/a labelled secret_t by its xattr: Landlock, which sees its path's pub_t, would let it be read.
    // Creating and removing decide secret_t and pub_t alike (refused): those stay with Landlock.
    Outcome supervisor = runLabelled(policy, ops, "off");
    Outcome landlock = runLabelled(policy, ops, "auto");
    assertTrue(landlock.err().contains("warning: openat: " + tree().resolve("pub/a") + " is labelled secret_t by its xattr and"
        + " pub_t by its path"), landlock.err());
    assertTrue(landlock.err().contains("Landlock decides the labels of mkdirat, unlinkat in the kernel"), landlock.err());
    sameDecisions(supervisor.lines(), landlock.lines());
    assertTrue(supervisor.lines().stream().anyMatch(l -> l.matches("read .*/pub/a \\(exists\\): EACCES")),
        "the workload reads the relabelled file and is refused in both runs");
  }

  private Outcome runLabelled(Path policy, Path ops, String mode) throws Exception {
    build();
    Process p = new ProcessBuilder("setfattr", "-n", "user.evfilter.label", "-v", "secret_t", tree().resolve("pub/a").toString()).start();
    assertEquals(0, p.waitFor());
    return run(policy, ops, mode, false);
  }

  @Test
  void aTreeTopIsKeptInPlace() throws Exception {
    Path policy = policy();
    Path ops = work.resolve("bin/ops");
    Files.createDirectories(ops.getParent());
    String d2 = tree().resolve("work/d2").toString();
    String inner = tree().resolve("pub/inner").toString();
    String moved = tree().resolve("work/inner2").toString();
    Files.write(ops, List.of("rename " + d2 + " " + d2 + "b", "rename " + inner + " " + moved, "write " + moved + "/i1"));
    Outcome supervisor = run(policy, ops, "off");
    Outcome landlock = run(policy, ops, "auto");
    assertEquals(List.of("rename " + d2 + " " + d2 + "b (exists): ok", "rename " + inner + " " + moved + " (exists): ok",
        "write " + moved + "/i1 (exists): ok"), supervisor.lines());
    // pub/inner carries Landlock's rule for its work_t entry: moved, it would take it along.
    assertEquals(List.of("rename " + d2 + " " + d2 + "b (exists): ok", "rename " + inner + " " + moved + " (exists): EXDEV",
        "write " + moved + "/i1 (missing): ENOENT"), landlock.lines());
  }

  @Test
  void anObjectCarryingALabelXattrIsNotMovedIntoAGrantedTree() throws Exception {
    Path policy = policy();
    // secret_t objects may be moved (not read or written): the move is the policy's to allow.
    Files.writeString(policy, Files.readString(policy) + "allow renameat: label & secret_t\n");
    Path ops = work.resolve("bin/ops-move");
    Files.createDirectories(ops.getParent());
    String three = tree().resolve("files/three").toString();
    String moved = tree().resolve("work/three").toString();
    Files.write(ops, List.of("rename " + three + " " + moved, "read " + moved, "write " + moved));
    Outcome supervisor = runWithCarrier(policy, ops, "off");
    Outcome landlock = runWithCarrier(policy, ops, "auto");
    // Outside every tree at launch, the scan never saw it: moved into work/ it would get work_t's
    // rights from Landlock, while its xattr says secret_t. The supervisor refuses the move.
    assertEquals(List.of("rename " + three + " " + moved + " (exists): ok", "read " + moved + " (exists): EACCES",
        "write " + moved + " (exists): EACCES"), supervisor.lines());
    assertEquals(List.of("rename " + three + " " + moved + " (exists): EXDEV", "read " + moved + " (missing): ENOENT",
        "write " + moved + " (missing): ENOENT"), landlock.lines());
  }

  private Outcome runWithCarrier(Path policy, Path ops, String mode) throws Exception {
    build();
    Files.writeString(tree().resolve("files/three"), "three\n");
    Process p = new ProcessBuilder("setfattr", "-n", "user.evfilter.label", "-v", "secret_t", tree().resolve("files/three").toString())
        .start();
    assertEquals(0, p.waitFor());
    return run(policy, ops, mode, false);
  }

  @Test
  void aFileRuleWithTwoLinksKeepsItsSyscallsWithTheSupervisor() throws Exception {
    Path policy = policy();
    build();
    Files.createLink(tree().resolve("work/hl_one"), tree().resolve("files/one"));
    ChildJvm.Result res = ChildJvm.evfilter(work, List.of(), "run", "--policy", policy.toString(), "--dry-run", "--", "true");
    assertTrue(res.err().contains("warning: openat: " + tree().resolve("files/one") + " has 2 hard links"), res.err());
  }

  @Test
  void anOlderAbiWithoutARightTheRulesNeedFallsBackToTheSupervisorAndSaysWhich() throws Exception {
    Path policy = policy();
    Path ops = operations(3, 50);
    Outcome older = run(policy, ops, "auto", "--landlock-abi=2");
    assertTrue(older.err().contains("warning: openat: Landlock ABI 2 has no truncate right"), older.err());
    Outcome none = run(policy, ops, "auto", "--landlock-abi=0");
    assertTrue(none.err().contains("Landlock is not available"), none.err());
    assertTrue(older.err().contains("Landlock decides the labels of mkdirat, unlinkat"), older.err());
    Outcome supervisor = run(policy, ops, "off");
    sameDecisions(supervisor.lines(), older.lines());
    assertEquals(supervisor.lines(), none.lines());
  }

  private static final Path SAMPLES = Path.of("../samples/policies/valid").toAbsolutePath().normalize();

  @Test
  void theWorkspaceSampleHasLandlockDecideItsDirectoryRulesAndTheSupervisorOnlyItsXattrRule() throws Exception {
    Path top = Path.of("/tmp/evfilter-work"); // where the sample's labels put the work tree
    List<String> ops = List.of("read /etc/hostname", "read /etc/shadow", "readdir /usr/share", "write /usr/bin/env",
        "trunc /etc/passwd", "read /etc/passwd", "mkdir /tmp/evfilter-work/d", "create /tmp/evfilter-work/d/f",
        "write /tmp/evfilter-work/d/f", "read /tmp/evfilter-work/d/f", "unlink /tmp/evfilter-work/d/f",
        "rmdir /tmp/evfilter-work/d", "read /tmp/evfilter-work/kept", "append /tmp/evfilter-work/kept",
        "unlink /tmp/evfilter-work/kept", "mkdir /usr/evfilter-nope", "read /root/.bashrc");
    List<List<String>> out = new ArrayList<>();
    List<String> errs = new ArrayList<>();
    for (String mode : List.of("off", "auto")) {
      if (Files.exists(top)) {
        try (Stream<Path> s = Files.walk(top)) {
          for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.createDirectories(top.resolve("bin"));
      Files.copy(fsops, top.resolve("bin/fsops"));
      top.resolve("bin/fsops").toFile().setExecutable(true);
      Files.write(top.resolve("bin/ops"), ops);
      Files.writeString(top.resolve("kept"), "kept\n");
      Process p = new ProcessBuilder("setfattr", "-n", "user.evfilter.label", "-v", "work_t keep_t", top.resolve("kept").toString()).start();
      assertEquals(0, p.waitFor());
      ChildJvm.Result res = ChildJvm.evfilter(work, List.of(), "run", "--policy", SAMPLES.resolve("workspace.evf").toString(),
          "--landlock=" + mode, "--", top.resolve("bin/fsops").toString(), top.resolve("bin/ops").toString());
      assertEquals(0, res.code(), res.err());
      out.add(res.out().lines().toList());
      errs.add(res.err());
    }
    sameDecisions(out.get(0), out.get(1), List.of(top));
    List<String> lines = out.get(0);
    assertTrue(lines.get(0).endsWith(": ok") && lines.get(1).endsWith(": EACCES"), lines.toString());
    assertTrue(lines.contains("unlink /tmp/evfilter-work/kept (exists): EPERM"), lines.toString());
    assertTrue(lines.contains("unlink /tmp/evfilter-work/d/f (exists): ok"), lines.toString());
    // With Landlock only the xattr rule's syscall (unlinkat: unlink f, rmdir d, unlink kept) and the
    // open that creates reach the supervisor; without it every path operation, and the ops file's open.
    assertTrue(errs.get(1).contains("Landlock decides the labels of mkdir, openat, mkdirat"), errs.get(1));
    assertTrue(errs.get(1).contains("evfilter run: 4 supervised syscalls"), errs.get(1));
    assertTrue(errs.get(0).contains("evfilter run: " + (ops.size() + 1) + " supervised syscalls"), errs.get(0));
  }
}
