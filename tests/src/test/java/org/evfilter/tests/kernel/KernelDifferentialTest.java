package org.evfilter.tests.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.tracefs.TraceLine;
import org.evfilter.grammar.Dialect;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.FtraceFilter;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.SeccompView;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The predicate engine against the kernel's own filter engine on live events: one workload runs
 * once; one tracing instance records every event unfiltered, and one instance per generated filter
 * lets the kernel filter the same events. What the kernel's filter kept must be exactly what our
 * engine matches among the unfiltered events. Filters use the evfilter dialect and reach the kernel
 * through {@link FtraceFilter}, so the lowering is checked too.
 */
@Tag("kernel")
class KernelDifferentialTest {
  private static final List<String> EVENTS = List.of(
      "syscalls/sys_enter_openat", "syscalls/sys_enter_read", "syscalls/sys_enter_write",
      "syscalls/sys_enter_close", "syscalls/sys_enter_mmap", "syscalls/sys_enter_lseek");
  private static final int FILTERS = 60;

  @Test
  void kernelAndEngineMatchTheSameEvents(@TempDir Path work) throws Exception {
    KernelAccess.assumeAvailable("engine");

    KernelFacts facts = KernelFacts.ofThisMachine();
    Random r = new Random(2011);
    Map<String, String> filters = new LinkedHashMap<>();
    Map<String, BoundExpression> bound = new HashMap<>();
    Map<String, String> eventOf = new HashMap<>();
    StringBuilder spec = new StringBuilder("all\t" + String.join(",", EVENTS) + "\t\n");
    for (int i = 0; i < FILTERS; i++) {
      String event = EVENTS.get(i % EVENTS.size());
      EventSchema schema = SchemaCatalog.bundled().find(event).orElseThrow();
      String text = randomFilter(schema, r);
      BoundExpression b = FilterBinder.forEvent(schema, Dialect.EVFILTER, facts).bind("<gen>", text).expression().orElseThrow();
      Optional<String> kernelText = FtraceFilter.render(b);
      if (kernelText.isEmpty()) {
        continue;
      }
      String name = "f" + i;
      filters.put(name, text);
      bound.put(name, b);
      eventOf.put(name, event);
      spec.append(name).append('\t').append(event).append('\t').append(kernelText.get()).append('\n');
    }
    Path specFile = Files.writeString(work.resolve("spec"), spec.toString(), StandardCharsets.ISO_8859_1);
    Path mount = Files.createDirectories(work.resolve("tracefs"));
    String workload = "for i in 1 2 3 4 5; do cat /etc/hostname /etc/os-release > /dev/null; echo $i > " + work.resolve("out")
        + "; head -c 100 /etc/services > /dev/null; done; ls -la /etc > /dev/null; dd if=/etc/services of=/dev/null bs=7 count=30 2>/dev/null";
    ProcessBuilder pb = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
        "mount -t tracefs nodev \"$1\" && shift && exec \"$@\"", "probe", mount.toString(),
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
        DifferentialProbe.class.getName(), mount.toString(), specFile.toString(), work.toString(), "sh", "-c", workload);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES) && p.exitValue() == 0, "probe failed: " + log);

    List<SyscallEvent> all = events(work.resolve("all.trace"));
    assertEquals("0", Files.readString(work.resolve("all.lost")).strip(), "the unfiltered instance lost events");
    assertTrue(all.size() > 200, "few events: " + all.size());
    SeccompView view = new SeccompView();
    CompiledFilter.Counter counter = new CompiledFilter.Counter();
    List<String> differences = new ArrayList<>();
    int kernelMatched = 0;
    for (Map.Entry<String, String> f : filters.entrySet()) {
      String name = f.getKey();
      int nr = SchemaCatalog.bundled().find(eventOf.get(name)).map(s -> syscallNr(s)).orElseThrow();
      CompiledFilter compiled = CompiledFilter.compile(bound.get(name), SeccompView.LAYOUT);
      List<String> ours = all.stream().filter(e -> e.nr() == nr).filter(e -> compiled.matches(view.set(e, 0), counter))
          .map(KernelDifferentialTest::key).sorted().collect(Collectors.toList());
      List<String> kernel = events(work.resolve(name + ".trace")).stream().map(KernelDifferentialTest::key).sorted()
          .collect(Collectors.toList());
      kernelMatched += kernel.size();
      if (!ours.equals(kernel)) {
        differences.add(f.getValue() + " on " + eventOf.get(name) + ": kernel " + kernel.size() + ", ours " + ours.size());
      }
    }
    System.out.printf("engine vs kernel filter: %d filters over %d live events (%d matched by the kernel), %d differ%n",
        filters.size(), all.size(), kernelMatched, differences.size());
    assertTrue(filters.size() >= FILTERS / 2, "too few filters lowered to ftrace: " + filters.size());
    assertTrue(kernelMatched > 0, "no filter matched anything: the comparison says nothing");
    assertEquals(List.of(), differences);
  }

  private static int syscallNr(EventSchema s) {
    String name = s.name().substring("sys_enter_".length());
    return org.evfilter.events.syscalls.SyscallTable.of(Arch.X86_64).byTracefsName(name).orElseThrow().nr();
  }

  private static String key(SyscallEvent e) {
    return e.pid() + " " + e.nr() + " " + java.util.Arrays.toString(e.args());
  }

  private static List<SyscallEvent> events(Path trace) throws Exception {
    List<SyscallEvent> out = new ArrayList<>();
    for (String line : Files.readAllLines(trace, StandardCharsets.ISO_8859_1)) {
      TraceLine.parse(line).flatMap(t -> t.syscall(Arch.X86_64)).ifPresent(out::add);
    }
    return out;
  }

  private static String randomFilter(EventSchema schema, Random r) {
    List<EventField> fields = schema.fields().stream()
        .filter(f -> !f.isCommon() && !f.name().equals("__syscall_nr") && !f.kind().isString()).collect(Collectors.toList());
    int atoms = 1 + r.nextInt(3);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < atoms; i++) {
      if (i > 0) {
        s.append(r.nextBoolean() ? " && " : " || ");
      }
      if (r.nextInt(6) == 0) {
        s.append('!');
      }
      EventField f = fields.get(r.nextInt(fields.size()));
      s.append(atom(f.name(), r));
    }
    return s.toString();
  }

  private static String atom(String field, Random r) {
    String[] small = {"0", "1", "2", "3", "4", "7", "8", "64", "100", "0x1000", "0x80000", "0x241", "0xffffff9c"};
    String v = small[r.nextInt(small.length)];
    return switch (r.nextInt(10)) {
      case 0 -> field + " in {" + small[r.nextInt(small.length)] + ", " + small[r.nextInt(4)] + "..8}";
      case 1 -> "(" + field + " & 0x3) == 0";
      case 2 -> "(" + field + " & 0x80000) != 0";
      case 3 -> field + " & O_CLOEXEC";
      default -> field + " " + new String[] {"==", "!=", "<", "<=", ">", ">=", "&"}[r.nextInt(7)] + " " + v;
    };
  }
}
