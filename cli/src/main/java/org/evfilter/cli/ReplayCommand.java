package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.eval.AvcStats;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.DecisionCache;
import org.evfilter.predicates.eval.PolicyAnalysis;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.predicates.labels.LabelResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code evfilter replay}: a policy's decisions over recorded traces, with the predicate engine. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Decide every event of recorded traces (strace, TSV, JSON Lines) with the policy, through",
      "the AVC-style decision cache, and report per-action counts, the first denied events,",
      "predicates evaluated per event, events per second and the cache statistics. Paths in the",
      "trace are labelled by the policy's xattr and file_contexts rules.",
      ""
    },
    footer = {"", "Examples:", "  evfilter replay --policy samples/policies/valid/cat.evf samples/traces/cat.strace",
      "  strace -f -ttt -o ls.strace ls; evfilter replay --policy samples/policies/valid/openat-labels.evf ls.strace --json",
      "", "Exit status: 0 replayed; 1 a bad policy or unreadable trace lines."})
final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--policy", required = true, paramLabel = "FILE.evf", description = "The policy.")
  Path policyFile;

  @Mixin LabelsOption labelsOption;

  @Parameters(arity = "1..*", paramLabel = "TRACE", description = "Traces to replay (.strace, .tsv, .jsonl).")
  List<Path> traces;

  @Option(names = "--cache-size", paramLabel = "N", description = "Decisions the AVC keeps (0: no cache; default ${DEFAULT-VALUE}).")
  long cacheSize = 65536;

  @Option(names = "--first-denied", paramLabel = "N", description = "How many denied events to show (default ${DEFAULT-VALUE}).")
  int firstDenied = 10;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<BoundPolicy> loaded = PolicyFiles.load("replay", policyFile, labelsOption.files, err);
    if (loaded.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    PolicyEngine engine = PolicyEngine.compile(loaded.get(), Arch.X86_64);
    DecisionCache cache = cacheSize > 0 ? new DecisionCache(engine, cacheSize) : null;
    LabelResolver labels = loaded.get().labelResolver(16384, org.evfilter.lsm.natives.LinuxXattrs.reader());
    CompiledFilter.Counter counter = new CompiledFilter.Counter();
    SeccompView view = new SeccompView();
    Map<ActionKind, Long> counts = new EnumMap<>(ActionKind.class);
    List<String> denied = new ArrayList<>();
    long start = System.nanoTime();
    long[] total = {0};
    long problems = LabelledTraces.read("replay", traces, loaded.get(), labels, err, (trace, event, set) -> {
      view.set(event, set);
      BoundPolicy.Verdict v = cache != null ? cache.decide(view, counter) : engine.decide(view, counter);
      counts.merge(v.kind(), 1L, Long::sum);
      if (PolicyAnalysis.denies(v.kind()) && denied.size() < firstDenied) {
        denied.add(trace.getFileName() + ": " + Text.display(event.toString()) + " -> " + v);
      }
      total[0]++;
    });
    if (problems < 0) {
      return Main.INPUT_ERROR;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    AvcStats avc = cache != null ? cache.stats() : AvcStats.EMPTY;
    double perEvent = counter.events == 0 ? 0 : (double) counter.predicates / counter.events;
    if (json) {
      ObjectNode o = new ObjectMapper().createObjectNode().put("events", total[0]).put("seconds", seconds)
          .put("eventsPerSecond", total[0] / Math.max(seconds, 1e-9)).put("predicatesPerEvent", perEvent)
          .put("unreadableLines", problems);
      ObjectNode c = o.putObject("actions");
      counts.forEach((k, n) -> c.put(k.keyword(), n));
      ArrayNode d = o.putArray("firstDenied");
      denied.forEach(d::add);
      o.putObject("avc").put("lookups", avc.lookups()).put("hits", avc.hits()).put("misses", avc.misses())
          .put("evictions", avc.evictions()).put("hitRate", avc.hitRate());
      out.println(o);
    } else {
      out.printf("%d events in %.2f s (%.0f events/s); %.2f predicates evaluated per event%n", total[0], seconds,
          total[0] / Math.max(seconds, 1e-9), perEvent);
      counts.forEach((k, n) -> out.printf("  %-14s %d%n", k.keyword(), n));
      if (!denied.isEmpty()) {
        out.println("first denied events:");
        denied.forEach(d -> out.println("  " + d));
      }
      if (cache != null) {
        out.printf("AVC: %d lookups, %d hits, %d misses, %d evictions (hit rate %.1f%%)%n", avc.lookups(), avc.hits(),
            avc.misses(), avc.evictions(), 100 * avc.hitRate());
      }
      if (problems > 0) {
        out.println(problems + " trace lines could not be read");
      }
    }
    return problems > 0 ? Main.INPUT_ERROR : 0;
  }
}
