package org.evfilter.tests.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A million-event trace streams through {@code evfilter convert} in a JVM whose heap is far
 * smaller than the trace: memory does not grow with the input.
 */
class ConvertStreamingTest {
  private static final int EVENTS = 1_000_000;

  @Test
  void aMillionEventsInA32MegabyteHeap(@TempDir Path work) throws Exception {
    Path tsv = work.resolve("big.tsv");
    Random r = new Random(7);
    int[] nrs = {0, 1, 3, 9, 257, 59, 87};
    try (BufferedWriter w = Files.newBufferedWriter(tsv, StandardCharsets.ISO_8859_1)) {
      w.write("# arch nr a0 a1 a2 a3 a4 a5 pid ts\n");
      for (int i = 0; i < EVENTS; i++) {
        w.write("x86_64\t" + nrs[r.nextInt(nrs.length)] + "\t0x" + Long.toHexString(r.nextLong() >>> 17) + "\t0x"
            + Integer.toHexString(r.nextInt(1 << 20)) + "\t" + r.nextInt(4096) + "\t0\t0\t0\t" + (1000 + i % 7) + "\t"
            + (1_700_000_000_000_000_000L + i) + "\n");
      }
    }
    assertTrue(Files.size(tsv) > 60L << 20, "the trace is larger than the heap");
    Path jsonl = work.resolve("big.jsonl");
    ChildJvm.Result toJson = ChildJvm.evfilter(work, List.of("-Xmx32m", "-XX:+UseSerialGC"), "convert", tsv.toString(), "-o", jsonl.toString());
    assertEquals(0, toJson.code(), toJson.err());
    assertTrue(toJson.err().contains(EVENTS + " events"), toJson.err());
    System.out.println("convert TSV -> JSON Lines, 1M events, -Xmx32m: " + toJson.err().strip());
    Path back = work.resolve("back.tsv");
    ChildJvm.Result toTsv = ChildJvm.evfilter(work, List.of("-Xmx32m", "-XX:+UseSerialGC"), "convert", jsonl.toString(), "-o", back.toString());
    assertEquals(0, toTsv.code(), toTsv.err());
    System.out.println("convert JSON Lines -> TSV, 1M events, -Xmx32m: " + toTsv.err().strip());
    try (var lines = Files.lines(back, StandardCharsets.ISO_8859_1)) {
      assertEquals(EVENTS + 1, lines.count());
    }
  }
}
