package org.evfilter.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.trace.TraceFormat;
import org.evfilter.events.trace.TraceProblem;
import org.evfilter.events.trace.TraceReader;
import org.evfilter.events.trace.TraceWriter;
import org.evfilter.events.trace.Traces;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code evfilter convert}: between strace logs, TSV and JSON Lines, streaming. */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Convert a trace between strace logs, TSV and JSON Lines, streaming in constant memory.",
      "Formats come from the file names (.strace, .tsv, .jsonl) or --from/--to; '-' is standard",
      "input or output. Lines that cannot be read are reported with their line numbers on",
      "standard error and make the exit status 1; the rest is converted.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  strace -f -ttt -X raw -o ls.strace ls; evfilter convert ls.strace -o ls.jsonl",
      "  evfilter convert --from tsv - --to jsonl -o - < events.tsv",
      "",
      "TSV keeps what seccomp sees (arch, nr, a0..a5) and pid, tid, ts, ret; JSON Lines also",
      "keeps the strings (paths) strace printed."
    })
final class ConvertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IN", description = "The trace to read ('-': standard input).")
  String input;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Where to write ('-': standard output).")
  String output;

  @Option(names = "--from", paramLabel = "FORMAT", description = "Input format: strace, tsv or jsonl.")
  String from;

  @Option(names = "--to", paramLabel = "FORMAT", description = "Output format: strace, tsv or jsonl.")
  String to;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    Optional<TraceFormat> in = format(from, input, true);
    Optional<TraceFormat> out = format(to, output, false);
    if (in.isEmpty() || out.isEmpty()) {
      err.println("evfilter convert: cannot tell the " + (in.isEmpty() ? "input" : "output")
          + " format; name the file .strace, .tsv or .jsonl, or give --" + (in.isEmpty() ? "from" : "to"));
      return Main.INPUT_ERROR;
    }
    if (!input.equals("-") && !output.equals("-") && Files.exists(Path.of(output))
        && Files.isSameFile(Path.of(input), Path.of(output))) {
      err.println("evfilter convert: the output would overwrite the input " + input);
      return Main.INPUT_ERROR;
    }
    long start = System.nanoTime();
    long events = 0;
    try (InputStream is = input.equals("-") ? System.in : Files.newInputStream(Path.of(input));
        TraceReader reader = Traces.reader(in.get(), is);
        OutputStream os = output.equals("-") ? StandardStreams.out() : Files.newOutputStream(Path.of(output));
        TraceWriter writer = Traces.writer(out.get(), os)) {
      ProgressBar progress = ProgressBar.overBytes(err, input.equals("-") ? -1 : Files.size(Path.of(input)));
      Optional<SyscallEvent> e;
      while ((e = reader.read()).isPresent()) {
        writer.write(e.get());
        if ((++events & 0xfff) == 0) {
          progress.update(reader.bytesRead(), events);
        }
      }
      progress.done();
      double seconds = (System.nanoTime() - start) / 1e9;
      err.printf("evfilter convert: %d events from %d lines in %.2f s (%.0f events/s)%s%n", events, reader.lines(),
          seconds, events / Math.max(seconds, 1e-9),
          Traces.undecodedArguments(reader) > 0 ? "; " + Traces.undecodedArguments(reader) + " arguments not decoded (left 0)" : "");
      if (reader.problemCount() > 0) {
        err.println("evfilter convert: " + reader.problemCount() + " lines could not be read:");
        int shown = 0;
        for (TraceProblem p : reader.problems()) {
          if (shown++ == 20) {
            err.println("  ... (" + (reader.problemCount() - 20) + " more)");
            break;
          }
          err.println("  " + input + ":" + p);
        }
        return Main.INPUT_ERROR;
      }
      return 0;
    } catch (NoSuchFileException e) {
      err.println("evfilter convert: no such file: " + e.getFile());
      return Main.INPUT_ERROR;
    } catch (IOException e) {
      err.println("evfilter convert: " + e.getMessage());
      return Main.INPUT_ERROR;
    }
  }

  private static Optional<TraceFormat> format(String given, String file, boolean sniff) throws IOException {
    if (given != null) {
      return TraceFormat.of(given);
    }
    if (file.equals("-")) {
      return Optional.empty();
    }
    Path p = Path.of(file);
    if (sniff && Files.exists(p)) {
      return TraceFormat.detect(p);
    }
    String name = p.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? Optional.empty() : TraceFormat.of(name.substring(dot + 1));
  }

}
