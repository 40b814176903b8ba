package org.evfilter.tests.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.evfilter.events.schema.FormatFile;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.ErrorCode;
import org.evfilter.grammar.FilterException;
import org.evfilter.predicates.BoundFilter;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.KernelFacts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes a large generated corpus of filters to real events' {@code filter} files and checks that
 * {@code --strict-ftrace} binding accepts and refuses exactly what the kernel does, with the kernel's
 * message and the caret in the kernel's column. Skips, loudly, only where tracefs cannot be had.
 */
@Tag("kernel")
class FtraceConformanceTest {
  private static final long SEED = 20111;

  @Test
  void agreesWithTheRunningKernel(@TempDir Path work) throws Exception {
    KernelAccess.assumeAvailable("kernel conformance");

    List<KernelFilterOracle.Case> corpus = FilterCorpus.generate(SEED);
    KernelFilterOracle.Answers answers = KernelFilterOracle.ask(FilterCorpus.EVENTS, corpus, work);
    Map<String, FilterBinder> binders = new HashMap<>();
    KernelFacts facts = KernelFacts.ofThisMachine();
    answers.formats().forEach((event, format) -> binders.put(event,
        FilterBinder.forEvent(FormatFile.parse(event.substring(0, event.indexOf('/')), format), Dialect.FTRACE, facts)));

    List<String> mismatches = new ArrayList<>();
    List<String> olderKernel = new ArrayList<>();
    List<KernelFilterOracle.Case> canonical = new ArrayList<>();
    List<BoundFilter> originals = new ArrayList<>();
    int accepted = 0;
    for (int i = 0; i < corpus.size(); i++) {
      KernelFilterOracle.Case c = corpus.get(i);
      KernelFilterOracle.Verdict kernel = answers.verdicts().get(i);
      accepted += kernel.accepted() ? 1 : 0;
      String ours = ours(binders.get(c.event()), c.filter());
      if (kernel.accepted() && ours.equals("ok")) {
        BoundFilter bound = binders.get(c.event()).bind("<corpus>", c.filter());
        canonical.add(new KernelFilterOracle.Case(c.event(), bound.parsed().toCanonicalString()));
        originals.add(bound);
      }
      String theirs = kernel.accepted() ? "ok"
          : kernel.message().map(m -> m + (kernel.column() >= 0 ? " @" + kernel.column() : ""))
              // The kernel's message did not fit its page: only the refusal can be compared.
              .orElse(ours.equals("ok") ? "refused" : ours);
      if (kernel.accepted() && ours.startsWith(ErrorCode.INVALID_FILTER.text() + " @")) {
        // Older kernel builds read a trailing '&&'/'||' as absent; current ones refuse it, as we do.
        olderKernel.add(printable(c.filter()));
        continue;
      }
      if (!ours.equals(theirs)) {
        mismatches.add(c.event() + "  " + printable(c.filter()) + "\n    kernel: " + theirs + "\n    ours:   " + ours
            + "\n    shown:  " + printable(kernel.raw()));
      }
    }
    // The canonical text of every accepted filter must be accepted by the kernel too, and parse
    // back to the same expression: the printer is checked against the kernel, not only against us.
    List<KernelFilterOracle.Verdict> again = KernelFilterOracle.ask(List.of(), canonical, work).verdicts();
    for (int i = 0; i < canonical.size(); i++) {
      KernelFilterOracle.Case c = canonical.get(i);
      if (!again.get(i).accepted()) {
        mismatches.add("canonical text refused by the kernel: " + c.event() + "  " + printable(c.filter())
            + "\n    kernel: " + again.get(i).message().orElse("refused"));
        continue;
      }
      BoundFilter reparsed = binders.get(c.event()).bind("<canonical>", c.filter());
      if (!reparsed.parsed().expression().equals(originals.get(i).parsed().expression())) {
        mismatches.add("canonical text parses differently: " + printable(c.filter()));
      }
    }
    double agreement = 100.0 * (corpus.size() - mismatches.size()) / corpus.size();
    String summary = String.format(
        "ftrace conformance: %d filters (%d accepted, %d refused by the kernel), agreement %.2f%% (%d differ);"
            + " %d canonical texts re-checked",
        corpus.size(), accepted, corpus.size() - accepted, agreement, mismatches.size(), canonical.size());
    System.out.println(summary);
    if (!olderKernel.isEmpty()) {
      System.err.println("\n*** ftrace conformance: this kernel accepts " + olderKernel.size() + " filters ending in '&&' or '||'"
          + " (an older build); evfilter refuses them as current kernels do: " + String.join(", ", olderKernel) + " ***\n");
    }
    Path report = Path.of("target", "ftrace-conformance.txt");
    Files.createDirectories(report.getParent());
    Files.writeString(report, summary + "\n" + String.join("\n", mismatches) + "\n", StandardCharsets.UTF_8);
    assertTrue(corpus.size() > 5000, "corpus too small: " + corpus.size());
    assertEquals(List.of(), mismatches.subList(0, Math.min(40, mismatches.size())), summary);
  }

  private static String ours(FilterBinder binder, String filter) {
    try {
      binder.bind("<corpus>", filter);
      return "ok";
    } catch (FilterException e) {
      ErrorCode code = e.error().code();
      String message = code.text();
      if (code == ErrorCode.KERNEL_NO_MESSAGE || code == ErrorCode.FILTER_TOO_LONG) {
        return message;
      }
      return message + " @" + e.error().caretColumn(e.source().text().length());
    } catch (RuntimeException | StackOverflowError e) {
      return "CRASH " + e;
    }
  }

  private static String printable(String s) {
    String shown = s.length() > 160 ? s.substring(0, 160) + "...(" + s.length() + " bytes)" : s;
    return "[" + shown.replace("\n", "\\n").replace("\t", "\\t").replace("\u00a0", "\\xa0")
        .replace("\u0000", "\\0").replace("\u000b", "\\v").replace("\u000c", "\\f").replace("\r", "\\r") + "]";
  }
}
