package org.evfilter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.events.trace.TraceFormat;
import org.evfilter.events.trace.TraceReader;
import org.evfilter.events.trace.Traces;
import org.evfilter.events.vfs.VfsEvents;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.DecisionCache;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.predicates.labels.LabelResolver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Replays a real trace (a program recorded with strace at setup) through a policy of Docker's
 * default size (its allow list from {@code ../shared/profiles/docker-default.json}) plus label
 * rules, with the AVC and without; and the cost of one cache hit and of one miss. Run: {@code mvn
 * -pl bench -am package && java -jar bench/target/benchmarks.jar ReplayBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReplayBenchmark {
  static final int EVENTS = 4096;

  private PolicyEngine engine;
  private DecisionCache cache;
  private DecisionCache missCache;
  private SyscallEvent[] events;
  private long[] labels;
  private final SeccompView view = new SeccompView();
  private final CompiledFilter.Counter counter = new CompiledFilter.Counter();
  private SyscallEvent openat;
  private long flags;

  @Setup
  public void setup() throws Exception {
    Path dir = Files.createTempDirectory("evfilter-bench");
    Files.writeString(dir.resolve("file_contexts"), String.join("\n",
        "/etc(/.*)?  etc_t", "/etc/shadow  shadow_t", "/tmp(/.*)?  tmp_t", "/usr(/.*)?  usr_t", "/lib(/.*)?  usr_t", ""));
    Path policy = dir.resolve("docker.evf");
    Files.writeString(policy, dockerPolicy());
    BoundPolicy p = PolicyBinder.load(policy, KernelFacts.of(2, Map.of()));
    engine = PolicyEngine.compile(p, Arch.X86_64);
    cache = new DecisionCache(engine, 1 << 16);
    missCache = new DecisionCache(engine, 1 << 10);
    List<SyscallEvent> recorded = record(dir);
    LabelResolver resolver = p.labelResolver(1 << 14);
    events = new SyscallEvent[EVENTS];
    labels = new long[EVENTS];
    for (int i = 0; i < EVENTS; i++) {
      events[i] = recorded.get(i % recorded.size());
      labels[i] = VfsEvents.from(events[i]).map(v -> resolver.labels(v.path())).orElse(0L);
    }
    openat = recorded.stream().filter(e -> e.nr() == 257).findFirst().orElse(recorded.get(0));
  }

  @Setup(Level.Iteration)
  public void report() {
    counter.events = 0;
    counter.predicates = 0;
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int replayWithoutCache() {
    int allowed = 0;
    for (int i = 0; i < EVENTS; i++) {
      allowed += engine.decide(view.set(events[i], labels[i]), counter).data();
    }
    return allowed;
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int replayWithCache() {
    int allowed = 0;
    for (int i = 0; i < EVENTS; i++) {
      allowed += cache.decide(view.set(events[i], labels[i]), counter).data();
    }
    return allowed;
  }

  @Benchmark
  public Object cacheHit() {
    return cache.decide(view.set(openat, 0), counter);
  }

  @Benchmark
  public Object cacheMiss() {
    // A flags value never seen before: a new key every time.
    SyscallEvent e = openat.toBuilder().arg(2, ++flags << 24).build();
    return missCache.decide(view.set(e, 0), counter);
  }

  private static List<SyscallEvent> record(Path dir) throws IOException, InterruptedException {
    Path log = dir.resolve("trace.strace");
    Process p = new ProcessBuilder("strace", "-f", "-ttt", "-X", "raw", "-o", log.toString(), "sh", "-c",
        "ls -la /etc /usr/lib > /dev/null; cat /etc/os-release /etc/hostname > /dev/null; sort /etc/services > /dev/null")
        .inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException("strace failed: is it installed?");
    }
    List<SyscallEvent> out = new ArrayList<>();
    try (TraceReader r = Traces.reader(TraceFormat.STRACE, Files.newInputStream(log))) {
      Optional<SyscallEvent> e;
      while ((e = r.read()).isPresent()) {
        out.add(e.get());
      }
    }
    return out;
  }

  /** Docker's default allow list as an .evf policy, plus label rules on the path syscalls. */
  static String dockerPolicy() throws IOException {
    Path profile = Path.of(System.getProperty("evfilter.docker", "../shared/profiles/docker-default.json"));
    if (!Files.exists(profile)) {
      profile = Path.of("../../shared/profiles/docker-default.json");
    }
    JsonNode root = new ObjectMapper().readTree(profile.toFile());
    Set<String> allowed = new LinkedHashSet<>();
    for (JsonNode entry : root.path("syscalls")) {
      if (entry.path("action").asText().equals("SCMP_ACT_ALLOW") && entry.path("args").isEmpty()
          && entry.path("includes").isEmpty()) {
        entry.path("names").forEach(n -> {
          if (SyscallTable.of(Arch.X86_64).byName(n.asText()).isPresent()) {
            allowed.add(n.asText());
          }
        });
      }
    }
    allowed.remove("openat");
    StringBuilder s = new StringBuilder("labels \"file_contexts\"\ndefault errno(EPERM)\n");
    s.append("allow ").append(String.join(", ", allowed)).append('\n');
    s.append("allow openat: label & etc_t && (flags & O_ACCMODE) == O_RDONLY\n");
    s.append("allow openat: label & usr_t && (flags & O_ACCMODE) == O_RDONLY\n");
    s.append("allow openat: label & tmp_t\n");
    s.append("errno(EACCES) openat: label & shadow_t\n");
    s.append("allow openat: label == 0 && (flags & O_ACCMODE) == O_RDONLY\n");
    return s.toString();
  }
}
