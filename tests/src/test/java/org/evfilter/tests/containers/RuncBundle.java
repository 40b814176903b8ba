package org.evfilter.tests.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * An OCI bundle run by runc or crun for a test: a busybox root file system, a config.json from
 * {@code runc spec} with the test's command and seccomp profile, the runtime's state in a
 * directory of its own ({@code --root}). Closing it deletes the container ({@code delete -f}) and
 * removes the bundle, whether the test passed or not.
 */
public final class RuncBundle implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CRUN_HYBRID = "cgroups in hybrid mode not supported";

  /** What a run of the container printed and its exit status as the runtime reports it. */
  public record Result(int status, String stdout, String stderr) {}

  private final Path runtime;
  private final Path dir;
  private final Path rootfs;
  private final Path state;
  private final ObjectNode config;
  private final List<String> created = new ArrayList<>();

  private RuncBundle(Path runtime, Path dir, ObjectNode config) {
    this.runtime = runtime;
    this.dir = dir;
    this.rootfs = dir.resolve("rootfs");
    this.state = dir.resolve("state");
    this.config = config;
  }

  /** The runtime named {@code name} (runc, crun) if installed; skips the calling test loudly otherwise. */
  public static Path runtime(String name, String what) {
    Optional<Path> found = List.of(Path.of("/usr/sbin", name), Path.of("/usr/bin", name)).stream().filter(Files::isExecutable)
        .findFirst();
    if (found.isEmpty()) {
      System.err.println("\n*** SKIPPED: " + what + " not checked with " + name + ": not installed (apt-get install " + name + ") ***\n");
    }
    Assumptions.assumeTrue(found.isPresent(), () -> what + " not checked: no " + name);
    return found.get();
  }

  /** A bundle in {@code dir} (made, and removed at close) for {@code runtime}, its root file system from {@code busybox}. */
  public static RuncBundle create(Path runtime, Path dir, Path busybox) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    RootFileSystem.make(dir.resolve("rootfs"), busybox);
    Path runc = runtime("runc", "an OCI bundle");
    Process spec = new ProcessBuilder(runc.toString(), "spec", "--bundle", dir.toString()).redirectErrorStream(true).start();
    String said = new String(spec.getInputStream().readAllBytes());
    if (spec.waitFor() != 0) {
      throw new IOException("runc spec failed: " + said);
    }
    ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    ((ObjectNode) config.path("process")).put("terminal", false);
    ((ObjectNode) config.path("root")).put("path", "rootfs").put("readonly", false);
    return new RuncBundle(runtime, dir, config);
  }

  public Path rootfs() {
    return rootfs;
  }

  /** The container's command. */
  public RuncBundle command(String... argv) {
    ArrayNode args = ((ObjectNode) config.path("process")).putArray("args");
    for (String a : argv) {
      args.add(a);
    }
    return this;
  }

  /** The container's {@code linux.seccomp}. */
  public RuncBundle seccomp(JsonNode profile) {
    ((ObjectNode) config.path("linux")).set("seccomp", profile);
    return this;
  }

  /** An annotation the runtime passes on in the container's state. */
  public RuncBundle annotation(String key, String value) {
    (config.has("annotations") ? (ObjectNode) config.get("annotations") : config.putObject("annotations")).put(key, value);
    return this;
  }

  /** A container started by {@code run}: the runtime's process and where the container's output goes. */
  public record Running(Process runtime, Path stdout, Path stderr) {
    /** What the container printed on its standard output so far. */
    public String printed() throws IOException {
      return Files.readString(stdout);
    }
  }

  /** Runs the container to its end ({@code run}), at most {@code seconds}. */
  public Result run(int seconds) throws IOException, InterruptedException {
    return waitFor(start(), seconds);
  }

  /** Starts the container ({@code run}) without waiting for it. */
  public Running start() throws IOException {
    return launch("run");
  }

  // The runtime's VERB (run, create) of a new container of this bundle, its output in files.
  private Running launch(String verb) throws IOException {
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
    String id = "evfilter-oci-" + UUID.randomUUID().toString().substring(0, 8);
    created.add(id);
    Path out = dir.resolve(id + ".out");
    Path err = dir.resolve(id + ".err");
    Process p = new ProcessBuilder(runtime(List.of(verb, "--bundle", dir.toString(), id)))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .start();
    return new Running(p, out, err);
  }

  /**
   * Creates the container ({@code create}) without starting it: its init waits on the runtime's
   * exec FIFO until {@link #startCreated}; what the container prints goes to the returned files.
   */
  public Running createOnly(int seconds) throws IOException, InterruptedException {
    Running c = launch("create");
    Result r = waitFor(c, seconds);
    if (r.status() != 0) {
      throw new IOException(runtime.getFileName() + " create failed: " + r);
    }
    return c;
  }

  /** Starts the container {@link #createOnly} made, the last one made ({@code start}). */
  public void startCreated() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(runtime(List.of("start", created.get(created.size() - 1)))).redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(runtime.getFileName() + " start failed: " + said);
    }
  }

  /**
   * Waits until the container printed {@code text}, at most {@code seconds}; fails saying what it
   * printed when it did not (or skips, where the runtime cannot run containers here).
   */
  public void awaitOutput(Running c, String text, int seconds) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!c.printed().contains(text) && System.nanoTime() < deadline && c.runtime().isAlive()) {
      Thread.sleep(20);
    }
    if (!c.printed().contains(text)) {
      Result r = c.runtime().isAlive() ? null : waitFor(c, 1);
      throw new AssertionError("the container did not print '" + text + "': " + (r == null ? c.printed() : r));
    }
  }

  /** The container's end, at most {@code seconds} away; skips the test where the runtime cannot run containers here. */
  public Result waitFor(Running c, int seconds) throws IOException, InterruptedException {
    Process p = c.runtime();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IOException(runtime.getFileName() + " run did not end in " + seconds + " s: " + Files.readString(c.stderr()));
    }
    Result r = new Result(p.exitValue(), Files.readString(c.stdout()), Files.readString(c.stderr()));
    // crun refuses a machine with cgroup v1 and v2 controllers at once (this machine class's hybrid layout).
    boolean noCgroups = r.status() != 0 && r.stderr().contains(CRUN_HYBRID);
    if (noCgroups) {
      System.err.println("\n*** SKIPPED: " + runtime.getFileName() + " cannot run containers here: " + CRUN_HYBRID + " ***\n");
    }
    Assumptions.assumeFalse(noCgroups, () -> runtime.getFileName() + " cannot run containers here: " + CRUN_HYBRID);
    return r;
  }

  // The runtime's command line: its state in the bundle's directory.
  private List<String> runtime(List<String> command) {
    List<String> argv = new ArrayList<>(List.of(runtime.toString(), "--root", state.toString()));
    argv.addAll(command);
    return argv;
  }

  @Override
  public void close() throws IOException {
    IOException failed = null;
    for (String id : created) {
      try {
        Process p = new ProcessBuilder(runtime(List.of("delete", "-f", id))).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed = new IOException("interrupted deleting " + id);
      }
    }
    RootFileSystem.remove(dir);
    if (failed != null) {
      throw failed;
    }
  }
}
