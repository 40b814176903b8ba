package org.evfilter.events.tracefs;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FormatFile;

/**
 * A private ftrace instance ({@code instances/NAME} of a mounted tracefs): events are enabled,
 * filtered and read there, so the global trace buffer is never touched. {@link #close()} disables
 * every event it enabled, clears every filter it set and removes the instance.
 */
public final class TracingInstance implements Closeable {
  /** The places tracefs is usually mounted. */
  public static final List<Path> MOUNT_POINTS = List.of(Path.of("/sys/kernel/tracing"), Path.of("/sys/kernel/debug/tracing"));

  private final Path dir;
  private final Set<String> enabled = new LinkedHashSet<>();
  private final Set<String> filtered = new LinkedHashSet<>();
  private boolean pidsSet;
  private boolean closed;

  private TracingInstance(Path dir) {
    this.dir = dir;
  }

  /** A mounted tracefs, if there is one at the usual places. */
  public static Optional<Path> mounted() {
    return MOUNT_POINTS.stream().filter(p -> Files.isDirectory(p.resolve("instances"))).findFirst();
  }

  /**
   * Removes instances named {@code PREFIX-PID...} whose process is gone (a tracer killed with
   * SIGKILL cannot clean up after itself). Returns how many were removed.
   */
  public static int removeStale(Path tracefs, String prefix) {
    int removed = 0;
    try (Stream<Path> s = Files.list(tracefs.resolve("instances"))) {
      for (Path dir : s.toList()) {
        String name = dir.getFileName().toString();
        if (!name.startsWith(prefix + "-")) {
          continue;
        }
        String pid = name.substring(prefix.length() + 1).split("-")[0];
        if (pid.matches("\\d+") && !Files.exists(Path.of("/proc", pid))) {
          try {
            Files.delete(dir);
            removed++;
          } catch (IOException busy) {
            // In use after all: leave it.
          }
        }
      }
    } catch (IOException e) {
      return removed;
    }
    return removed;
  }

  /** Creates the instance {@code name} under {@code tracefs}. */
  public static TracingInstance create(Path tracefs, String name) throws IOException {
    Path dir = tracefs.resolve("instances").resolve(name);
    Files.createDirectory(dir);
    return new TracingInstance(dir);
  }

  public Path directory() {
    return dir;
  }

  /** The schema of {@code SUBSYSTEM/EVENT} on this kernel. */
  public Optional<EventSchema> schema(String event) throws IOException {
    Path format = dir.resolve("events").resolve(event).resolve("format");
    if (!event.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+") || !Files.isRegularFile(format)) {
      return Optional.empty();
    }
    return Optional.of(FormatFile.parse(event.substring(0, event.indexOf('/')),
        Files.readString(format, StandardCharsets.ISO_8859_1)));
  }

  /** The events of a subsystem whose names start with {@code prefix}. */
  public List<String> events(String subsystem, String prefix) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir.resolve("events").resolve(subsystem))) {
      s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix))
          .sorted().forEach(n -> out.add(subsystem + "/" + n));
    }
    return out;
  }

  /** Sets the per-CPU buffer size. */
  public void bufferSizeKb(int kb) throws IOException {
    write(dir.resolve("buffer_size_kb"), Integer.toString(kb));
  }

  /**
   * Sets an event's filter; the kernel's refusal is an exception with the kernel's own message
   * and caret.
   */
  public synchronized void filter(String event, String filter) throws IOException {
    open();
    Path file = dir.resolve("events").resolve(event).resolve("filter");
    filtered.add(event);
    if (!tryWrite(file, filter)) {
      String shown = readOnce(file);
      write(file, "0");
      throw new IOException("the kernel refused the filter for " + event + ":\n" + shown.strip());
    }
  }

  public synchronized void enable(String event) throws IOException {
    open();
    enabled.add(event);
    write(dir.resolve("events").resolve(event).resolve("enable"), "1");
  }

  /** Stops an event {@link #enable}d earlier (its filter stays; {@link #close()} still clears it). */
  public synchronized void disable(String event) throws IOException {
    open();
    write(dir.resolve("events").resolve(event).resolve("enable"), "0");
  }

  /** Traces only these pids and, from now on, their children. */
  public void followPids(List<Long> pids) throws IOException {
    pidsSet = true;
    write(dir.resolve("options").resolve("event-fork"), "1");
    StringBuilder s = new StringBuilder();
    for (long p : pids) {
      s.append(p).append(' ');
    }
    write(dir.resolve("set_event_pid"), s.toString().strip());
  }

  /** Never records events of these pids (the tracer itself). */
  public void ignorePids(List<Long> pids) throws IOException {
    pidsSet = true;
    StringBuilder s = new StringBuilder();
    for (long p : pids) {
      s.append(p).append(' ');
    }
    write(dir.resolve("set_event_notrace_pid"), s.toString().strip());
  }

  /** Adds the thread group (process) id to every line, next to the thread id. */
  public void recordTgid() throws IOException {
    write(dir.resolve("options").resolve("record-tgid"), "1");
  }

  /** Writes a line into the instance's buffer (it wakes a reader of trace_pipe). */
  public void marker(String text) throws IOException {
    write(dir.resolve("trace_marker"), text);
  }

  /** The instance's trace_pipe: blocking, consuming reads of the buffer. */
  public BufferedReader pipe() throws IOException {
    return new BufferedReader(new InputStreamReader(new FileInputStream(dir.resolve("trace_pipe").toFile()), StandardCharsets.ISO_8859_1), 1 << 16);
  }

  /** Events the kernel could not keep (buffer overruns and drops, all CPUs). */
  public long lost() throws IOException {
    long lost = 0;
    try (Stream<Path> cpus = Files.list(dir.resolve("per_cpu"))) {
      for (Path cpu : cpus.toList()) {
        for (String line : readOnce(cpu.resolve("stats")).split("\n")) {
          if (line.startsWith("overrun:") || line.startsWith("dropped events:")) {
            lost += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
          }
        }
      }
    }
    return lost;
  }

  // After close (a shutdown hook's, while another thread still works), nothing may be enabled again.
  private void open() throws IOException {
    if (closed) {
      throw new IOException("the tracing instance " + dir.getFileName() + " was removed");
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException first = null;
    for (String e : enabled) {
      first = attempt(first, () -> write(dir.resolve("events").resolve(e).resolve("enable"), "0"));
    }
    for (String e : filtered) {
      first = attempt(first, () -> write(dir.resolve("events").resolve(e).resolve("filter"), "0"));
    }
    if (pidsSet) {
      first = attempt(first, () -> write(dir.resolve("set_event_pid"), ""));
      first = attempt(first, () -> write(dir.resolve("set_event_notrace_pid"), ""));
    }
    first = attempt(first, () -> Files.delete(dir));
    if (first != null) {
      throw first;
    }
  }

  private interface Step {
    void run() throws IOException;
  }

  private static IOException attempt(IOException first, Step step) {
    try {
      step.run();
      return first;
    } catch (IOException e) {
      if (first != null) {
        first.addSuppressed(e);
        return first;
      }
      return e;
    }
  }

  // One write(2), as 'echo' does: tracefs files act on each write.
  private static void write(Path file, String text) throws IOException {
    try (FileOutputStream out = new FileOutputStream(file.toFile())) {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  private static boolean tryWrite(Path file, String text) {
    try {
      write(file, text);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // Some tracefs files answer only a read at offset 0: read once with a large buffer.
  static String readOnce(Path file) throws IOException {
    try (FileInputStream in = new FileInputStream(file.toFile())) {
      byte[] buf = new byte[1 << 16];
      int n = in.read(buf);
      return new String(buf, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1);
    }
  }
}
