package org.evfilter.tests.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.evfilter.events.tracefs.TracingInstance;

/**
 * Runs inside a private mount namespace with tracefs at {@code args[0]}: creates one tracing
 * instance per line of the spec {@code args[1]} ({@code NAME<TAB>EVENT[,EVENT...]<TAB>FILTER}, an
 * empty filter for none), runs the workload {@code args[3..]} once with every instance following it,
 * and writes each instance's {@code trace} to {@code args[2]/NAME.trace}. Every instance is
 * removed at the end.
 */
public final class DifferentialProbe {
  private DifferentialProbe() {}

  public static void main(String[] args) throws Exception {
    Path tracefs = Path.of(args[0]);
    Path out = Path.of(args[2]);
    List<String[]> spec = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.ISO_8859_1)) {
      spec.add(line.split("\t", -1));
    }
    List<String> workload = new ArrayList<>(List.of("sh", "-c", "kill -STOP $$ && exec \"$@\"", "probe"));
    workload.addAll(List.of(args).subList(3, args.length));
    Process child = new ProcessBuilder(workload).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    Path stat = Path.of("/proc", Long.toString(child.pid()), "stat");
    while (Files.readString(stat).charAt(Files.readString(stat).lastIndexOf(')') + 2) != 'T') {
      Thread.sleep(1);
    }
    List<TracingInstance> instances = new ArrayList<>();
    try {
      for (String[] s : spec) {
        TracingInstance i = TracingInstance.create(tracefs, "evfilter-diff-" + ProcessHandle.current().pid() + "-" + s[0]);
        instances.add(i);
        i.bufferSizeKb(1024);
        i.followPids(List.of(child.pid()));
        for (String event : s[1].split(",")) {
          if (!s[2].isEmpty()) {
            i.filter(event, s[2]);
          }
          i.enable(event);
        }
      }
      new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).start().waitFor();
      child.waitFor();
      for (int k = 0; k < spec.size(); k++) {
        Path trace = instances.get(k).directory().resolve("trace");
        Files.write(out.resolve(spec.get(k)[0] + ".trace"), readAll(trace));
        Files.writeString(out.resolve(spec.get(k)[0] + ".lost"), Long.toString(instances.get(k).lost()));
      }
    } finally {
      for (TracingInstance i : instances) {
        i.close();
      }
    }
  }

  // 'trace' is a seq_file: read it to the end.
  private static byte[] readAll(Path file) throws IOException {
    try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
      return in.readAllBytes();
    }
  }
}
