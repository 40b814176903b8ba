package org.evfilter.tests.ebpf;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FormatFile;
import org.evfilter.events.tracefs.TracingInstance;

/**
 * A trace event's format and id as this kernel gives them: from the mounted tracefs, or from one
 * mounted for the moment in a private mount namespace (ids are the kernel's, the same everywhere).
 */
record Tracepoints(EventSchema schema, long id) {
  static Tracepoints of(String system, String event) throws Exception {
    Optional<Path> tracefs = TracingInstance.mounted();
    String format;
    if (tracefs.isPresent()) {
      format = Files.readString(tracefs.get().resolve("events").resolve(system).resolve(event).resolve("format"),
          StandardCharsets.ISO_8859_1);
    } else {
      Process p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
          "mount -t tracefs nodev /sys/kernel/tracing && cat /sys/kernel/tracing/events/$1/$2/format", "sh", system, event)
          .redirectErrorStream(true).start();
      format = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("no format for " + system + "/" + event + ": " + format);
      }
    }
    long id = Long.parseLong(format.lines().filter(l -> l.startsWith("ID: ")).findFirst().orElseThrow().substring(4).trim());
    return new Tracepoints(FormatFile.parse(system, format), id);
  }
}
