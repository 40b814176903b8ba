package org.evfilter.predicates.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.FilterException;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.FtraceFilter;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.SeccompView;

/**
 * Binding never fails but with a {@link FilterException}, and a filter lowered to ftrace syntax
 * (what {@code evfilter trace} writes into the kernel) decides every event as the original does.
 */
class LoweringFuzzTest {
  private static final EventSchema OPENAT = SchemaCatalog.bundled().find("syscalls/sys_enter_openat").orElseThrow();
  private static final KernelFacts FACTS = KernelFacts.of(2, Map.of());
  private static final String[] FIELDS = {"flags", "dfd", "mode", "__syscall_nr", "common_pid"};
  private static final String[] OPS = {"==", "!=", "<", "<=", ">", ">=", "&"};

  @FuzzTest(maxDuration = "60s")
  void lowered(FuzzedDataProvider data) {
    String filter = data.consumeBoolean() ? data.consumeString(200) : structured(data);
    BoundExpression bound;
    try {
      bound = FilterBinder.forEvent(OPENAT, Dialect.EVFILTER, FACTS).bind("<fuzz>", filter).expression().orElse(null);
    } catch (FilterException expected) {
      return;
    }
    if (bound == null) {
      return;
    }
    CompiledFilter original;
    try {
      original = CompiledFilter.compile(bound, SeccompView.LAYOUT);
    } catch (IllegalArgumentException kernelOnly) {
      return;
    }
    Optional<String> text = FtraceFilter.render(bound);
    if (text.isEmpty()) {
      return;
    }
    BoundExpression kernel = FilterBinder.forEvent(OPENAT, Dialect.FTRACE, FACTS).bind("<lowered>", text.get()).expression().orElseThrow();
    CompiledFilter lowered = CompiledFilter.compile(kernel, SeccompView.LAYOUT);
    SeccompView view = new SeccompView();
    CompiledFilter.Counter c = new CompiledFilter.Counter();
    for (int i = 0; i < 8; i++) {
      SyscallEvent e = SyscallEvent.builder(Arch.X86_64, data.consumeInt(-2, 300), data.consumeLong(), data.consumeLong(),
          data.consumeLong(), data.consumeLong()).pid(data.consumeInt()).strings(Map.of(1, "/tmp/x")).build();
      assertEquals(original.matches(view.set(e, 0), c), lowered.matches(view.set(e, 0), c), filter + "  ->  " + text.get());
    }
  }

  private static String structured(FuzzedDataProvider data) {
    StringBuilder s = new StringBuilder();
    int n = data.consumeInt(1, 4);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        s.append(data.consumeBoolean() ? " && " : " || ");
      }
      if (data.consumeBoolean()) {
        s.append('!');
      }
      String f = FIELDS[data.consumeInt(0, FIELDS.length - 1)];
      long v = data.consumeLong();
      switch (data.consumeInt(0, 3)) {
        case 0 -> s.append('(').append(f).append(" & 0x").append(Long.toHexString(data.consumeLong()))
            .append(") ").append(data.consumeBoolean() ? "==" : "!=").append(" 0x").append(Long.toHexString(v));
        case 1 -> s.append(f).append(" in {").append(v).append(", ").append(data.consumeInt()).append("..")
            .append(data.consumeInt()).append('}');
        default -> s.append(f).append(' ').append(OPS[data.consumeInt(0, OPS.length - 1)]).append(' ')
            .append(data.consumeBoolean() ? Long.toString(v) : "0x" + Long.toHexString(v));
      }
    }
    return s.toString();
  }
}
