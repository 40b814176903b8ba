package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FormatFileException;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.FilterError;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.FilterParser;
import org.evfilter.grammar.Spelling;
import org.evfilter.predicates.BoundFilter;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.PolicySchemas;
import org.evfilter.predicates.BoundPolicy;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code evfilter check}: is a filter (or policy) valid, exactly as the kernel would judge it? */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Check an event filter as the kernel's tracefs 'filter' file would, or a policy file.",
      "",
      "Without --event or --format-file only the syntax and the values are checked.",
      "FILTER '-' reads one filter per line from standard input and prints one line per",
      "input line: 'ok', or 'error<TAB>COLUMN<TAB>MESSAGE' (COLUMN 0-based, where the kernel",
      "puts its caret; MESSAGE in the kernel's words).",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  evfilter check --event syscalls/sys_enter_openat 'filename.ustring ~ \"*passwd*\" && flags & 0x40'",
      "  evfilter check --event syscalls/sys_enter_openat --strict-ftrace 'flags & O_CREAT'",
      "  evfilter check --format-file /sys/kernel/tracing/events/sched/sched_switch/format 'prev_comm == \"bash\"'",
      "  printf 'common_pid == 1\\ncommon_pid == -\\n' | evfilter check --event raw_syscalls/sys_enter -",
      "  evfilter check --event seccomp/connect 'addr in {10.0.0.0/8, ::1/128} && port == 443'",
      "  evfilter check --policy samples/policies/valid/openat-labels.evf",
      "",
      "Exit status: 0 valid; 1 invalid (or any line invalid); 2 the environment refused."
    })
final class CheckCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Target {
    @Option(
        names = "--event",
        paramLabel = "SUBSYSTEM/EVENT",
        description = {
          "The event whose fields the filter uses: the bundled x86_64 syscall events",
          "(syscalls/sys_enter_*, syscalls/sys_exit_*, raw_syscalls/*), any event of",
          "the tracefs given by --tracefs, or seccomp/SYSCALL: what a policy rule on SYSCALL",
          "reads (registers, named arguments, label; on connect, bind, sendto, sendmsg the",
          "socket and its address: family, type, protocol, addr, port, path)."
        })
    String event;

    @Option(names = "--format-file", paramLabel = "FILE", description = "A tracefs 'format' file describing the event.")
    Path formatFile;

    @Option(
        names = "--policy",
        arity = "1..*",
        paramLabel = "FILE.evf",
        description = "Check policy files (with their includes and labels files) instead of a filter.")
    java.util.List<Path> policy;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Target target = new Target();

  @Option(
      names = "--tracefs",
      paramLabel = "DIR",
      description = "A mounted tracefs to read --event from when it is not bundled (default: /sys/kernel/tracing).")
  Path tracefs = Path.of("/sys/kernel/tracing");

  @Option(
      names = "--strict-ftrace",
      description = "Accept only what the kernel accepts: no symbolic constants, sets, masks, comments; at most 4095 bytes.")
  boolean strict;

  @Option(names = "--json", description = "Print results as JSON (one object per input line with '-').")
  boolean json;

  @Parameters(arity = "0..1", paramLabel = "FILTER", description = "The filter, or '-' to read filters from standard input.")
  String filter;

  InputStream stdin = System.in;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Dialect dialect = strict ? Dialect.FTRACE : Dialect.EVFILTER;
    if (target.policy != null) {
      if (filter != null) {
        err.println("evfilter check: give either --policy or a FILTER, not both");
        return Main.INPUT_ERROR;
      }
      if (strict) {
        err.println("evfilter check: --strict-ftrace checks filters; policy files are evfilter's own language");
        return Main.INPUT_ERROR;
      }
      int worst = 0;
      for (Path file : target.policy) {
        worst = Math.max(worst, checkPolicy(file, target.policy.size() > 1, out, err));
      }
      return worst;
    }
    if (filter == null) {
      err.println("evfilter check: missing FILTER (or --policy FILE); try 'evfilter check --help'");
      return Main.INPUT_ERROR;
    }
    FilterBinder binder;
    try {
      binder = schema().map(s -> FilterBinder.forEvent(s, dialect, KernelFacts.ofThisMachine()))
          .orElseGet(() -> FilterBinder.syntaxOnly(dialect, KernelFacts.ofThisMachine()));
    } catch (InputProblem p) {
      err.println("evfilter check: " + p.getMessage());
      return Main.INPUT_ERROR;
    } catch (EnvironmentProblem p) {
      err.println("evfilter check: " + p.getMessage());
      return Main.ENVIRONMENT_ERROR;
    }
    if (filter.equals("-")) {
      return checkLines(binder, out);
    }
    String text = FilterParser.kernelText(filter);
    try {
      BoundFilter bound = binder.bind("<filter>", text);
      if (json) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("ok", true).put("canonical", Text.display(bound.parsed().toCanonicalString()));
        bound.schema().ifPresent(s -> o.put("event", s.path()));
        out.println(o);
      } else {
        out.println("ok");
      }
      return 0;
    } catch (FilterException e) {
      return refused(e, out, err);
    }
  }

  private int checkLines(FilterBinder binder, PrintWriter out) {
    int failures = 0;
    int lineNo = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.ISO_8859_1))) {
      String line;
      while ((line = nextLine(in)) != null) {
        lineNo++;
        try {
          BoundFilter bound = binder.bind("<stdin>:" + lineNo, line);
          out.println(json
              ? Json.MAPPER.createObjectNode().put("line", lineNo).put("ok", true)
                  .put("canonical", Text.display(bound.parsed().toCanonicalString())).toString()
              : "ok");
        } catch (FilterException e) {
          failures++;
          FilterError error = e.error();
          int column = error.caretColumn(e.source().text().length());
          out.println(json
              ? errorJson(e).put("line", lineNo).toString()
              : "error\t" + column + "\t" + error.code().text());
        }
        if (!in.ready()) {
          out.flush();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.flush();
    return failures == 0 ? 0 : Main.INPUT_ERROR;
  }

  // Lines end at '\n' only: a '\r' is part of the filter (the kernel reads it as whitespace).
  private static String nextLine(BufferedReader in) throws IOException {
    StringBuilder line = new StringBuilder(128);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        return line.toString();
      }
      line.append((char) c);
    }
    return line.length() == 0 ? null : line.toString();
  }

  private int checkPolicy(Path file, boolean named, PrintWriter out, PrintWriter err) {
    try {
      BoundPolicy policy = PolicyBinder.load(file, KernelFacts.ofThisMachine());
      if (json) {
        out.println(Json.MAPPER.createObjectNode().put("ok", true).put("policy", file.toString())
            .put("rules", policy.rules().size()).put("default", policy.defaultAction().toString()));
      } else {
        out.println((named ? file + ": " : "") + "ok: " + policy.rules().size() + " rules, default "
            + policy.defaultAction());
      }
      return 0;
    } catch (FilterException e) {
      return refused(e, out, err);
    } catch (NoSuchFileException e) {
      err.println("evfilter check: no such file: " + e.getFile());
      return Main.INPUT_ERROR;
    } catch (IOException e) {
      err.println("evfilter check: cannot read " + file + ": " + e.getMessage());
      return Main.INPUT_ERROR;
    }
  }

  // A refused filter or policy: JSON on standard output, or the message and caret on standard error.
  private int refused(FilterException e, PrintWriter out, PrintWriter err) {
    if (json) {
      out.println(errorJson(e));
    } else {
      err.println(Text.display(e.render()));
    }
    return Main.INPUT_ERROR;
  }

  private ObjectNode errorJson(FilterException e) {
    FilterError error = e.error();
    int at = error.caretColumn(e.source().text().length());
    return Json.MAPPER.createObjectNode()
        .put("ok", false)
        .put("source", Text.display(e.source().name()))
        .put("code", error.code().name())
        .put("message", error.code().text())
        .put("detail", Text.display(error.detail()))
        .put("offset", at)
        .put("line", e.source().line(at))
        .put("column", e.source().column(at))
        .put("kernelError", error.code().isKernel());
  }

  private Optional<EventSchema> schema() {
    if (target.formatFile != null) {
      try {
        return Optional.of(FormatFiles.read(target.formatFile));
      } catch (NoSuchFileException e) {
        throw new InputProblem("no such format file: " + target.formatFile);
      } catch (IOException e) {
        throw new InputProblem("cannot read " + target.formatFile + ": " + e.getMessage());
      } catch (FormatFileException e) {
        throw new InputProblem(target.formatFile + ":" + e.line() + ": " + e.reason());
      }
    }
    if (target.event == null) {
      return Optional.empty();
    }
    if (!target.event.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")) {
      throw new InputProblem("--event takes SUBSYSTEM/EVENT, e.g. syscalls/sys_enter_openat, not '" + target.event + "'");
    }
    if (target.event.startsWith(PolicySchemas.SYSTEM + "/")) {
      try {
        return Optional.of(RuleEvent.schema(target.event));
      } catch (IllegalArgumentException e) {
        throw new InputProblem(e.getMessage());
      }
    }
    SchemaCatalog bundled = SchemaCatalog.bundled();
    Optional<EventSchema> s = bundled.find(target.event);
    String hint = Spelling.hint(target.event, bundled.events());
    if (s.isEmpty() && hint.isEmpty() && !Files.isDirectory(tracefs.resolve("events"))) {
      throw new EnvironmentProblem("'" + target.event + "' is not bundled and no tracefs is mounted at "
          + tracefs + " (mount it: mount -t tracefs nodev " + tracefs + ", or give --tracefs DIR"
          + " or --format-file FILE)");
    }
    if (s.isEmpty()) {
      s = SchemaCatalog.fromTracefs(tracefs, target.event);
    }
    return Optional.of(s.orElseThrow(() -> new InputProblem(
        "unknown event '" + target.event + "': not bundled and not in " + tracefs + "/events"
            + hint
            + " (bundled: syscalls/sys_enter_*, syscalls/sys_exit_*, raw_syscalls/*)")));
  }

  /** Something the machine lacks, reported with exit code 2. */
  private static final class EnvironmentProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EnvironmentProblem(String message) {
      super(message);
    }
  }

  /** A bad option value, reported with exit code 1. */
  private static final class InputProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InputProblem(String message) {
      super(message);
    }
  }
}
