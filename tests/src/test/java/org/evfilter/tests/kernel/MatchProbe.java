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
 * event in a private tracing instance, runs the trigger program with the stimuli, and records which
 * stimuli's events the kernel kept. A second instance, filtered only on the common fields the test
 * assumes ({@code common_flags == 0 && common_preempt_count == 0}), confirms each event happened
 * with those values. Both instances are removed at the end, so nothing stays enabled.
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

  public static void main(String[] args) throws IOException, InterruptedException {
    Path tracefs = Path.of(args[0]);
    String tag = "evfilter-match-" + ProcessHandle.current().pid();
    Path test = tracefs.resolve("instances").resolve(tag);
    Path confirm = tracefs.resolve("instances").resolve(tag + "-confirm");
    Files.createDirectory(test);
    try {
      Files.createDirectory(confirm);
      try (DataInputStream in = new DataInputStream(Files.newInputStream(Path.of(args[1])));
          DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[2])))) {
        String trigger = in.readUTF();
        String scratch = in.readUTF();
        for (Path i : List.of(test, confirm)) {
          // One clock for every CPU, so a marker and the event after it keep their order.
          Files.writeString(i.resolve("trace_clock"), "global");
          Files.writeString(i.resolve("buffer_size_kb"), "512");
        }
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
          byte[] format = Files.readAllBytes(test.resolve("events").resolve(event).resolve("format"));
          out.writeInt(format.length);
          out.write(format);
          Files.writeString(confirm.resolve("events").resolve(event).resolve("filter"), CONFIRM);
          for (String filter : filters) {
            runOne(test, confirm, event, id, filter, stimuli, trigger, scratch, out);
          }
          Files.writeString(confirm.resolve("events").resolve(event).resolve("filter"), "0");
        }
      } finally {
        Files.delete(confirm);
      }
    } finally {
      Files.delete(test);
    }
  }

  private static List<String> strings(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<String> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(in.readUTF());
    }
    return list;
  }

  private static void runOne(Path test, Path confirm, String event, Pattern id, String filter, List<String> stimuli,
      String trigger, String scratch, DataOutputStream out) throws IOException, InterruptedException {
    Path filterFile = test.resolve("events").resolve(event).resolve("filter");
    boolean accepted = write(filterFile, filter.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBoolean(accepted);
    if (!accepted) {
      return;
    }
    for (Path i : List.of(test, confirm)) {
      Files.writeString(i.resolve("trace"), "");
      Files.writeString(i.resolve("events").resolve(event).resolve("enable"), "1");
    }
    List<String> argv = new ArrayList<>(List.of(trigger));
    argv.addAll(stimuli);
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().put("EVFM_MARKERS", test.resolve("trace_marker") + ":" + confirm.resolve("trace_marker"));
    pb.environment().put("EVFM_FILE", scratch);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException("trigger failed on " + stimuli + ": " + report);
    }
    for (Path i : List.of(test, confirm)) {
      Files.writeString(i.resolve("events").resolve(event).resolve("enable"), "0");
    }
    Files.writeString(filterFile, "0");
    List<List<Integer>> kept = recorded(test, stimuli.size(), id);
    List<List<Integer>> confirmed = recorded(confirm, stimuli.size(), id);
    String[] lines = report.split("\n");
    for (int s = 0; s < stimuli.size(); s++) {
      String[] f = lines[s].trim().split(" ");
      int pid = Integer.parseInt(f[1]);
      out.writeBoolean(kept.get(s).contains(pid));
      out.writeBoolean(confirmed.get(s).contains(pid));
      out.writeInt(pid);
      out.writeLong(Long.parseLong(f[2]));
    }
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

  private static boolean write(Path file, byte[] bytes) {
    try (java.io.FileOutputStream o = new java.io.FileOutputStream(file.toFile())) {
      o.write(bytes);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
