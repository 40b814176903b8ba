package org.evfilter.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.Node;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.evfilter.compare.DesignComparison;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** The comparison as a Markdown report and an HTML page, with its charts as PNG and SVG. */
final class CompareReport {
  private static final int TOP_SYSCALLS = 15;
  private static final List<Extension> MARKDOWN = List.of(TablesExtension.create());

  /** One policy size of the sweep. */
  record SweepPoint(int added, int rules, DesignComparison.Result result) {}

  private CompareReport() {}

  static void write(Path dir, Path policy, List<Path> traces, Path bpf, DesignComparison.Result r, List<SweepPoint> sweep)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<String> charts = new ArrayList<>();
    List<DesignComparison.SyscallCost> top = r.perSyscall().subList(0, Math.min(TOP_SYSCALLS, r.perSyscall().size()));
    if (!top.isEmpty()) {
      CategoryChart c = new CategoryChartBuilder().width(1000).height(520)
          .title("Work per event, by syscall (the " + top.size() + " most frequent)").xAxisTitle("syscall").yAxisTitle("per event").build();
      c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
      c.getStyler().setXAxisLabelRotation(45);
      List<String> names = top.stream().map(DesignComparison.SyscallCost::syscall).toList();
      c.addSeries("event filters: atomic predicates evaluated", names,
          top.stream().map(DesignComparison.SyscallCost::predicatesPerEvent).toList());
      c.addSeries("seccomp BPF: instructions executed", names,
          top.stream().map(DesignComparison.SyscallCost::instructionsPerEvent).toList());
      save(c, dir, "per-syscall");
      charts.add("per-syscall");
    }
    if (sweep.size() > 1) {
      double[] x = sweep.stream().mapToDouble(p -> p.rules).toArray();
      XYChart work = new XYChartBuilder().width(900).height(480).title("Work per event as the policy grows")
          .xAxisTitle("rules in the policy").yAxisTitle("per event").build();
      work.addSeries("event filters: predicates", x, sweep.stream().mapToDouble(p -> p.result.predicatesPerEvent()).toArray());
      work.addSeries("seccomp BPF: instructions", x, sweep.stream().mapToDouble(p -> p.result.instructionsPerEvent()).toArray());
      work.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
      save(work, dir, "growth-work");
      XYChart ns = new XYChartBuilder().width(900).height(480).title("ns per event as the policy grows (same JVM, same events)")
          .xAxisTitle("rules in the policy").yAxisTitle("ns per event").build();
      ns.addSeries("event filters", x, sweep.stream().mapToDouble(p -> p.result.timing().engineNs()).toArray());
      ns.addSeries("event filters + AVC", x, sweep.stream().mapToDouble(p -> p.result.timing().engineWithAvcNs()).toArray());
      ns.addSeries("seccomp BPF (interpreter)", x, sweep.stream().mapToDouble(p -> p.result.timing().bpfNs()).toArray());
      ns.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
      save(ns, dir, "growth-ns");
      charts.add("growth-work");
      charts.add("growth-ns");
    }
    String md = markdown(policy, traces, bpf, r, sweep, top, charts);
    Files.writeString(dir.resolve("report.md"), md);
    Files.writeString(dir.resolve("report.html"), html(md));
  }

  static void save(Chart<?, ?> chart, Path dir, String name) throws IOException {
    BitmapEncoder.saveBitmap(chart, dir.resolve(name + ".png").toString(), BitmapEncoder.BitmapFormat.PNG);
    VectorGraphicsEncoder.saveVectorGraphic(chart, dir.resolve(name + ".svg").toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
  }

  private static String markdown(Path policy, List<Path> traces, Path bpf, DesignComparison.Result r, List<SweepPoint> sweep,
      List<DesignComparison.SyscallCost> top, List<String> charts) {
    StringBuilder b = new StringBuilder();
    b.append("# Event filters against seccomp BPF\n\n");
    b.append("Policy `").append(policy).append("`").append(bpf == null ? ", compiled by evfilter" : ", program `" + bpf + "`")
        .append("; ").append(r.events()).append(" events from ")
        .append(String.join(", ", traces.stream().map(p -> "`" + p.getFileName() + "`").toList())).append(".\n\n");
    b.append("## Decisions\n\n");
    b.append("| | events |\n|---|---:|\n");
    b.append("| both designs agree | ").append(r.agreed()).append(" |\n");
    b.append("| deferred by BPF to the supervisor (labels, paths), decided by its evaluation | ").append(r.deferred()).append(" |\n");
    b.append("| **disagree** | **").append(r.disagreements()).append("** |\n\n");
    if (!r.firstDisagreements().isEmpty()) {
      b.append("| event | event filters | seccomp BPF |\n|---|---|---|\n");
      for (DesignComparison.Disagreement d : r.firstDisagreements()) {
        b.append("| `").append(Text.display(d.event().toString()).replace("|", "\\|")).append("` | ").append(d.engine()).append(" | ")
            .append(d.bpf()).append(" |\n");
      }
      b.append('\n');
    }
    b.append("## Costs\n\n| | event filters | seccomp BPF |\n|---|---:|---:|\n");
    b.append(String.format(Locale.ROOT, "| work per event | %.2f atomic predicates | %.2f instructions (%.2f with the kernel's action cache) |%n",
        r.predicatesPerEvent(), r.instructionsPerEvent(), r.instructionsWithActionCache()));
    b.append(String.format(Locale.ROOT, "| ns per event (this JVM, %d events, median of %d rounds) | %.1f; %.1f with the AVC | %.1f in the interpreter |%n",
        r.timing().events(), r.timing().rounds(), r.timing().engineNs(), r.timing().engineWithAvcNs(), r.timing().bpfNs()));
    b.append(String.format(Locale.ROOT, "| cache | AVC: %d lookups, hit rate %.1f%% | action cache: %d syscalls answered without running the program |%n",
        r.avc().lookups(), 100 * r.avc().hitRate(), r.cacheableSyscalls()));
    b.append(String.format(Locale.ROOT, "| size | %d rules | %d instructions; %d rules lowered entirely, %d deferred |%n%n",
        r.rulesLowered() + r.rulesDeferred(), r.programLength(), r.rulesLowered(), r.rulesDeferred()));
    b.append("Label resolution is not timed (label sets are computed once per event before the timings).\n\n");
    b.append("## By syscall\n\n| syscall | events | predicates/event | instructions/event | deferred |\n|---|---:|---:|---:|---:|\n");
    for (DesignComparison.SyscallCost c : top) {
      b.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %d |%n", c.syscall(), c.events(), c.predicatesPerEvent(),
          c.instructionsPerEvent(), c.deferred()));
    }
    b.append('\n');
    if (sweep.size() > 1) {
      b.append("## Policy size\n\nThe policy grown by label rules on openat (BPF defers them), ioctl command rules and socket"
          + " family/type rules (BPF decides them), in turn.\n\n");
      b.append("| rules | predicates/event | instructions/event | program | event filters ns | + AVC ns | BPF ns | disagree |\n"
          + "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (SweepPoint p : sweep) {
        DesignComparison.Result g = p.result();
        b.append(String.format(Locale.ROOT, "| %d | %.2f | %.2f | %d | %.1f | %.1f | %.1f | %d |%n", p.rules(), g.predicatesPerEvent(),
            g.instructionsPerEvent(), g.programLength(), g.timing().engineNs(), g.timing().engineWithAvcNs(), g.timing().bpfNs(),
            g.disagreements()));
      }
      b.append('\n');
    }
    if (!charts.isEmpty()) {
      b.append("## Charts\n\n");
      charts.forEach(c -> b.append("![").append(c).append("](").append(c).append(".svg) ([PNG](").append(c).append(".png))\n\n"));
    }
    return b.toString();
  }

  /** The report's Markdown as a page for a browser (CommonMark, with GitHub's tables). */
  static String html(String md) {
    Node document = Parser.builder().extensions(MARKDOWN).build().parse(md);
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>evfilter compare</title>\n"
        + "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
        + "td,th{border:1px solid #ccc;padding:4px 8px}td:not(:first-child){text-align:right}code{background:#f4f4f4}</style>"
        + "</head><body>\n" + HtmlRenderer.builder().extensions(MARKDOWN).build().render(document) + "</body></html>\n";
  }
}
