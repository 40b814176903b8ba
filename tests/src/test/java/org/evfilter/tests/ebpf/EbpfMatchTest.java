package org.evfilter.tests.ebpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.Dialect;
import org.evfilter.lsm.ebpf.BpfMap;
import org.evfilter.lsm.ebpf.LoadedProgram;
import org.evfilter.lsm.ebpf.MapType;
import org.evfilter.lsm.ebpf.ProgramType;
import org.evfilter.lsm.ebpf.TracepointAttachment;
import org.evfilter.lsm.ebpf.lower.CountingProgram;
import org.evfilter.lsm.ebpf.lower.FieldSource;
import org.evfilter.lsm.ebpf.lower.TracepointFields;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.tests.kernel.KernelAccess;
import org.evfilter.tests.run.CPrograms;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Filters compiled to an eBPF tracepoint program decide real events as the predicate engine does:
 * a child makes lseek(2) calls with chosen register values (boundaries of every width the fields
 * have), the program on {@code syscalls/sys_enter_lseek} records which filter matched which call,
 * and the engine is asked the same of the same values. Filters written against the event's own
 * format (ftrace's view: every argument 8 bytes and unsigned, {@code common_pid}, {@code comm}) and a policy's
 * rules (seccomp's view: {@code fd} and {@code whence} are 4-byte ints, {@code argN}).
 */
@Tag("kernel")
class EbpfMatchTest {
  private static final String PREFIX = "evftp_";
  private static final long[] FDS = {10, 0xffffffffL, 0x10000000aL, 0x80000000L, -1L, 0x7fffffffffffffffL};
  private static final long[] OFFSETS = {0, -1, 0x7fffffffL, 0x80000000L, -0x80000001L, 0x8000000000000000L, 5};
  private static final long[] WHENCES = {0, 1, 2, 0xffffffffL, 0x100000001L};

  @TempDir Path work;

  private static List<long[]> stimuli() {
    List<long[]> out = new ArrayList<>();
    for (int i = 0; i < FDS.length; i++) {
      for (int j = 0; j < OFFSETS.length; j++) {
        out.add(new long[] {FDS[i], OFFSETS[j], WHENCES[(i + j) % WHENCES.length]});
      }
    }
    return out;
  }

  @Test
  void filtersOnTheEventsOwnFieldsMatchWhatTheEngineMatches() throws Exception {
    KernelAccess.assumeAvailable("eBPF tracepoint lowering");
    Tracepoints lseek = Tracepoints.of("syscalls", "sys_enter_lseek");
    List<String> filters = List.of("fd == 10", "fd != 10", "fd < 0x80000000", "fd >= 0xffffffff", "fd > 0x7fffffffffffffff",
        "fd & 0x100000000", "(fd & 0xffff) == 0xa", "(fd & 0xffffffff) != 0xffffffff", "offset < 0x80000000", "offset <= 0xfffffffeffffffff",
        "offset > 0x7fffffff", "offset >= 0xffffffff7fffffff", "offset == 0x8000000000000000", "whence in {0..1, 0xffffffff}",
        "whence in {2}", "!(fd == 10 && whence == 1) || offset == 5", "fd == 10 && (offset > 0x7fffffffffffffff || whence > 1)",
        "common_pid == PID", "common_pid != PID && fd == 10", "comm == \"match_trigger\"", "comm != \"match_trigger\"",
        "comm ~ \"match*\"", "comm ~ \"xmatch*\"", "comm == \"match_trigge\"", "comm ~ \"!match_t*\"");
    FilterBinder binder = FilterBinder.forEvent(lseek.schema(), Dialect.EVFILTER, KernelFacts.ofThisMachine());
    differential(lseek, TracepointFields.forFilters(lseek.schema()), pid -> filters.stream()
        .map(f -> binder.bind("<filter>", f.replace("PID", Integer.toString(pid))).expression().orElseThrow()).toList(), filters);
  }

  @Test
  void aPolicysRulesMatchWhatTheEngineMatches() throws Exception {
    KernelAccess.assumeAvailable("eBPF tracepoint lowering of policy rules");
    Tracepoints lseek = Tracepoints.of("syscalls", "sys_enter_lseek");
    List<String> filters = List.of("fd == 10", "fd == 0xffffffff", "fd < 0x80000000", "fd & 0x80000000", "(fd & 0xff) == 0xa",
        "arg0 == 10", "arg0 > 0xffffffff", "offset < 0", "offset in {-2147483649..-1, 5}", "whence == 1", "whence >= 2",
        "arg2 == 0x100000001", "nr == lseek && whence != 0", "!(whence in {0..1})");
    StringBuilder text = new StringBuilder();
    filters.forEach(f -> text.append("errno(EPERM) lseek: ").append(f).append('\n'));
    BoundPolicy policy = PolicyBinder.bind("lseek rules", text.toString(), KernelFacts.ofThisMachine(), Arch.X86_64);
    List<BoundExpression> bound = policy.rules().stream().map(r -> r.filter().orElseThrow()).toList();
    differential(lseek, TracepointFields.forPolicy(lseek.schema()), pid -> bound, filters);
  }

  private void differential(Tracepoints event, FieldSource source, java.util.function.IntFunction<List<BoundExpression>> filtersFor,
      List<String> texts) throws Exception {
    Path trigger = CPrograms.build("match_trigger", false);
    List<long[]> stimuli = stimuli();
    List<String> argv = new ArrayList<>(List.of("sh", "-c", "read go; exec \"$0\" \"$@\"", trigger.toString()));
    for (long[] s : stimuli) {
      argv.add(String.format("lseek:%x:%x:%x", s[0], s[1], s[2]));
    }
    ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("EVFM_MARKERS", "/dev/null");
    pb.environment().put("EVFM_FILE", work.resolve("scratch").toString());
    Process child = pb.start();
    int pid = (int) child.pid();
    try {
      List<BoundExpression> filters = filtersFor.apply(pid);
      List<CountingProgram.Rule> rules = new ArrayList<>();
      for (int i = 0; i < filters.size(); i++) {
        rules.add(new CountingProgram.Rule(texts.get(i), Optional.of(filters.get(i))));
      }
      CountingProgram.Options options = new CountingProgram.Options(false, OptionalInt.of(pid), stimuli.size() + 4);
      String out;
      boolean[][] kernel = new boolean[stimuli.size()][filters.size()];
      try (BpfMap rows = BpfMap.counters(MapType.ARRAY, CountingProgram.counters(rules.size(), options), PREFIX + "rows")) {
        CountingProgram.Built built = CountingProgram.build(rules, source, rows, options);
        assertEquals(List.of(), built.replaced(), "every atom lowered");
        try (LoadedProgram p = LoadedProgram.load(built.program(), ProgramType.TRACEPOINT, PREFIX + "match")) {
          TracepointAttachment attached = TracepointAttachment.attach(p, event.id());
          try (attached; OutputStream in = child.getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the trigger finished");
          }
          out = new String(child.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
          assertEquals(0, child.exitValue(), out);
        }
        assertEquals(stimuli.size(), rows.counter(0), "one lseek event per stimulus, and no other: " + out);
        for (int s = 0; s < stimuli.size(); s++) {
          for (int f = 0; f < filters.size(); f++) {
            kernel[s][f] = rows.counter(1 + s * filters.size() + f) == 1;
          }
        }
      }
      List<String> differences = new ArrayList<>();
      int matches = 0;
      SeccompView view = new SeccompView();
      CompiledFilter.Counter counter = new CompiledFilter.Counter();
      for (int s = 0; s < stimuli.size(); s++) {
        long[] v = stimuli.get(s);
        SyscallEvent e = SyscallEvent.builder(Arch.X86_64, 8, v[0], v[1], v[2], 0, 0, 0).pid(pid).tid(pid).comm("match_trigger")
            .strings(Map.of()).build();
        for (int f = 0; f < filters.size(); f++) {
          boolean engine = CompiledFilter.compile(filters.get(f), SeccompView.LAYOUT).matches(view.set(e, 0), counter);
          matches += engine ? 1 : 0;
          if (engine != kernel[s][f]) {
            differences.add(texts.get(f) + " on lseek(" + Long.toHexString(v[0]) + ", " + Long.toHexString(v[1]) + ", "
                + Long.toHexString(v[2]) + "): eBPF " + kernel[s][f] + ", engine " + engine);
          }
        }
      }
      assertEquals(List.of(), differences);
      assertTrue(matches > 0 && matches < stimuli.size() * filters.size(), "the cases both match and miss: " + matches);
    } finally {
      child.destroyForcibly().waitFor();
    }
  }
}
