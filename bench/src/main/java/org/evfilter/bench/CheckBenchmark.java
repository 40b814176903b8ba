package org.evfilter.bench;

import java.util.concurrent.TimeUnit;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.grammar.Dialect;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.KernelFacts;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How fast a filter is checked (parsed and bound to its event), the cost behind {@code evfilter
 * check -} on thousands of lines. Run: {@code mvn -pl bench -am package && java -jar
 * bench/target/benchmarks.jar CheckBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CheckBenchmark {
  @Param({
    "flags & 0x40",
    "filename.ustring ~ \"*passwd*\" && flags & 0x40 && !(mode == 0644) || common_pid < 100",
    "(flags & O_ACCMODE) == O_RDONLY && __syscall_nr in {openat, 2}"
  })
  public String filter;

  private FilterBinder binder;

  @Setup
  public void setup() {
    EventSchema openat = SchemaCatalog.bundled().find("syscalls/sys_enter_openat").orElseThrow();
    binder = FilterBinder.forEvent(openat, Dialect.EVFILTER, KernelFacts.of(2, java.util.Map.of()));
  }

  @Benchmark
  public Object check() {
    return binder.bind("<bench>", filter);
  }
}
