package org.evfilter.tests.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evfilter serve} on the real kernel, started as a user would ({@code java -jar evfilter.jar
 * serve}) on a socket of the test's own: {@code run} through it (the launcher's {@code --service}
 * mode) decides as without it, sandboxes are isolated, the service's death fails closed, SIGTERM
 * stops it cleanly, and bad clients are each refused with one log line while the next is served.
 */
@Tag("kernel")
class ServiceTest {
  private static final Path SAMPLES = Path.of("../samples/policies/valid").toAbsolutePath().normalize();
  private static final Path JAR = Path.of("../cli/target/evfilter.jar").toAbsolutePath().normalize();
  private static final Path LAUNCHER =
      Path.of("../lsm-bridge/target/classes/org/evfilter/lsm/supervise/evfilter-launch").toAbsolutePath().normalize();
  private static final Pattern DENIAL = Pattern.compile("(?m)^evfilter run: denied openat \\S*secret\\.txt \\(secret_t\\): .*cat\\.evf:10:1: errno\\(13\\)$");

  @TempDir Path work;
  private Path socket;
  private Path log;
  private Process service;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void needsTheKernel() throws Exception {
    Optional<String> why = unavailable();
    if (why.isPresent()) {
      System.err.println("\n*** SKIPPED: evfilter serve not tested: " + why.get() + " ***\n");
    }
    Assumptions.assumeTrue(why.isEmpty(), () -> why.get());
  }

  private static Optional<String> unavailable() throws Exception {
    if (!System.getProperty("os.arch").equals("amd64") || !Files.exists(Path.of("/proc/sys/kernel/seccomp/actions_avail"))
        || !Files.readString(Path.of("/proc/sys/kernel/seccomp/actions_avail")).contains("user_notif")) {
      return Optional.of("needs x86_64 Linux with seccomp user notification");
    }
    if (!ChildJvm.isRoot()) {
      return Optional.of("the service runs as root");
    }
    if (!Files.isRegularFile(JAR) || !Files.isExecutable(LAUNCHER)) {
      return Optional.of("build the jar first (mvn -pl cli -am package): " + JAR);
    }
    return Optional.empty();
  }

  @BeforeEach
  void paths() throws Exception {
    // A unix socket's path has at most 107 bytes: the socket lives in a short directory of its own.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "evfserve");
    socket = dir.resolve("s.sock");
    log = work.resolve("service.log");
    Files.writeString(work.resolve("public.txt"), "public words\n");
    Path secret = Files.writeString(work.resolve("secret.txt"), "secret words\n");
    assertEquals(0, new ProcessBuilder("setfattr", "-n", "user.evfilter.label", "-v", "secret_t", secret.toString()).start().waitFor());
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(socket);
    try (var s = Files.list(socket.getParent())) {
      for (Path p : s.toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(socket.getParent());
  }

  // ---- helpers ----

  private Process startService(String... more) throws Exception {
    List<String> argv = new ArrayList<>(List.of(java(), "-jar", JAR.toString(), "serve", "--socket", socket.toString(),
        "--policies", work.toString()));
    argv.addAll(List.of(more));
    Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    started.add(p);
    service = p;
    awaitLog("evfilter serve: listening on " + socket, 1, 120);
    return p;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      n++;
    }
    return n;
  }

  // Waits until the log has `times` lines containing `part`.
  private void awaitLog(String part, int times, int seconds) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (count(log(), part) < times) {
      assertTrue(System.nanoTime() < deadline, "no \"" + part + "\" (x" + times + ") in the service's log:\n" + log());
      assertTrue(service == null || service.isAlive() || part.contains("stopped"), "the service died:\n" + log());
      Thread.sleep(50);
    }
  }

  // `run ARGS` through the service, as ./evfilter starts it when the socket exists.
  private Process launch(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of(LAUNCHER.toString(), "--service", socket.toString(), java(), "-cp",
        System.getProperty("java.class.path"), "org.evfilter.cli.Main", "--args", "run"));
    argv.addAll(List.of(args));
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    Process p = new ProcessBuilder(argv).directory(work.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    started.add(p);
    outputs.put(p, new Path[] {out, err});
    return p;
  }

  private final java.util.Map<Process, Path[]> outputs = new java.util.HashMap<>();

  private ChildJvm.Result finish(Process p) throws Exception {
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the launcher did not finish");
    Path[] o = outputs.get(p);
    return new ChildJvm.Result(p.exitValue(), Files.readString(o[0]), Files.readString(o[1]));
  }

  private String stdout(Process p) throws IOException {
    return Files.readString(outputs.get(p)[0]);
  }

  private Path policy(String name, String text) throws IOException {
    return Files.writeString(work.resolve(name), text);
  }

  // ---- run through the service ----

  @Test
  void aRunThroughTheServiceDecidesAsRunWithoutIt() throws Exception {
    startService();
    String[] cat = {"--policy", SAMPLES.resolve("cat.evf").toString(), "--", "cat", "/etc/hostname",
        work.resolve("public.txt").toString(), work.resolve("secret.txt").toString()};
    ChildJvm.Result through = finish(launch(cat));
    assertTrue(log().contains("sandbox 1: run of pid"), "not through the service:\n" + log());
    List<String> alone = new ArrayList<>(List.of("run"));
    alone.addAll(List.of(cat));
    ChildJvm.Result without = ChildJvm.evfilter(work, List.of(), alone.toArray(String[]::new));
    for (ChildJvm.Result r : List.of(through, without)) {
      assertEquals(1, r.code(), r.err());
      assertTrue(r.out().contains("public words") && !r.out().contains("secret words"), r.out());
      assertTrue(DENIAL.matcher(r.err()).find(), r.err());
      assertTrue(r.err().contains("Permission denied"), r.err());
      assertTrue(r.err().matches("(?s).*evfilter run: \\d+ supervised syscalls: \\d+ allowed, 1 denied; AVC .*"), r.err());
    }
    // A bad policy: run's message and exit status 1, from the service.
    Path bad = policy("bad.evf", "default allow\nallow openat: nonsense_field == 1\n");
    ChildJvm.Result refused = finish(launch("--policy", bad.toString(), "--", "true"));
    ChildJvm.Result refusedAlone = ChildJvm.evfilter(work, List.of(), "run", "--policy", bad.toString(), "--", "true");
    assertEquals(1, refused.code(), refused.err());
    assertEquals(refusedAlone.err(), refused.err());
    assertTrue(log().contains("run refused"), log());
    // --audit: the launcher opens the file, the service writes the decisions.
    Path audit = work.resolve("audit.jsonl");
    ChildJvm.Result audited = finish(launch("-q", "--audit", "audit.jsonl", "--policy", SAMPLES.resolve("cat.evf").toString(), "--",
        "cat", "secret.txt"));
    assertEquals(1, audited.code(), audited.err());
    assertFalse(DENIAL.matcher(audited.err()).find(), audited.err());
    assertTrue(Files.readString(audit).contains("\"decision\":\"errno(13)\""), Files.readString(audit));
    // --dry-run is run's own: the launcher runs evfilter itself.
    ChildJvm.Result dry = finish(launch("--dry-run", "--policy", SAMPLES.resolve("cat.evf").toString(), "--", "cat"));
    assertEquals(0, dry.code(), dry.err());
    assertTrue(dry.err().contains("would run: cat"), dry.err());
  }

  @Test
  void twoSandboxesAtOnceEachUnderItsOwnPolicy() throws Exception {
    startService();
    Path denyPublic = work.resolve("public_contexts");
    Files.writeString(denyPublic, work.toRealPath() + "/public\\.txt  public_t\n");
    Path one = policy("one.evf", "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    Path other = policy("other.evf", "default allow\nerrno(EPERM) openat: label & public_t\n");
    Process a = launch("--policy", one.toString(), "--", "sh", "-c", "sleep 1; cat public.txt secret.txt");
    Process b = launch("--landlock=off", "--labels", denyPublic.toString(), "--policy", other.toString(), "--", "sh", "-c",
        "sleep 1; cat public.txt secret.txt");
    ChildJvm.Result ra = finish(a);
    ChildJvm.Result rb = finish(b);
    assertEquals(1, ra.code(), ra.err());
    assertTrue(ra.out().contains("public words") && !ra.out().contains("secret words"), ra.out() + ra.err());
    assertTrue(ra.err().contains("secret.txt: Permission denied"), ra.err());
    assertEquals(1, rb.code(), rb.err());
    assertTrue(rb.out().contains("secret words") && !rb.out().contains("public words"), rb.out() + rb.err());
    assertTrue(rb.err().contains("public.txt: Operation not permitted"), rb.err());
    assertTrue(log().contains("sandbox 1: ") && log().contains("sandbox 2: "), log());
  }

  // The supervisor never blocks in an open (it opens FIFOs and devices non-blocking), so the
  // stalling sandbox here is one that floods its supervisor with notifications, then dies.
  @Test
  void aSandboxThatFloodsOrDiesDelaysNoOther() throws Exception {
    startService();
    Path all = policy("all.evf", "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    // sh's redirections are supervised opens: as many as the supervisor answers.
    Process flood = launch("-q", "--policy", all.toString(), "--", "sh", "-c", "while :; do read x < public.txt; done");
    awaitLog("sandbox 1: run of pid", 1, 60);
    Thread.sleep(1000);
    for (int round = 0; round < 3; round++) {
      ChildJvm.Result free = finish(launch("--policy", all.toString(), "--", "cat", "public.txt", "secret.txt"));
      assertEquals(1, free.code(), free.err());
      assertTrue(free.out().contains("public words") && !free.out().contains("secret words"), free.out() + free.err());
      assertTrue(flood.isAlive(), "the flooding sandbox should still run");
    }
    // It dies (killed): its sandbox ends, the others go on.
    flood.descendants().forEach(ProcessHandle::destroyForcibly);
    ChildJvm.Result died = finish(flood);
    assertEquals(128 + 9, died.code(), died.err());
    awaitLog("sandbox 1 ended", 1, 30);
    ChildJvm.Result after = finish(launch("--policy", all.toString(), "--", "cat", "public.txt"));
    assertEquals(0, after.code(), after.err());
  }

  @Test
  void theServiceKilledMidRunFailsClosedAndARestartedOneServesNewSandboxes() throws Exception {
    startService();
    Path all = policy("all.evf", "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    // sh's own redirections are openat: the first goes through the supervisor; the second comes
    // after the service was killed.
    Process p = launch("--policy", all.toString(), "--", "sh", "-c",
        "read a < public.txt && echo \"first:$a\"; while [ ! -e go ]; do :; done;"
            + " if read b < public.txt; then echo \"second:$b\"; else echo second-failed; fi");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!stdout(p).contains("first:")) {
      assertTrue(System.nanoTime() < deadline && p.isAlive(), stdout(p) + log());
      Thread.sleep(50);
    }
    service.destroyForcibly().waitFor();
    Files.writeString(work.resolve("go"), "");
    ChildJvm.Result r = finish(p);
    assertTrue(r.out().contains("first:public words") && r.out().contains("second-failed") && !r.out().contains("second:"),
        r.out() + r.err());
    assertTrue(r.err().contains("Function not implemented"), r.err());
    assertEquals(1, count(r.err(), "evfilter run: the service stopped: supervised calls now fail with ENOSYS"), r.err());
    // A new service on the same path (the dead one's socket is replaced) serves the next run.
    startService();
    ChildJvm.Result again = finish(launch("--policy", SAMPLES.resolve("cat.evf").toString(), "--", "cat", "public.txt"));
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("public words"), again.out() + again.err());
    assertTrue(log().contains("sandbox 1: run of pid"), log());
  }

  @Test
  void sigtermStopsTheServiceCleanly() throws Exception {
    Process p = startService();
    assertTrue(Files.exists(socket));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), log());
    assertFalse(Files.exists(socket), "the socket was left behind");
    assertTrue(log().contains("evfilter serve: stopped: no longer listening"), log());
  }

  // ---- bad clients ----

  private static final String CLIENT = """
      import json, os, socket, sys, time
      path, case = sys.argv[1], sys.argv[2]
      s = socket.socket(socket.AF_UNIX)
      s.connect(path)
      def oci(pid, metadata, fds):
          return json.dumps({"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": pid, "metadata": metadata,
                             "state": {"ociVersion": "1.0.2", "id": "c-" + case, "status": "creating", "pid": pid,
                                       "bundle": "/nonexistent"}}).encode()
      if case == "malformed":
          s.sendall(b'{"ociVersion": nope}')
      elif case == "oversized":
          try:
              s.sendall(b'{"ociVersion": "' + b"a" * (2 << 20) + b'"}')
          except OSError:
              pass
      elif case == "no-descriptor":
          s.sendall(oci(os.getpid(), "cat", []))
      elif case == "pipe":
          r, w = os.pipe()
          socket.send_fds(s, [oci(os.getpid(), "cat", [r])], [r])
      elif case == "mid-handshake":
          s.sendall(b'{"ociVersion": "1.0')
          s.close()
          sys.exit(0)
      elif case == "dead-pid":
          r, w = os.pipe()
          pid = os.fork()
          if pid == 0:
              os._exit(0)
          os.waitpid(pid, 0)
          socket.send_fds(s, [oci(pid, "cat", [r])], [r])
      elif case == "no-policy":
          r, w = os.pipe()
          socket.send_fds(s, [oci(os.getpid(), "nosuchpolicy", [r])], [r])
      elif case == "bad-metadata":
          r, w = os.pipe()
          socket.send_fds(s, [oci(os.getpid(), "../cat", [r])], [r])
      s.settimeout(10)
      try:
          s.recv(100)
      except OSError:
          pass
      s.close()
      """;

  @Test
  void eachBadClientIsRefusedWithOneLineAndTheNextIsServed() throws Exception {
    startService();
    Files.copy(SAMPLES.resolve("cat.evf"), work.resolve("cat.evf"));
    Path client = Files.writeString(work.resolve("client.py"), CLIENT);
    String[][] cases = {
      {"malformed", "its message is malformed JSON"},
      {"oversized", "its message is larger than"},
      {"no-descriptor", "no descriptor came with its state"},
      {"pipe", "the descriptor is pipe:["},
      {"mid-handshake", "it disconnected in the middle of its message"},
      {"dead-pid", "already died"},
      {"no-policy", "its listenerMetadata names no policy: there is no " + work.resolve("nosuchpolicy.evf")},
      {"bad-metadata", "its listenerMetadata \"../cat\" is no policy name"},
    };
    int refusals = 0;
    for (String[] c : cases) {
      Process p = new ProcessBuilder("python3", client.toString(), socket.toString(), c[0]).redirectErrorStream(true).start();
      started.add(p);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), c[0]);
      refusals++;
      awaitLog("evfilter serve: refused ", refusals, 30);
      String last = lastLine(log(), "evfilter serve: refused ");
      assertTrue(last.contains(c[1]), c[0] + ": " + last);
      assertEquals(1, count(log(), c[1]), c[0] + ":\n" + log());
      // The service goes on: the next good client is served.
      ChildJvm.Result good = finish(launch("-q", "--policy", SAMPLES.resolve("cat.evf").toString(), "--", "cat", "public.txt"));
      assertEquals(0, good.code(), c[0] + ": " + good.err());
      assertTrue(good.out().contains("public words"), c[0]);
    }
    assertTrue(service.isAlive());
    assertEquals(cases.length, count(log(), "evfilter serve: refused "), log());
  }

  private static String lastLine(String text, String part) {
    String found = "";
    for (String line : text.split("\n")) {
      if (line.contains(part)) {
        found = line;
      }
    }
    return found;
  }
}
