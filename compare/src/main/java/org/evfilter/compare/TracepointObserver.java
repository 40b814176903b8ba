package org.evfilter.compare;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.ebpf.BpfMap;
import org.evfilter.lsm.ebpf.EbpfException;
import org.evfilter.lsm.ebpf.LoadedProgram;
import org.evfilter.lsm.ebpf.MapType;
import org.evfilter.lsm.ebpf.ProgramType;
import org.evfilter.lsm.ebpf.TracepointAttachment;
import org.evfilter.lsm.ebpf.lower.CountingProgram;
import org.evfilter.lsm.ebpf.lower.Replacement;
import org.evfilter.lsm.ebpf.lower.TracepointFields;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.eval.PolicyEngine;

/**
 * The third engine of {@code compare --kernel}: the rules ftrace is given for the measured syscall,
 * compiled to eBPF programs on the same {@code syscalls/sys_enter_NAME} tracepoint, one per policy
 * size, plus one with no rules (the cost of the tracepoint and a program). An observer: a program
 * evaluates the rules in the engine's order, stops at the first that matches and counts it in a
 * per-CPU array (counter 0 counts the events); it decides nothing. Everything it loads is closed
 * by {@link #close()}, and a perf event goes with its descriptor, so the process's death detaches
 * it too.
 */
final class TracepointObserver implements AutoCloseable {
  private final long eventId;
  private final BpfMap counters;
  private final Map<Integer, LoadedProgram> programs = new LinkedHashMap<>();
  private final Map<Integer, CountingProgram.Built> built = new LinkedHashMap<>();
  private LoadedProgram empty;

  private TracepointObserver(long eventId, BpfMap counters) {
    this.eventId = eventId;
    this.counters = counters;
  }

  /**
   * Loads a program for each policy size's rules on {@code syscall}.
   *
   * @throws EbpfException when the kernel refuses a map or a program (the error names the rule)
   */
  static TracepointObserver load(Path tracefs, Syscall syscall, Map<Integer, List<PolicyEngine.CompiledRule>> rulesBySize) {
    String event = "sys_enter_" + SyscallTable.tracefsName(syscall.name());
    EventSchema schema = SchemaCatalog.fromTracefs(tracefs, "syscalls/" + event)
        .orElseThrow(() -> new IllegalArgumentException("no syscalls/" + event + " event in this kernel's tracefs"));
    int most = rulesBySize.values().stream().mapToInt(List::size).max().orElse(0);
    CountingProgram.Options options = options();
    BpfMap counters = BpfMap.counters(MapType.PERCPU_ARRAY, CountingProgram.counters(Math.max(most, 1), options), "evfk_counts");
    TracepointObserver o = new TracepointObserver(TracepointAttachment.eventId(tracefs, "syscalls", event), counters);
    try {
      TracepointFields fields = TracepointFields.forPolicy(schema);
      o.empty = LoadedProgram.load(CountingProgram.build(List.of(), fields, counters, options).program(), ProgramType.TRACEPOINT,
          "evfk_empty");
      for (Map.Entry<Integer, List<PolicyEngine.CompiledRule>> size : rulesBySize.entrySet()) {
        CountingProgram.Built b = CountingProgram.build(CountingProgram.rules(size.getValue()), fields, counters, options);
        o.built.put(size.getKey(), b);
        o.programs.put(size.getKey(), LoadedProgram.load(b.program(), ProgramType.TRACEPOINT, "evfk_rules"));
      }
      return o;
    } catch (RuntimeException e) {
      o.close();
      throw e;
    }
  }

  private static CountingProgram.Options options() {
    return new CountingProgram.Options(true, OptionalInt.empty(), 0);
  }

  /** Runs the program of the policy with {@code added} rules (or the one with none) until the attachment is closed. */
  TracepointAttachment attach(int added, boolean withRules) {
    return TracepointAttachment.attach(withRules ? programs.get(added) : empty, eventId);
  }

  /** How many events the programs evaluated, on every CPU. */
  long eventsCounted() {
    return counters.counter(0);
  }

  /** The instruction slots of the program for the policy with {@code added} rules. */
  int instructions(int added) {
    return Optional.ofNullable(built.get(added)).map(b -> b.program().size()).orElse(0);
  }

  /** What the program for the policy with {@code added} rules could not carry, each as the rule, the atom and why. */
  List<String> replaced(int added, Function<Atom, String> describe) {
    List<String> out = new ArrayList<>();
    for (Replacement r : Optional.ofNullable(built.get(added)).map(CountingProgram.Built::replaced).orElse(List.of())) {
      out.add(r.origin() + ": " + describe.apply(r.atom()) + " (" + r.reason() + ": a constant that makes the rule fail)");
    }
    return out;
  }

  @Override
  public void close() {
    programs.values().forEach(LoadedProgram::close);
    if (empty != null) {
      empty.close();
    }
    counters.close();
  }
}
