package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.compare.DesignComparison;
import org.evfilter.compare.PolicyGrowth;
import org.evfilter.events.SyscallEvent;
import org.evfilter.lsm.bpf.BpfException;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.labels.LabelResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code evfilter compare}: the event-filter design against the BPF design, on the same events. */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description = {
      "Run the same events through both designs and compare decisions and costs.",
      "Ingo Molnar's design (the policy's event filters in the predicate engine, with and without its"
          + " AVC) against the one Linux merged (the seccomp BPF program the policy compiles to, in the"
          + " kernel-exact interpreter; where the program defers to user space, the supervisor's"
          + " evaluation). Every disagreement is listed with the event and both verdicts; events BPF"
          + " defers (labels, paths) are counted apart. Costs side by side: predicates evaluated against"
          + " instructions executed per event and per syscall, ns per event for the engine, the engine"
          + " with the AVC and the interpreter (same JVM, same events), the AVC hit rate, program length,"
          + " rules lowered and deferred, syscalls the kernel's action cache answers. The sweep grows the"
          + " policy by N rules (label, ioctl and socket rules in turn) and charts how each design's cost"
          + " grows. Writes report.md, report.html and the charts (PNG and SVG) to --out.",
      "With --kernel, the two engines where they live: a syscall loop (--syscall) and CMD run, interleaved and"
          + " repeated, under nothing, the policy's seccomp program, the policy's rules as the filters of the syscall trace"
          + " events (made to match nothing: the cost is the evaluation), both, and Landlock where the policy lowers to it;"
          + " then the loop again as the policy grows by --rules. Reports ns per call (median, spread), overhead, the cost"
          + " per added rule of each engine, and which rules ftrace could not carry. Everything enabled in tracefs is removed"
          + " on exit, Ctrl-C and error.",
      ""
    },
    footer = {"", "Examples:",
      "  evfilter compare --policy samples/policies/valid/cat.evf samples/traces/cat.strace",
      "  evfilter compare --policy P.evf --labels my_contexts trace1.jsonl trace2.tsv --out report/ --sweep 0,100,400",
      "  evfilter compare --policy P.evf --bpf other.bpf trace.strace   # another lowering of the same policy",
      "  evfilter compare --kernel --policy docker.evf --out kernel-report -- sh -c 'ls -R /usr/share >/dev/null'",
      "  evfilter compare --kernel --policy samples/policies/valid/workspace.evf --syscall openat:-100,@/etc/hostname,0",
      "", "Exit status: 0 the designs agree; 1 they disagree on some event, or a bad policy or trace."})
final class CompareCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--policy", required = true, paramLabel = "FILE.evf", description = "The policy.")
  Path policyFile;

  @Mixin LabelsOption labelsOption;

  @Parameters(arity = "0..*", paramLabel = "TRACE|CMD", description = "Traces (.strace, .tsv, .jsonl); with --kernel, the"
      + " command to run under each configuration (after --).")
  List<String> positional = new ArrayList<>();

  List<Path> traces;

  @Option(names = "--kernel", description = "Compare the two engines inside the kernel: the syscall trace events with the"
      + " policy's rules as their filters against the policy's seccomp program (and Landlock), on a built-in syscall loop and"
      + " on CMD. Needs root.")
  boolean kernel;

  @Option(names = "--syscall", paramLabel = "NAME[:ARG,...]", defaultValue = "personality:0xffffffff",
      description = "With --kernel: the syscall the loop makes, with its arguments (numbers; @TEXT for a pointer to TEXT),"
          + " e.g. openat:-100,@/etc/hostname,0 (its descriptors are closed). Default: ${DEFAULT-VALUE}.")
  String loopSyscall;

  @Option(names = "--rules", paramLabel = "N,N...", split = ",", defaultValue = "1,10,100,400",
      description = "With --kernel: rules added on the loop's syscall to grow the policy (default: ${DEFAULT-VALUE}).")
  List<Integer> rules;

  @Option(names = "--repeat", paramLabel = "N", defaultValue = "5",
      description = "With --kernel: rounds, each running every configuration in turn (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--calls", paramLabel = "N", defaultValue = "200000",
      description = "With --kernel: syscalls a measurement makes (default: ${DEFAULT-VALUE}).")
  long calls;

  @Option(names = "--landlock-abi", paramLabel = "N", description = "With --kernel: use Landlock ABI N at most.")
  Integer landlockAbi;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "compare-report",
      description = "Where report.md, report.html and the charts go (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--sweep", paramLabel = "N,N...", split = ",", defaultValue = "0,10,50,100,200,400",
      description = "Rules to add for the policy-size sweep (default: ${DEFAULT-VALUE}); --sweep 0 to skip it.")
  List<Integer> sweep;

  @Option(names = "--timed", paramLabel = "N", defaultValue = "100000",
      description = "Events the ns/event timings run over (the first ones; default: ${DEFAULT-VALUE}).")
  int timed;

  @Option(names = "--bpf", paramLabel = "FILE", description = "Compare with this raw program instead of the compiled one.")
  Path bpf;

  @Option(names = "--show", paramLabel = "N", defaultValue = "20", description = "Disagreements to list (default: ${DEFAULT-VALUE}).")
  int show;

  @Option(names = "--json", description = "Print the summary as JSON (the report is written as well).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (kernel) {
      return KernelCompare.run(this, stdout, err);
    }
    if (positional.isEmpty()) {
      err.println("evfilter compare: no trace given (TRACE...), or --kernel to compare inside the kernel");
      return Main.INPUT_ERROR;
    }
    traces = positional.stream().map(Path::of).toList();
    Optional<BoundPolicy> loaded = PolicyFiles.load("compare", policyFile, labelsOption.files, err);
    if (loaded.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    BoundPolicy policy = loaded.get();
    SeccompCompiler.Compilation compilation;
    BpfProgram program;
    try {
      compilation = SeccompCompiler.compile(policy, SeccompCompiler.Options.defaults().withArch(policy.arch()));
      program = bpf == null ? compilation.program() : BpfProgram.fromRaw(Files.readAllBytes(bpf));
    } catch (NoSuchFileException e) {
      err.println("evfilter compare: no such file: " + e.getFile());
      return Main.INPUT_ERROR;
    } catch (BpfException e) {
      err.println("evfilter compare: " + (bpf == null ? policyFile : bpf) + ": " + e.getMessage());
      return Main.INPUT_ERROR;
    }
    LabelResolver labels = policy.labelResolver(16384, org.evfilter.lsm.natives.LinuxXattrs.reader());
    List<SyscallEvent> events = new ArrayList<>();
    List<Long> sets = new ArrayList<>();
    long problems = LabelledTraces.read("compare", traces, policy, labels, err, (trace, event, set) -> {
      events.add(event);
      sets.add(set);
    });
    if (problems < 0) {
      return Main.INPUT_ERROR;
    }
    if (problems > 0) {
      err.println("evfilter compare: " + problems + " trace lines could not be read: fix or drop them, nothing is compared on a partial trace");
      return Main.INPUT_ERROR;
    }
    long[] labelSets = sets.stream().mapToLong(Long::longValue).toArray();
    DesignComparison.Result result = DesignComparison.compare(policy, compilation, program, events, labelSets, show, timed, 65536);
    List<CompareReport.SweepPoint> points = new ArrayList<>();
    List<Integer> sizes = sweep.stream().filter(n -> n >= 0).distinct().sorted().toList();
    if (sizes.size() > 1 || sizes.size() == 1 && sizes.get(0) > 0) {
      int timedSweep = Math.min(timed, 20000);
      ProgressBar progress = ProgressBar.ofSteps(err, "evfilter compare: sweep, ");
      for (int n : sizes) {
        progress.step("policy + " + n + " rules ...");
        BoundPolicy grown = PolicyGrowth.grow(policyFile, policy, n);
        SeccompCompiler.Compilation gc = SeccompCompiler.compile(grown, SeccompCompiler.Options.defaults().withArch(grown.arch()));
        DesignComparison.Result g = DesignComparison.compare(grown, gc, gc.program(), events, labelSets, 0, timedSweep, 65536);
        points.add(new CompareReport.SweepPoint(n, grown.rules().size(), g));
      }
      progress.done();
    }
    Files.createDirectories(out);
    CompareReport.write(out, policyFile, traces, bpf, result, points);
    if (json) {
      stdout.println(summary(result, points));
    } else {
      stdout.printf("%d events: %d agree, %d deferred to the supervisor, %d disagree%n", result.events(), result.agreed(),
          result.deferred(), result.disagreements());
      stdout.printf("event filters: %.2f predicates/event, %.0f ns/event, %.0f ns/event with the AVC (hit rate %.1f%%)%n",
          result.predicatesPerEvent(), result.timing().engineNs(), result.timing().engineWithAvcNs(), 100 * result.avc().hitRate());
      stdout.printf("seccomp BPF:   %.2f instructions/event (%.2f with the kernel's action cache), %.0f ns/event interpreted;"
          + " %d instructions, %d rules lowered, %d deferred, %d syscalls cacheable%n", result.instructionsPerEvent(),
          result.instructionsWithActionCache(), result.timing().bpfNs(), result.programLength(), result.rulesLowered(),
          result.rulesDeferred(), result.cacheableSyscalls());
      for (DesignComparison.Disagreement d : result.firstDisagreements()) {
        stdout.println("  DISAGREE " + Text.display(d.event().toString()) + ": event filters " + d.engine() + ", BPF " + d.bpf());
      }
      stdout.println("report: " + out.resolve("report.html") + " (and report.md, charts)");
    }
    return result.agrees() ? 0 : Main.INPUT_ERROR;
  }

  private static ObjectNode summary(DesignComparison.Result r, List<CompareReport.SweepPoint> points) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode o = m.createObjectNode().put("events", r.events()).put("agreed", r.agreed()).put("deferred", r.deferred())
        .put("disagreements", r.disagreements()).put("predicatesPerEvent", r.predicatesPerEvent())
        .put("instructionsPerEvent", r.instructionsPerEvent()).put("instructionsWithActionCache", r.instructionsWithActionCache())
        .put("programLength", r.programLength()).put("rulesLowered", r.rulesLowered()).put("rulesDeferred", r.rulesDeferred())
        .put("cacheableSyscalls", r.cacheableSyscalls());
    o.putObject("nsPerEvent").put("eventFilters", r.timing().engineNs()).put("eventFiltersWithAvc", r.timing().engineWithAvcNs())
        .put("bpfInterpreter", r.timing().bpfNs()).put("timedEvents", r.timing().events());
    o.putObject("avc").put("lookups", r.avc().lookups()).put("hits", r.avc().hits()).put("hitRate", r.avc().hitRate());
    ArrayNode d = o.putArray("disagreements");
    r.firstDisagreements().forEach(x -> d.addObject().put("event", x.event().toString()).put("eventFilters", x.engine().toString())
        .put("bpf", x.bpf().toString()));
    ArrayNode s = o.putArray("sweep");
    points.forEach(p -> s.addObject().put("addedRules", p.added()).put("rules", p.rules())
        .put("predicatesPerEvent", p.result().predicatesPerEvent()).put("instructionsPerEvent", p.result().instructionsPerEvent())
        .put("programLength", p.result().programLength()).put("eventFiltersNs", p.result().timing().engineNs())
        .put("eventFiltersWithAvcNs", p.result().timing().engineWithAvcNs()).put("bpfNs", p.result().timing().bpfNs()));
    return o;
  }
}
