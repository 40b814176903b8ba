package org.evfilter.tests.kernel;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs inside a private mount namespace where tracefs is mounted at {@code args[0]}: for each
 * group of {@code args[1]} (an event, the stimuli that fire it, filters), sets each filter on the
 * event in a private tracing instance of its own (up to {@link #BATCH} at once), runs the trigger
 * program with the stimuli, and records which stimuli's events each filter kept. One more instance,
 * filtered only on the common fields the test assumes ({@code common_flags == 0 &&
 * common_preempt_count == 0}), confirms each event happened with those values. Every instance is
 * removed at the end, so nothing stays enabled.
 *
 * <p>Input: UTF trigger path, UTF scratch file; then groups of UTF event, UTF id pattern (a
 * regular expression a recorded line's text must contain, or empty), int stimuli and UTF each, int
 * filters and UTF each. Output per group: int length and the event's format file; per filter:
 * boolean accepted, then per stimulus boolean kept, boolean confirmed, int pid, long returned.
 */
public final class MatchProbe {
  private static final Pattern LINE = Pattern.compile("^\\s*.*-(\\d+)\\s+\\[\\d+\\]\\s+\\S+\\s+[\\d.]+: (.*)$");
  private static final Pattern MARKER = Pattern.compile("^tracing_mark_write: evfm (\\d+)$");
  private static final String CONFIRM = "common_flags == 0 && common_preempt_count == 0";

  private MatchProbe() {}

  /** Filters tried at once, each in an instance of its own, on one run of the trigger. */
  private static final int BATCH = 16;

  public static void main(String[] args) throws IOException, InterruptedException {
    Path instances = Path.of(args[0]).resolve("instances");
    String tag = "evfilter-match-" + ProcessHandle.current().pid();
    removeStale(instances);
    List<Path> made = new ArrayList<>();
    try {
      Path confirm = make(instances.resolve(tag + "-confirm"), made);
      List<Path> tests = new ArrayList<>();
      for (int i = 0; i < BATCH; i++) {
        tests.add(make(instances.resolve(tag + "-" + i), made));
      }
      try (DataInputStream in = new DataInputStream(Files.newInputStream(Path.of(args[1])));
          DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[2])))) {
        String trigger = in.readUTF();
        String scratch = in.readUTF();
        while (true) {
          String event;
          try {
            event = in.readUTF();
          } catch (EOFException end) {
            break;
          }
          Pattern id = Pattern.compile(in.readUTF());
          List<String> stimuli = strings(in);
          List<String> filters = strings(in);
          byte[] format = Files.readAllBytes(confirm.resolve("events").resolve(event).resolve("format"));
          out.writeInt(format.length);
          out.write(format);
          Trigger run = new Trigger(trigger, scratch, stimuli, id);
          Files.writeString(confirm.resolve("events").resolve(event).resolve("filter"), CONFIRM);
          for (int from = 0; from < filters.size(); from += BATCH) {
            List<String> batch = filters.subList(from, Math.min(filters.size(), from + BATCH));
            runBatch(tests.subList(0, batch.size()), confirm, event, batch, run, out);
          }
          Files.writeString(confirm.resolve("events").resolve(event).resolve("filter"), "0");
        }
      }
    } finally {
      for (Path p : made) {
        Files.delete(p);
      }
    }
  }

  // Instances are the kernel's, not the mount namespace's: a probe killed before its finally left
  // its own behind, named with its pid. Those of a probe still running are left alone.
  private static void removeStale(Path instances) throws IOException {
    Pattern ours = Pattern.compile("evfilter-match-(\\d+)-.*");
    try (var all = Files.list(instances)) {
      for (Path i : all.toList()) {
        Matcher m = ours.matcher(i.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          Files.delete(i);
        }
      }
    }
  }

  private static Path make(Path instance, List<Path> made) throws IOException {
    Files.createDirectory(instance);
    made.add(instance);
    // One clock for every CPU, so a marker and the event after it keep their order.
    Files.writeString(instance.resolve("trace_clock"), "global");
    Files.writeString(instance.resolve("buffer_size_kb"), "1024");
    return instance;
  }

  private static List<String> strings(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<String> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(in.readUTF());
    }
    return list;
  }

  /** The trigger program, its stimuli, and what identifies their events in a trace. */
  private record Trigger(String path, String scratch, List<String> stimuli, Pattern id) {}

  private static void runBatch(List<Path> tests, Path confirm, String event, List<String> filters, Trigger t,
      DataOutputStream out) throws IOException, InterruptedException {
    List<Path> live = new ArrayList<>(List.of(confirm));
    boolean[] accepted = new boolean[filters.size()];
    for (int f = 0; f < filters.size(); f++) {
      accepted[f] = TracefsProbe.write(tests.get(f).resolve("events").resolve(event).resolve("filter"),
          filters.get(f).getBytes(StandardCharsets.ISO_8859_1));
      if (accepted[f]) {
        live.add(tests.get(f));
      }
    }
    String[] report;
    int tries = 0;
    do {
      // A filter that keeps every process's events can fill a buffer: then the run is repeated.
      if (++tries > 5) {
        throw new IOException(event + ": events lost on every try; the machine is too busy");
      }
      for (Path i : live) {
        Files.writeString(i.resolve("trace"), "");
        Files.writeString(i.resolve("events").resolve(event).resolve("enable"), "1");
      }
      report = trigger(t, live);
      for (Path i : live) {
        Files.writeString(i.resolve("events").resolve(event).resolve("enable"), "0");
      }
    } while (lost(live));
    List<List<Integer>> confirmed = recorded(confirm, t.stimuli().size(), t.id());
    for (int f = 0; f < filters.size(); f++) {
      Path test = tests.get(f);
      TracefsProbe.write(test.resolve("events").resolve(event).resolve("filter"), "0".getBytes(StandardCharsets.US_ASCII));
      out.writeBoolean(accepted[f]);
      if (!accepted[f]) {
        continue;
      }
      List<List<Integer>> kept = recorded(test, t.stimuli().size(), t.id());
      for (int s = 0; s < t.stimuli().size(); s++) {
        String[] fields = report[s].trim().split(" ");
        int pid = Integer.parseInt(fields[1]);
        out.writeBoolean(kept.get(s).contains(pid));
        out.writeBoolean(confirmed.get(s).contains(pid));
        out.writeInt(pid);
        out.writeLong(Long.parseLong(fields[2]));
      }
    }
  }

  private static boolean lost(List<Path> instances) throws IOException {
    for (Path i : instances) {
      try (var cpus = Files.list(i.resolve("per_cpu"))) {
        for (Path cpu : cpus.toList()) {
          for (String line : Files.readAllLines(cpu.resolve("stats"))) {
            if ((line.startsWith("overrun: ") || line.startsWith("dropped events: "))
                && !line.substring(line.indexOf(':') + 1).trim().equals("0")) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  private static String[] trigger(Trigger t, List<Path> instances) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of(t.path()));
    argv.addAll(t.stimuli());
    ProcessBuilder pb = new ProcessBuilder(argv);
    StringBuilder markers = new StringBuilder();
    for (Path i : instances) {
      markers.append(markers.length() == 0 ? "" : ":").append(i.resolve("trace_marker"));
    }
    pb.environment().put("EVFM_MARKERS", markers.toString());
    pb.environment().put("EVFM_FILE", t.scratch());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException("trigger failed on " + t.stimuli() + ": " + report);
    }
    return report.split("\n");
  }

  // Per stimulus (0-based), the pids of the events recorded after its marker and before the next.
  private static List<List<Integer>> recorded(Path instance, int stimuli, Pattern id) throws IOException {
    List<List<Integer>> pids = new ArrayList<>();
    for (int s = 0; s < stimuli; s++) {
      pids.add(new ArrayList<>());
    }
    int current = -1;
    for (String line : Files.readAllLines(instance.resolve("trace"), StandardCharsets.ISO_8859_1)) {
      Matcher m = LINE.matcher(line);
      if (line.startsWith("#") || !m.matches()) {
        continue;
      }
      Matcher marker = MARKER.matcher(m.group(2));
      if (marker.matches()) {
        current = Integer.parseInt(marker.group(1)) - 1;
      } else if (current >= 0 && current < stimuli && id.matcher(m.group(2)).find()) {
        pids.get(current).add(Integer.parseInt(m.group(1)));
      }
    }
    return pids;
  }
}
