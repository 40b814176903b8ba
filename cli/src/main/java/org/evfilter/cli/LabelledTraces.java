package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.trace.TraceReader;
import org.evfilter.events.trace.Traces;
import org.evfilter.events.vfs.VfsEvents;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Reading traces for a policy: every event with the label set of the object it names (by path,
 * through the policy's labels), a progress bar on large inputs, unreadable lines said.
 */
final class LabelledTraces {
  /** What is done with each event and its label set. */
  interface Sink {
    void accept(Path trace, SyscallEvent event, long labels);
  }

  private LabelledTraces() {}

  /**
   * Feeds every event of {@code traces} to {@code sink}. Returns how many lines could not be read,
   * or -1 after saying which trace does not exist.
   */
  static long read(String command, List<Path> traces, BoundPolicy policy, LabelResolver labels, PrintWriter err, Sink sink)
      throws IOException {
    boolean labelled = !policy.labels().isEmpty();
    long problems = 0;
    long total = 0;
    for (Path trace : traces) {
      long size;
      try {
        size = Files.size(trace);
      } catch (NoSuchFileException e) {
        err.println("evfilter " + command + ": no such trace: " + trace);
        return -1;
      }
      ProgressBar progress = ProgressBar.overBytes(err, size);
      try (TraceReader reader = Traces.open(trace)) {
        Optional<SyscallEvent> e;
        while ((e = reader.read()).isPresent()) {
          SyscallEvent event = e.get();
          // A socket call's labels are its endpoint's (network labels, or a unix path's file labels).
          long set = !labelled ? 0L : event.endpoint().isPresent() ? policy.labelsOf(event.endpoint().get(), labels)
              : VfsEvents.from(event).map(v -> labels.labels(v.path())).orElse(0L);
          sink.accept(trace, event, set);
          if ((++total & 0xfff) == 0) {
            progress.update(reader.bytesRead(), total);
          }
        }
        progress.done();
        problems += reader.problemCount();
        reader.problems().stream().limit(5).forEach(p -> err.println("evfilter " + command + ": " + trace + ":" + p));
      }
    }
    return problems;
  }
}
