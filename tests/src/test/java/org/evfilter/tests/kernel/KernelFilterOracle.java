package org.evfilter.tests.kernel;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Asks the running kernel what it makes of filters: mounts tracefs in a private mount namespace
 * ({@code unshare -m}), writes each filter to a real event's {@code filter} file in a private
 * tracing instance (see {@link TracefsProbe}), and reads back the verdict and the caret.
 */
final class KernelFilterOracle {
  /** One case: an event and the filter's bytes as one char per byte. */
  record Case(String event, String filter) {}

  /** The kernel's verdict: accepted, or the message and caret column it showed. */
  record Verdict(boolean accepted, Optional<String> message, int column, String raw) {}

  /** The kernel's answers: the format files asked for, and a verdict per case. */
  record Answers(java.util.Map<String, String> formats, List<Verdict> verdicts) {}

  private KernelFilterOracle() {}

  /** Why the kernel cannot be asked here, or empty when it can. */
  static Optional<String> unavailable() {
    return KernelAccess.unavailable();
  }

  static Answers ask(List<String> events, List<Case> cases, Path work) throws IOException, InterruptedException {
    Path run = Files.createTempDirectory(work, "probe");
    Path input = run.resolve("cases.bin");
    Path output = run.resolve("verdicts.bin");
    Path mount = Files.createDirectories(run.resolve("tracefs"));
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(input))) {
      out.writeInt(events.size());
      for (String e : events) {
        out.writeUTF(e);
      }
      for (Case c : cases) {
        byte[] bytes = c.filter().getBytes(StandardCharsets.ISO_8859_1);
        out.writeUTF(c.event());
        out.writeInt(bytes.length);
        out.write(bytes);
      }
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(
        "unshare", "-m", "--propagation", "private", "sh", "-c",
        "mount -t tracefs nodev \"$1\" && exec \"$2\" -cp \"$3\" " + TracefsProbe.class.getName()
            + " \"$1\" \"$4\" \"$5\"",
        "probe", mount.toString(), java, System.getProperty("java.class.path"), input.toString(), output.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException("tracefs probe failed (exit " + p.exitValue() + "): " + log);
    }
    List<Verdict> verdicts = new ArrayList<>();
    java.util.Map<String, String> formats = new java.util.LinkedHashMap<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(output))) {
      for (String e : events) {
        byte[] format = new byte[in.readInt()];
        in.readFully(format);
        formats.put(e, new String(format, StandardCharsets.ISO_8859_1));
      }
      for (Case c : cases) {
        boolean written = in.readBoolean();
        byte[] shown = new byte[in.readInt()];
        in.readFully(shown);
        verdicts.add(verdict(c, written, new String(shown, StandardCharsets.ISO_8859_1)));
      }
    }
    return new Answers(formats, verdicts);
  }

  // After a failed write the file shows '<filter>\n<spaces>^\nparse_error: <msg>\n', or
  // '<filter>\nError: (N)\n' without a position; after a refused write (>= 4096 bytes), the old filter.
  private static Verdict verdict(Case c, boolean written, String shown) {
    if (written) {
      return new Verdict(true, Optional.empty(), -1, shown);
    }
    String body = shown;
    while (body.endsWith("\n")) {
      body = body.substring(0, body.length() - 1);
    }
    int last = body.lastIndexOf('\n');
    String lastLine = body.substring(last + 1);
    if (lastLine.startsWith("parse_error: ")) {
      int prev = body.lastIndexOf('\n', last - 1);
      String caret = body.substring(prev + 1, last);
      return new Verdict(false, Optional.of(lastLine.substring("parse_error: ".length())), caret.indexOf('^'), shown);
    }
    if (lastLine.startsWith("Error: (")) {
      return new Verdict(false, Optional.of("Error"), -1, shown);
    }
    if (shown.equals("none\n")) {
      // The write was refused before parsing: the filter is still the reset one.
      return new Verdict(false, Optional.of("Filter too long"), -1, shown);
    }
    // Refused, but the message did not fit the page the kernel shows it in.
    return new Verdict(false, Optional.empty(), -1, shown);
  }
}
