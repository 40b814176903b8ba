package org.evfilter.events.trace;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens trace readers and writers by format: the one entry point to the trace formats. */
public final class Traces {
  private Traces() {}

  /** A reader of {@code format} over {@code in}. */
  public static TraceReader reader(TraceFormat format, InputStream in) {
    return switch (format) {
      case TSV -> new TsvTraceReader(in);
      case JSONL -> new JsonLinesTraceReader(in);
      case STRACE -> new StraceTraceReader(in);
    };
  }

  /** A reader of the file, in its detected format. */
  public static TraceReader open(Path file) throws IOException {
    TraceFormat format = TraceFormat.detect(file).orElseThrow(() -> new IOException(
        file + ": cannot tell the trace format (give a .tsv, .jsonl or .strace name)"));
    return reader(format, Files.newInputStream(file));
  }

  /** A writer of {@code format} to {@code out}. */
  public static TraceWriter writer(TraceFormat format, OutputStream out) throws IOException {
    return switch (format) {
      case TSV -> new TsvTraceWriter(out);
      case JSONL -> new JsonLinesTraceWriter(out);
      case STRACE -> new StraceTraceWriter(out);
    };
  }

  /** Arguments a strace reader could not turn into numbers (0 for other readers). */
  public static long undecodedArguments(TraceReader reader) {
    return reader instanceof StraceTraceReader s ? s.undecodedArguments() : 0;
  }
}
