package org.evfilter.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.trace.TraceFormat;
import org.evfilter.events.trace.TraceWriter;
import org.evfilter.events.trace.Traces;
import org.evfilter.events.tracefs.TraceLine;
import org.evfilter.events.tracefs.TracingInstance;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.ErrorCode;
import org.evfilter.grammar.FilterError;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.SourceText;
import org.evfilter.grammar.FilterParser;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.FtraceFilter;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.SeccompView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code evfilter trace}: live kernel events through a private tracefs instance. */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Trace live kernel events (syscalls by default) through a private ftrace instance.",
      "The filter is lowered to the kernel's own filter language and pushed into each event's",
      "'filter' file, so the kernel drops what does not match; what ftrace cannot say is",
      "evaluated here. With '-- CMD ARGS' only CMD and its children are traced; with --pid only",
      "those processes. Everything enabled or created is removed on exit, on Ctrl-C and on error.",
      "Needs root; tracefs is mounted in a private mount namespace when it is not mounted.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  evfilter trace --filter 'flags & O_CREAT' -- sh -c 'touch /tmp/x'",
      "  evfilter trace --event syscalls/sys_enter_execve --duration 10",
      "  evfilter trace --json --event syscalls/sys_enter_openat --pid 1234 > openat.jsonl",
      "",
      "Output: one line per event (ftrace's text, or JSON Lines with --json, a trace 'convert'",
      "reads), then a summary on standard error: events seen, matched, lost by the kernel buffer.",
      "Exit status: CMD's, when one is given; 2 when not root or tracefs cannot be had."
    })
final class TraceCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--event", paramLabel = "SUBSYSTEM/EVENT", description = "An event to trace (repeatable; default: every syscalls/sys_enter_* event the filter applies to).")
  List<String> events = new ArrayList<>();

  @Option(names = "--filter", paramLabel = "FILTER", description = "Only events that match (evfilter dialect: ftrace syntax plus names, sets, masks).")
  String filter;

  @Option(names = "--json", description = "JSON Lines output.")
  boolean json;

  @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop after this long (without CMD: default until Ctrl-C).")
  Double duration;

  @Option(names = "--pid", paramLabel = "PID", description = "Trace only this process and its new children (repeatable).")
  List<Long> pids = new ArrayList<>();

  @Option(names = "--buffer-kb", paramLabel = "KB", description = "Per-CPU ring buffer size (default: ${DEFAULT-VALUE}).")
  int bufferKb = 4096;

  @Parameters(paramLabel = "CMD", description = "The command to run and trace (after '--').")
  List<String> command = new ArrayList<>();

  private long seen;
  private long matched;
  private final SeccompView view = new SeccompView();
  private final CompiledFilter.Counter counter = new CompiledFilter.Counter();


  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (bufferKb < 1) {
      err.println("evfilter trace: --buffer-kb must be at least 1");
      return Main.INPUT_ERROR;
    }
    if (duration != null && !(duration > 0)) {
      err.println("evfilter trace: --duration must be a positive number of seconds");
      return Main.INPUT_ERROR;
    }
    if (!pids.isEmpty() && !command.isEmpty()) {
      err.println("evfilter trace: give --pid or a command to run, not both");
      return Main.INPUT_ERROR;
    }
    for (long pid : pids) {
      if (ProcessHandle.of(pid).isEmpty()) {
        err.println("evfilter trace: no process " + pid);
        return Main.INPUT_ERROR;
      }
    }
    if (!Tracefs.isRoot()) {
      err.println("evfilter trace: must run as root: tracefs and its event filters need CAP_SYS_ADMIN");
      return Main.ENVIRONMENT_ERROR;
    }
    Optional<Path> tracefs = TracingInstance.mounted();
    if (tracefs.isEmpty()) {
      return Tracefs.elsewhere("trace", err);
    }
    TracingInstance.removeStale(tracefs.get(), "evfilter");
    String name = "evfilter-" + ProcessHandle.current().pid();
    try (TracingInstance instance = TracingInstance.create(tracefs.get(), name)) {
      CountDownLatch finished = new CountDownLatch(1);
      String stop = "evfilter-stop-" + UUID.randomUUID();
      Thread hook = new Thread(() -> {
        // Ctrl-C: wake the reader, let it finish, then the instance is removed below or here.
        try {
          instance.marker(stop);
          finished.await(2, TimeUnit.SECONDS);
          remove(instance);
        } catch (IOException | InterruptedException e) {
          // Best effort on the way out.
        }
      }, "evfilter-trace-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        return trace(instance, stop, out, err);
      } finally {
        finished.countDown();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // The hook runs anyway.
        }
      }
    } catch (FilterException e) {
      err.println(Text.display(e.render()));
      return Main.INPUT_ERROR;
    } catch (IOException e) {
      err.println("evfilter trace: " + e.getMessage());
      return Main.ENVIRONMENT_ERROR;
    }
  }

  private int trace(TracingInstance instance, String stop, PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
    instance.bufferSizeKb(bufferKb);
    // Not record-tgid: with it the kernel shows '<...>' for commands it saw only briefly, and the
    // command name is worth more to a reader than the thread group; live events carry thread ids.
    Map<String, CompiledFilter> userSpace = new LinkedHashMap<>();
    List<String> chosen = configure(instance, userSpace, err);
    try {
      return run(instance, stop, out, err, userSpace, chosen);
    } finally {
      if (running != null && running.isAlive()) {
        // Never leave the command stopped behind us.
        running.destroyForcibly();
      }
    }
  }

  private Process running;

  private int run(TracingInstance instance, String stop, PrintWriter out, PrintWriter err,
      Map<String, CompiledFilter> userSpace, List<String> chosen) throws IOException, InterruptedException {
    Process child = null;
    if (!command.isEmpty()) {
      // The command stops itself before exec, so it is traced from its first instruction.
      List<String> argv = new ArrayList<>(List.of("sh", "-c", "kill -STOP $$ && exec \"$@\"", "evfilter-trace"));
      argv.addAll(command);
      child = new ProcessBuilder(argv).inheritIO().start();
      running = child;
      waitUntilStopped(child.pid());
      instance.followPids(List.of(child.pid()));
    } else if (!pids.isEmpty()) {
      instance.followPids(pids);
    } else {
      // Tracing everything: not this tracer's own reads of the buffer.
      instance.ignorePids(List.of(ProcessHandle.current().pid()));
    }
    for (String e : chosen) {
      instance.enable(e);
    }
    if (child != null) {
      new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).start().waitFor();
      Process c = child;
      daemon(() -> {
        c.waitFor();
        Thread.sleep(50);
        instance.marker(stop);
      });
    }
    if (duration != null) {
      long millis = (long) (duration * 1000);
      daemon(() -> {
        Thread.sleep(millis);
        instance.marker(stop);
      });
    }
    TraceWriter jsonOut = json ? Traces.writer(TraceFormat.JSONL, StandardStreams.out()) : null;
    try (BufferedReader pipe = instance.pipe()) {
      String line;
      while ((line = pipe.readLine()) != null) {
        Optional<TraceLine> t = TraceLine.parse(line);
        if (t.isEmpty()) {
          continue;
        }
        if (t.get().body().contains("tracing_mark_write: " + stop)) {
          break;
        }
        seen++;
        emit(t.get(), userSpace, jsonOut, out);
      }
    }
    if (jsonOut != null) {
      jsonOut.close();
    }
    out.flush();
    err.printf("evfilter trace: %d events seen, %d matched, %d lost by the kernel buffer%n", seen, matched, instance.lost());
    return child == null ? 0 : child.waitFor();
  }

  private void emit(TraceLine t, Map<String, CompiledFilter> userSpace, TraceWriter jsonOut, PrintWriter out) throws IOException {
    Optional<SyscallEvent> event = t.syscall(Arch.X86_64);
    if (!userSpace.isEmpty()) {
      CompiledFilter check = t.syscallEvent().map(userSpace::get).orElse(null);
      if (check != null && (event.isEmpty() || !check.matches(view.set(event.get(), 0), counter))) {
        return;
      }
    }
    matched++;
    if (jsonOut != null && event.isPresent()) {
      jsonOut.write(event.get());
    } else if (jsonOut != null) {
      // Not a syscall: its own text, in order with the syscall lines.
      jsonOut.flush();
      System.out.println(Json.MAPPER.createObjectNode()
          .put("pid", t.pid()).put("tid", t.tid()).put("comm", t.comm()).put("cpu", t.cpu()).put("ts", t.timestampNanos())
          .put("text", t.body()));
    } else {
      out.println(Text.display(t.text()));
    }
  }

  // Chooses the events, binds the filter to each, and pushes what ftrace can say into the kernel.
  private List<String> configure(TracingInstance instance, Map<String, CompiledFilter> userSpace, PrintWriter err) throws IOException {
    List<String> chosen = new ArrayList<>(events);
    boolean implicit = chosen.isEmpty();
    if (implicit) {
      chosen = instance.events("syscalls", "sys_enter_");
    }
    Map<String, EventSchema> schemas = new LinkedHashMap<>();
    for (String e : chosen) {
      Optional<EventSchema> schema = instance.schema(e);
      schema.ifPresent(s -> schemas.put(e, s));
      if (schema.isEmpty()) {
        throw refused("--event", e,
            "no event '" + e + "' on this kernel (see " + instance.directory().getParent().getParent() + "/events)");
      }
    }
    if (filter == null) {
      return chosen;
    }
    String text = FilterParser.kernelText(filter);
    KernelFacts facts = KernelFacts.ofThisMachine();
    List<String> applicable = new ArrayList<>();
    FilterException firstError = null;
    int inKernel = 0;
    for (String e : chosen) {
      Optional<EventSchema> schema = Optional.of(schemas.get(e));
      BoundExpression bound;
      try {
        bound = FilterBinder.forEvent(schema.get(), Dialect.EVFILTER, facts).bind("<filter>", text).expression().orElse(null);
      } catch (FilterException fe) {
        if (!implicit) {
          throw fe;
        }
        firstError = firstError == null ? fe : firstError;
        continue;
      }
      applicable.add(e);
      if (bound == null) {
        continue;
      }
      Optional<String> ftrace = FtraceFilter.render(bound);
      if (ftrace.isPresent()) {
        // What the kernel will run is checked by the kernel's rules before it is written.
        FilterBinder.forEvent(schema.get(), Dialect.FTRACE, facts).bind("<kernel filter>", ftrace.get());
        instance.filter(e, ftrace.get());
        inKernel++;
      } else {
        userSpace.put(e, userSpaceFilter(e, bound));
      }
    }
    if (applicable.isEmpty()) {
      throw firstError;
    }
    err.printf("evfilter trace: %d events; filter in the kernel for %d, in user space for %d%n",
        applicable.size(), inKernel, userSpace.size());
    return applicable;
  }

  // What ftrace cannot say is evaluated here, for syscall events, on what trace_pipe shows of them.
  private CompiledFilter userSpaceFilter(String event, BoundExpression bound) {
    String src = FilterParser.kernelText(filter);
    if (!event.startsWith("syscalls/") && !event.startsWith("raw_syscalls/")) {
      throw refused("--filter", src,
          "the kernel cannot run this filter on " + event + " and evfilter evaluates only syscall events itself;"
              + " write it in ftrace syntax (no ordered comparison of masked bits)");
    }
    if (mentionsText(bound)) {
      throw refused("--filter", src,
          "string predicates need the kernel (.ustring), but the rest of this filter cannot be pushed there");
    }
    try {
      return CompiledFilter.compile(bound, SeccompView.LAYOUT);
    } catch (IllegalArgumentException e) {
      throw refused("--filter", src,
          e.getMessage() + " in user space; only the kernel can, and it cannot run the whole filter");
    }
  }

  private static boolean mentionsText(BoundExpression e) {
    return e.anyAtom(atom -> atom instanceof Atom.Text);
  }

  private static FilterException refused(String option, String text, String detail) {
    return new FilterException(FilterError.of(ErrorCode.POLICY, 0, detail), new SourceText(option, text));
  }

  // The shutdown hook's way to remove the instance while the main thread still holds it.
  private static void remove(TracingInstance instance) throws IOException {
    instance.close();
  }

  private static void waitUntilStopped(long pid) throws IOException, InterruptedException {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    for (int i = 0; i < 2000; i++) {
      String s = Files.readString(stat);
      char state = s.charAt(s.lastIndexOf(')') + 2);
      if (state == 'T' || state == 't') {
        return;
      }
      Thread.sleep(1);
    }
    throw new IOException("the traced command did not stop before exec");
  }

  private interface Task {
    void run() throws Exception;
  }

  private static void daemon(Task task) {
    Thread t = new Thread(() -> {
      try {
        task.run();
      } catch (Exception e) {
        // The reader stops on its own when the instance goes.
      }
    }, "evfilter-trace-stop");
    t.setDaemon(true);
    t.start();
  }

}
