package org.evfilter.tests.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.evfilter.tests.run.CPrograms;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The match side of kernel conformance: filters set on real events of the running kernel, events
 * fired with known field values, and what the kernel kept compared with what {@code evfilter eval}
 * decides for the same event, filter by filter, in every category of field the kernel filters
 * (each width and sign, arrays, fixed, dynamic and user strings, {@code comm}, {@code cpu},
 * {@code CPUS{...}}, every glob form). Goal and assertion: 100 % agreement in every category.
 */
@Tag("kernel")
class MatchConformanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void evalDecidesEveryEventAsTheKernelFilterDoes(@TempDir Path work) throws Exception {
    KernelAccess.assumeAvailable("match conformance");

    Path trigger = CPrograms.build("match_trigger", false);
    Path bin = Files.createDirectories(work.resolve("bin"));
    boolean twoCpus = Runtime.getRuntime().availableProcessors() >= 2;
    List<MatchCorpus.Group> groups = MatchCorpus.groups(bin, twoCpus);
    List<Run> runs;
    try {
      for (String name : MatchCorpus.EXEC_NAMES) {
        Files.createSymbolicLink(bin.resolve(name), Path.of("/bin/true"));
      }
      runs = probe(groups, trigger, work);
    } finally {
      for (String name : MatchCorpus.EXEC_NAMES) {
        Files.deleteIfExists(bin.resolve(name));
      }
    }
    Map<String, int[]> tally = new TreeMap<>();
    List<String> differences = new ArrayList<>();
    int unconfirmed = 0;
    int observed = 0;
    for (Run run : runs) {
      List<String> lines = new ArrayList<>();
      List<Asked> what = new ArrayList<>();
      for (FilterRun fr : run.filters()) {
        assertTrue(fr.accepted(), () -> run.group().event() + ": the kernel refused '" + fr.filter().text() + "'");
        List<Map<String, Object>> events = MatchCorpus.events(run.group(), fr.pids(), fr.returned(), run.formatId());
        for (int s = 0; s < events.size(); s++) {
          if (events.get(s) == null) {
            continue;
          }
          observed++;
          if (!fr.confirmed()[s]) {
            unconfirmed++;
            continue;
          }
          // The confirming instance saw the event's flags as 0, but each instance writes its own copy
          // and a need-resched bit can be set between the two writes on a busy machine: a filter on
          // common_flags is also asked with those bits, and an answer only they explain is left out.
          List<Object> flags = fr.filter().text().contains("common_flags") ? RESCHED_FLAGS : List.of();
          for (Object f : prepend(events.get(s).get("common_flags"), flags)) {
            Map<String, Object> event = new LinkedHashMap<>(events.get(s));
            event.put("common_flags", f);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("filter", fr.filter().text());
            line.put("event", event);
            lines.add(JSON.writeValueAsString(line));
          }
          what.add(new Asked(fr.filter().category(), fr.filter().text(), events.get(s).toString(),
              fr.kept()[s] ? "match" : "no match", 1 + flags.size()));
        }
      }
      List<String> answers = eval(run.format(), lines, work);
      int asked = what.stream().mapToInt(Asked::variants).sum();
      assertEquals(asked, answers.size(), "one answer per event");
      int at = 0;
      for (Asked w : what) {
        List<String> mine = answers.subList(at, at + w.variants());
        at += w.variants();
        if (!mine.get(0).equals(w.kernel()) && mine.contains(w.kernel())) {
          unconfirmed++; // explained only by flags that changed between the instances
          continue;
        }
        int[] t = tally.computeIfAbsent(w.category(), k -> new int[2]);
        t[1]++;
        if (mine.get(0).equals(w.kernel())) {
          t[0]++;
        } else {
          differences.add(run.group().event() + ": " + w.filter() + " on " + w.event() + ": kernel " + w.kernel() + ", evfilter " + mine.get(0));
        }
      }
    }
    StringBuilder report = new StringBuilder("\nMatch conformance against the running kernel (category: agree/cases):\n");
    tally.forEach((c, t) -> report.append(String.format("  %-22s %5d/%-5d %6.2f%%%n", c, t[0], t[1], 100.0 * t[0] / t[1])));
    report.append("  events not confirmed with common_flags == 0 && common_preempt_count == 0, or whose flags changed between instances (left out): ")
        .append(unconfirmed).append(" of ").append(observed).append('\n');
    differences.stream().limit(40).forEach(d -> report.append("  DIFFERS ").append(d).append('\n'));
    System.out.println(report);
    assertTrue(differences.isEmpty(), report::toString);
    assertTrue(tally.keySet().containsAll(MatchCorpus.CATEGORIES), () -> "categories not covered: " + report);
    assertTrue(unconfirmed * 20 < observed, () -> "too many events with unexpected common fields: " + report);
  }

  // TRACE_FLAG_NEED_RESCHED_LAZY (0x02), TRACE_FLAG_NEED_RESCHED (0x04), TRACE_FLAG_PREEMPT_RESCHED
  // (0x20) and their combinations: the bits of common_flags that change while a task runs.
  private static final List<Object> RESCHED_FLAGS = List.of(0x02, 0x04, 0x06, 0x20, 0x22, 0x24, 0x26);

  // One event asked of eval under one filter: the kernel's answer, and how many lines were asked
  // (the event as confirmed, then with each need-resched variant of its flags).
  private record Asked(String category, String filter, String event, String kernel, int variants) {}

  private static List<Object> prepend(Object first, List<Object> rest) {
    List<Object> all = new ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all;
  }

  private record FilterRun(MatchCorpus.Filter filter, boolean accepted, boolean[] kept, boolean[] confirmed,
      int[] pids, long[] returned) {}

  private record Run(MatchCorpus.Group group, String format, int formatId, List<FilterRun> filters) {}

  private static List<Run> probe(List<MatchCorpus.Group> groups, Path trigger, Path work) throws Exception {
    Path input = work.resolve("match.in");
    Path output = work.resolve("match.out");
    Path mount = Files.createDirectories(work.resolve("tracefs"));
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(input))) {
      out.writeUTF(trigger.toString());
      out.writeUTF(work.resolve("scratch").toString());
      for (MatchCorpus.Group g : groups) {
        out.writeUTF(g.event());
        out.writeUTF(g.idPattern());
        out.writeInt(g.stimuli().size());
        for (String s : g.stimuli()) {
          out.writeUTF(s);
        }
        out.writeInt(g.filters().size());
        for (MatchCorpus.Filter f : g.filters()) {
          out.writeUTF(f.text());
        }
      }
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
        "mount -t tracefs nodev \"$1\" && exec \"$2\" -cp \"$3\" " + MatchProbe.class.getName() + " \"$1\" \"$4\" \"$5\"",
        "probe", mount.toString(), java, System.getProperty("java.class.path"), input.toString(), output.toString())
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0, () -> "match probe failed: " + log);
    List<Run> runs = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(output))) {
      for (MatchCorpus.Group g : groups) {
        byte[] format = new byte[in.readInt()];
        in.readFully(format);
        String text = new String(format, StandardCharsets.ISO_8859_1);
        int id = Integer.parseInt(text.lines().filter(l -> l.startsWith("ID: ")).findFirst().orElseThrow().substring(4).trim());
        List<FilterRun> filters = new ArrayList<>();
        for (MatchCorpus.Filter f : g.filters()) {
          boolean accepted = in.readBoolean();
          int n = accepted ? g.stimuli().size() : 0;
          boolean[] kept = new boolean[n];
          boolean[] confirmed = new boolean[n];
          int[] pids = new int[n];
          long[] returned = new long[n];
          for (int s = 0; s < n; s++) {
            kept[s] = in.readBoolean();
            confirmed[s] = in.readBoolean();
            pids[s] = in.readInt();
            returned[s] = in.readLong();
          }
          filters.add(new FilterRun(f, accepted, kept, confirmed, pids, returned));
        }
        runs.add(new Run(g, text, id, filters));
      }
    }
    return runs;
  }

  // evfilter eval, as a user runs it: the event's format file and JSON Lines on standard input.
  private static List<String> eval(String format, List<String> lines, Path work) throws Exception {
    Path formatFile = Files.createTempFile(work, "format", ".txt");
    Files.writeString(formatFile, format, StandardCharsets.ISO_8859_1);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.evfilter.cli.Main",
        "eval", "--format-file", formatFile.toString(), "-").redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Thread feeder = new Thread(() -> {
      try (OutputStream o = p.getOutputStream()) {
        for (String l : lines) {
          o.write((l + "\n").getBytes(StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    feeder.start();
    List<String> answers = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    feeder.join();
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "eval did not finish");
    return answers;
  }
}
