package org.evfilter.events.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The trace file formats: TSV, JSON Lines and strace logs. */
public enum TraceFormat {
  /** {@code # [arch] nr a0 a1 a2 a3 a4 a5} header, one event per line, decimal or 0x-hex. */
  TSV("tsv"),
  /** One JSON object per line: arch, nr or name, args or named arguments, pid, ts, ret, strings, a socket call's endpoint. */
  JSONL("jsonl"),
  /** {@code strace -f -ttt [-X raw]} output, symbolic or raw. */
  STRACE("strace");

  private final String id;

  TraceFormat(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static Optional<TraceFormat> of(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("json") || n.equals("ndjson")) {
      return Optional.of(JSONL);
    }
    return Arrays.stream(values()).filter(f -> f.id.equals(n)).findFirst();
  }

  /** The format of a file: by its extension, else by its first line that is neither blank nor a comment. */
  public static Optional<TraceFormat> detect(Path file) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = name.lastIndexOf('.');
    if (dot >= 0) {
      Optional<TraceFormat> byExtension = of(name.substring(dot + 1));
      if (byExtension.isPresent()) {
        return byExtension;
      }
    }
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
      String line;
      while ((line = r.readLine()) != null) {
        String t = line.strip();
        boolean comment = t.startsWith("#") && TsvTraceReader.header(t.substring(1)).isEmpty();
        if (t.isEmpty() || comment) {
          continue;
        }
        if (t.startsWith("{")) {
          return Optional.of(JSONL);
        }
        if (t.startsWith("#") || t.matches("[0-9a-fA-Fx\\s-]+") || t.matches("[a-z0-9_]+\\t.*")) {
          return Optional.of(TSV);
        }
        if (t.contains("(")) {
          return Optional.of(STRACE);
        }
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
