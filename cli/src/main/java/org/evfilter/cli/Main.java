package org.evfilter.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code evfilter} command: per-task security rules written as ftrace event-filter strings.
 * Exit codes: 0 success, 1 the input was wrong, 2 the environment refused, 3 an internal bug.
 */
@Command(
    name = "evfilter",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Security rules as ftrace event-filter strings (Ingo Molnar's 2011 design),",
      "checked exactly as the kernel checks them and enforced through seccomp.",
      ""
    },
    footer = {
      "",
      "Exit status: 0 success; 1 the input was wrong (the message names the position);",
      "2 the environment refused (not root, no tracefs, kernel refused); 3 an internal bug.",
      "Run 'evfilter help COMMAND' or 'evfilter COMMAND --help' for a command's options."
    })
public final class Main implements Runnable {
  /** Exit code: the input was wrong. */
  public static final int INPUT_ERROR = 1;
  /** Exit code: the environment refused. */
  public static final int ENVIRONMENT_ERROR = 2;
  /** Exit code: an internal bug. */
  public static final int INTERNAL_ERROR = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private static volatile java.util.List<String> arguments = java.util.List.of();

  /** The command line this process was started with (to run it again in a new namespace). */
  static java.util.List<String> arguments() {
    return arguments;
  }

  public static void main(String[] args) {
    // Not auto-flushed: 'check -' writes a line per input line and flushes when input pauses.
    PrintWriter out = new PrintWriter(new java.io.BufferedWriter(
        new java.io.OutputStreamWriter(System.out, java.nio.charset.Charset.defaultCharset()), 1 << 16));
    System.exit(run(args, out, new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    arguments = java.util.List.of(args);
    int[] code = {INTERNAL_ERROR};
    // Filters may nest as deep as the kernel allows (about 2000 levels in 4 KiB): parse on a thread
    // whose stack holds that, whatever the JVM's default.
    Thread worker = new Thread(null, () -> code[0] = execute(args, out, err), "evfilter", 256L << 20);
    worker.start();
    try {
      worker.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    out.flush();
    err.flush();
    return code[0];
  }

  // The subcommands, in the order help lists them. Built on demand: picocli reads a command's
  // annotations when it is added, which costs every start about 20 ms per command.
  private static final java.util.Map<String, java.util.function.Supplier<Object>> COMMANDS = commands();

  private static java.util.Map<String, java.util.function.Supplier<Object>> commands() {
    java.util.Map<String, java.util.function.Supplier<Object>> m = new java.util.LinkedHashMap<>();
    m.put("demo", DemoCommand::new);
    m.put("check", CheckCommand::new);
    m.put("eval", EvalCommand::new);
    m.put("explain", ExplainCommand::new);
    m.put("replay", ReplayCommand::new);
    m.put("trace", TraceCommand::new);
    m.put("events", EventsCommand::new);
    m.put("convert", ConvertCommand::new);
    m.put("compile", CompileCommand::new);
    m.put("sim", SimCommand::new);
    m.put("import", ImportCommand::new);
    m.put("export", ExportCommand::new);
    m.put("run", RunCommand::new);
    m.put("serve", ServeCommand::new);
    m.put("compare", CompareCommand::new);
    m.put("learn", LearnCommand::new);
    m.put("completion", CompletionCommand::new);
    m.put("help", CommandLine.HelpCommand::new);
    return m;
  }

  /** The command line with every subcommand, or with {@code only} alone. */
  static CommandLine commandLine(boolean all, String... only) {
    CommandLine cmd = new CommandLine(new Main());
    if (all) {
      COMMANDS.forEach((name, make) -> cmd.addSubcommand(name, make.get()));
    } else {
      for (String name : only) {
        cmd.addSubcommand(name, COMMANDS.get(name).get());
      }
    }
    return cmd;
  }

  /** Runs one command line on the calling thread (the demo runs others this way). */
  static int execute(String[] args, PrintWriter out, PrintWriter err) {
    // A known command needs only itself; anything else (help, a typo, no command) gets them all.
    String first = args.length > 0 ? args[0] : "";
    CommandLine cmd = COMMANDS.containsKey(first) && !first.equals("help") ? commandLine(false, first) : commandLine(true);
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setParameterExceptionHandler(
        (ex, a) -> {
          err.println("evfilter: " + ex.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
          err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          return INPUT_ERROR;
        });
    cmd.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          err.println("evfilter: internal error: " + ex);
          for (StackTraceElement e : ex.getStackTrace()) {
            err.println("\tat " + e);
          }
          err.println("This is a bug in evfilter; please report it with the command line above.");
          return INTERNAL_ERROR;
        });
    try {
      return cmd.execute(args);
    } catch (OutOfMemoryError e) {
      err.println("evfilter: out of memory: the input is too large for this heap"
          + " (raise it with EVFILTER_JAVA_OPTS=-Xmx4g)");
      return ENVIRONMENT_ERROR;
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The version from the jar manifest, or "development". */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"evfilter " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
