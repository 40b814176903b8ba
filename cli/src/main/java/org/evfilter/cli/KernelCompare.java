package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.evfilter.compare.InKernelComparison;
import org.evfilter.compare.InKernelComparison.Config;
import org.evfilter.compare.Median;
import org.evfilter.events.tracefs.TracingInstance;
import org.evfilter.lsm.natives.LandlockAbi;
import org.evfilter.predicates.BoundPolicy;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** {@code evfilter compare --kernel}: the run, and its report (report.md, report.html, charts). */
final class KernelCompare {
  private KernelCompare() {}

  static int run(CompareCommand c, PrintWriter stdout, PrintWriter err) throws IOException {
    Optional<InKernelComparison.Workload> workload = workload(c.loopSyscall, err);
    if (workload.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    if (c.repeat < 1 || c.calls < 1 || c.rules.stream().anyMatch(n -> n < 0 || n > 4000)) {
      err.println("evfilter compare --kernel: --repeat and --calls must be 1 or more, --rules between 0 and 4000");
      return Main.INPUT_ERROR;
    }
    Optional<BoundPolicy> loaded = PolicyFiles.load("compare", c.policyFile, c.labelsOption.files, err);
    if (loaded.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    if (!Tracefs.isRoot()) {
      err.println("evfilter compare --kernel: must run as root: the trace events' filters need tracefs (CAP_SYS_ADMIN)");
      return Main.ENVIRONMENT_ERROR;
    }
    Optional<Path> tracefs = TracingInstance.mounted();
    if (tracefs.isEmpty()) {
      try {
        return Tracefs.elsewhere("compare --kernel", err);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Main.INTERNAL_ERROR;
      }
    }
    int abi = LandlockAbi.version();
    abi = c.landlockAbi == null ? abi : Math.min(abi, c.landlockAbi);
    Path out = c.out.toString().equals("compare-report") ? Path.of("kernel-report") : c.out;
    try {
      Files.createDirectories(out); // before the run: a report that cannot be written is said first, not after
    } catch (IOException e) {
      err.println("evfilter compare --kernel: cannot write the report in " + out + ": " + e);
      return Main.ENVIRONMENT_ERROR;
    }
    List<Integer> sizes = c.rules.stream().filter(n -> n > 0).distinct().sorted().toList();
    InKernelComparison.Result r;
    ProgressBar progress = ProgressBar.ofSteps(err, "evfilter compare --kernel: ");
    try {
      try {
        r = InKernelComparison.run(loaded.get(), workload.get(), c.positional,
            new InKernelComparison.Options(c.repeat, c.calls, sizes), tracefs.get(), abi, progress::step);
      } finally {
        progress.done(); // before any message, which then starts on a clean line
      }
    } catch (IllegalArgumentException | org.evfilter.grammar.FilterException e) {
      err.println("evfilter compare --kernel: " + e.getMessage());
      return Main.INPUT_ERROR;
    } catch (IOException e) {
      err.println("evfilter compare --kernel: " + e.getMessage());
      return Main.ENVIRONMENT_ERROR;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("evfilter compare --kernel: interrupted; nothing stays enabled in tracefs");
      return Main.ENVIRONMENT_ERROR;
    }
    write(out, c.policyFile, r, c.positional, c.repeat, c.calls);
    stdout.print(summary(r));
    stdout.println("report: " + out.resolve("report.html") + " (and report.md, charts)");
    return 0;
  }

  // NAME[:ARG,...]
  static Optional<InKernelComparison.Workload> workload(String spec, PrintWriter err) {
    String[] parts = spec.split(":", 2);
    List<String> args = parts.length > 1 && !parts[1].isEmpty() ? Arrays.asList(parts[1].split(",")) : List.of();
    for (String a : args) {
      if (!a.startsWith("@")) {
        try {
          InKernelComparison.Workload.argument(a);
        } catch (NumberFormatException e) {
          err.println("evfilter compare --kernel: --syscall " + spec + ": '" + a + "' is neither a number nor @TEXT");
          return Optional.empty();
        }
      }
    }
    if (args.size() > 6) {
      err.println("evfilter compare --kernel: --syscall " + spec + ": a syscall has at most 6 arguments");
      return Optional.empty();
    }
    if (org.evfilter.events.syscalls.SyscallTable.of(org.evfilter.events.syscalls.Arch.X86_64).byName(parts[0]).isEmpty()) {
      err.println("evfilter compare --kernel: --syscall " + spec + ": no syscall '" + parts[0] + "' on x86_64");
      return Optional.empty();
    }
    return Optional.of(InKernelComparison.Workload.of(parts[0], args));
  }

  private static String cell(Optional<InKernelComparison.Point> p) {
    return p.map(x -> String.format("%.1f", Median.of(x.nsPerCall()))).orElse("-");
  }

  private static double min(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).min().orElse(0);
  }

  private static double max(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).max().orElse(0);
  }

  private static Optional<InKernelComparison.Point> point(InKernelComparison.Result r, Config c, int added) {
    return r.points().stream().filter(p -> p.config() == c && p.addedRules() == added).findFirst();
  }

  private static String summary(InKernelComparison.Result r) {
    StringBuilder b = new StringBuilder();
    double nothing = point(r, Config.NOTHING, 0).map(p -> Median.of(p.nsPerCall())).orElse(Double.NaN);
    b.append(String.format("%s, median of %d rounds:%n", r.workload(), point(r, Config.NOTHING, 0).map(p -> p.nsPerCall().size()).orElse(0)));
    for (Config c : r.configs()) {
      point(r, c, 0).ifPresent(p -> b.append(String.format("  %-26s %9.1f ns/call  (%+.1f ns, %.2fx)%n", c.title(), Median.of(p.nsPerCall()),
          Median.of(p.nsPerCall()) - nothing, Median.of(p.nsPerCall()) / nothing)));
    }
    for (Config c : ENGINES) {
      if (c == Config.SECCOMP && r.notified()) {
        b.append(String.format("  %-26s the call is notified: its cost is the supervisor's round trip, not BPF's%n", c.title()));
        continue;
      }
      slope(r, c).ifPresent(s -> b.append(String.format("  %-26s %+.2f ns per rule added, %+.2f ns per predicate (%d to %d rules)%n",
          c.title(), s[0], s[3], (int) s[1], (int) s[2])));
    }
    return b.toString();
  }

  // The three engines the growth compares.
  private static final List<Config> ENGINES = List.of(Config.SECCOMP, Config.FTRACE, Config.EBPF);

  // The engine's growth over the sizes it was measured at (rules added > 0): a least-squares line
  // through the medians, against rules added and against the predicates of the measured syscall
  // (ftrace's count). Empty under two sizes. {ns per rule, smallest, largest, ns per predicate}.
  private static Optional<double[]> slope(InKernelComparison.Result r, Config c) {
    List<InKernelComparison.Point> ps = r.points().stream().filter(p -> p.config() == c && p.addedRules() > 0)
        .sorted(java.util.Comparator.comparingInt(InKernelComparison.Point::addedRules)).toList();
    if (ps.size() < 2) {
      return Optional.empty();
    }
    double[] ns = ps.stream().mapToDouble(p -> Median.of(p.nsPerCall())).toArray();
    double[] rules = ps.stream().mapToDouble(InKernelComparison.Point::addedRules).toArray();
    double[] predicates = ps.stream().mapToDouble(p -> r.predicates().getOrDefault(p.addedRules(), 0)).toArray();
    return Optional.of(new double[] {leastSquares(rules, ns), rules[0], rules[rules.length - 1], leastSquares(predicates, ns)});
  }

  private static double leastSquares(double[] x, double[] y) {
    double mx = java.util.Arrays.stream(x).average().orElse(0);
    double my = java.util.Arrays.stream(y).average().orElse(0);
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxx == 0 ? Double.NaN : sxy / sxx;
  }

  private static void write(Path dir, Path policy, InKernelComparison.Result r, List<String> command, int repeat, long calls)
      throws IOException {
    CategoryChart bars = new CategoryChartBuilder().width(1000).height(480).title(r.workload() + ": ns per call (median)")
        .xAxisTitle("configuration").yAxisTitle("ns per call").build();
    List<String> names = new ArrayList<>();
    List<Double> medians = new ArrayList<>();
    for (Config c : r.configs()) {
      point(r, c, 0).ifPresent(p -> {
        names.add(c.title());
        medians.add(Median.of(p.nsPerCall()));
      });
    }
    bars.addSeries("median", names, medians);
    bars.getStyler().setLegendVisible(false);
    CompareReport.save(bars, dir, "kernel-configurations");
    boolean grew = r.points().stream().anyMatch(p -> p.addedRules() > 0);
    if (grew) {
      XYChart growth = new XYChartBuilder().width(900).height(480).title("ns per call as the policy grows (" + r.workload().syscall() + ")")
          .xAxisTitle("rules added on " + r.workload().syscall()).yAxisTitle("ns per call (median)").build();
      for (Config c : List.of(Config.NOTHING, Config.SECCOMP, Config.FTRACE, Config.EBPF)) {
        List<InKernelComparison.Point> ps = r.points().stream().filter(p -> p.config() == c).sorted(
            java.util.Comparator.comparingInt(InKernelComparison.Point::addedRules)).toList();
        if (!ps.isEmpty()) {
          growth.addSeries(c.title(), ps.stream().mapToDouble(InKernelComparison.Point::addedRules).toArray(),
              ps.stream().mapToDouble(p -> Median.of(p.nsPerCall())).toArray());
        }
      }
      CompareReport.save(growth, dir, "kernel-growth");
    }
    StringBuilder md = new StringBuilder();
    md.append("# evfilter compare --kernel: ").append(policy).append("\n\n");
    md.append("The two designs inside the kernel, on the same syscalls: the policy's rules as the filters of the syscall")
        .append(" trace events (Ingo Molnar's event filters, the engine ftrace still has) against the policy's seccomp BPF")
        .append(" program (the engine Linux merged), and Landlock where the policy lowers to it.\n\n");
    md.append("## Method\n\n");
    md.append("- Workload: `").append(r.workload()).append("`, ").append(calls).append(" calls a measurement after ")
        .append(calls / 10).append(" to warm up, made by `evfilter-launch --syscall-loop` (under seccomp and Landlock, in the")
        .append(" launcher itself after it installed them: no exec in between)")
        .append(r.workload().close() ? "; each call's descriptor is closed in the loop, so a figure is the call and a close(2)" : "")
        .append(". A configuration under which calls fail that did not fail under nothing stops the run: it would time refusals.\n");
    md.append("- ").append(repeat).append(" rounds; each round runs every configuration in turn (interleaved), at every policy")
        .append(" size. Medians and min-max over the rounds.\n");
    md.append("- ftrace: a private tracing instance; `syscalls/sys_enter_")
        .append(org.evfilter.events.syscalls.SyscallTable.tracefsName(r.workload().syscall()))
        .append("` enabled with the policy's rules for it as its filter, made to match nothing (`(rules) && common_pid < 0`).")
        .append(" Enabling a syscall event puts every task's syscalls on the tracing slow path (system-wide), and each event is")
        .append(" reserved in the buffer, filled, filtered and discarded: \"ftrace event, empty filter\" (the filter `common_pid < 0`")
        .append(" alone) is that cost, so the rules' own cost is \"ftrace event filters\" minus it. The buffer never fills. For the")
        .append(" command, every syscall the policy has rules for gets its filter. The instance is removed at the end, on Ctrl-C")
        .append(" and on error.\n");
    md.append("- eBPF: the same rules for `sys_enter_").append(org.evfilter.events.syscalls.SyscallTable.tracefsName(r.workload().syscall()))
        .append("`, in the engine's order, compiled to an eBPF program attached to that tracepoint (a perf event) as an observer:")
        .append(" it evaluates the rules with short-circuit jumps, stops at the first that matches and counts it in a per-CPU")
        .append(" array; it decides nothing. Attaching it puts every task's syscalls on the same tracing slow path as enabling")
        .append(" the event; \"eBPF program, no rules\" (a program that only counts the event) is that cost. Programs and map are")
        .append(" closed at the end; a perf event goes with the process.\n");
    md.append("- seccomp: the program `evfilter run --landlock=off` installs (").append(r.bpfInstructions())
        .append(" instructions executed for this call in the interpreter; 0 when the kernel's action cache answers it)")
        .append(r.notified() ? "; the call is notified: the supervisor decides it (user notification)" : "").append(".\n");
    md.append("- Machine: ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append(", ")
        .append(Runtime.getRuntime().availableProcessors()).append(" CPUs, not pinned.\n\n");
    md.append("## Per configuration\n\n| configuration | median ns/call | min | max | overhead vs nothing |\n|---|---|---|---|---|\n");
    double nothing = point(r, Config.NOTHING, 0).map(p -> Median.of(p.nsPerCall())).orElse(Double.NaN);
    for (Config c : r.configs()) {
      point(r, c, 0).ifPresent(p -> md.append(String.format("| %s | %.1f | %.1f | %.1f | %+.1f ns (%.2fx) |%n", c.title(),
          Median.of(p.nsPerCall()), min(p.nsPerCall()), max(p.nsPerCall()), Median.of(p.nsPerCall()) - nothing, Median.of(p.nsPerCall()) / nothing)));
    }
    md.append("\n![kernel-configurations](kernel-configurations.svg) ([PNG](kernel-configurations.png))\n\n");
    if (grew) {
      md.append("## As the policy grows\n\nEach added rule is `errno(EPERM) ").append(r.workload().syscall())
          .append(": ARG0 == V` with a V the loop never passes: none decides. ftrace evaluates every one in turn; the")
          .append(" compiler turns the set of values into a search tree (a few comparisons whatever its size), and a call that was")
          .append(" answered by the kernel's action cache no longer is once a rule reads its arguments. The eBPF program tests them")
          .append(" in turn as ftrace does, each a load and a jump. Each engine's slope is a least-squares line through its medians at")
          .append(" the sizes it was measured at (ftrace refuses a filter of 4096 bytes or more), per rule added and per predicate")
          .append(" of the measured syscall's filter.\n\n")
          .append("| rules added | predicates | nothing | seccomp BPF | ftrace event filters | eBPF tracepoint program |\n")
          .append("|---|---|---|---|---|---|\n");
      r.points().stream().map(InKernelComparison.Point::addedRules).distinct().sorted().forEach(n -> md.append(String.format(
          "| %d | %s | %s | %s | %s | %s |%n", n, Optional.ofNullable(r.predicates().get(n)).map(String::valueOf).orElse("-"),
          cell(point(r, Config.NOTHING, n)), cell(point(r, Config.SECCOMP, n)),
          point(r, Config.FTRACE, n).isPresent() ? cell(point(r, Config.FTRACE, n)) : "refused by the kernel (see notes)",
          cell(point(r, Config.EBPF, n)))));
      for (Config c : ENGINES) {
        if (c == Config.SECCOMP && r.notified()) {
          md.append("\nseccomp BPF: the call is notified, so its cost is the supervisor's round trip (unpinned here, it wakes the")
              .append(" other vCPU), not the program's: no per-rule figure.\n");
          continue;
        }
        slope(r, c).ifPresent(s -> md.append(String.format("%n%s: %+.2f ns per rule added, %+.2f ns per predicate (%d to %d rules).%n",
            c.title(), s[0], s[3], (int) s[1], (int) s[2])));
      }
      md.append("\n![kernel-growth](kernel-growth.svg) ([PNG](kernel-growth.png))\n\n");
    }
    md.append("## What ftrace carried\n\n");
    for (InKernelComparison.Pushed p : r.pushed()) {
      String f = p.filter().length() > 600 ? p.filter().substring(0, 600) + " ..." : p.filter();
      md.append("`sys_enter_").append(org.evfilter.events.syscalls.SyscallTable.tracefsName(p.syscall())).append("`: ").append(p.predicates()).append(" predicates: `").append(f).append("`\n\n");
      if (p.approximated().isEmpty()) {
        md.append("Every rule as written (ftrace has no actions: a rule's action is not in the filter, its condition is).\n\n");
      } else {
        p.approximated().forEach(a -> md.append("- approximated: ").append(a).append('\n'));
        md.append('\n');
      }
    }
    if (r.pushed().isEmpty()) {
      md.append("The policy has no rule on ").append(r.workload().syscall()).append(": nothing to push (the event is not enabled).\n\n");
    }
    r.ebpf().ifPresent(e -> {
      md.append("## What eBPF carried\n\n").append(e.instructions()).append(" instruction slots for the policy as it is; its programs")
          .append(" evaluated ").append(e.eventsCounted()).append(" events in all the rounds (every task's ")
          .append(r.workload().syscall()).append(" calls while attached).\n\n");
      if (e.replaced().isEmpty()) {
        md.append("Every rule as written.\n\n");
      } else {
        e.replaced().forEach(x -> md.append("- replaced: ").append(x).append('\n'));
        md.append('\n');
      }
    });
    if (!r.command().isEmpty()) {
      md.append("## `").append(String.join(" ", command)).append("`\n\n");
      md.append(r.commandSyscalls() > 0 ? r.commandSyscalls() + " syscalls a run (strace -f -c).\n\n" : "");
      md.append("| configuration | median ms | min | max | start-up ms | overhead net of start-up | ns per syscall added |\n")
          .append("|---|---|---|---|---|---|---|\n");
      Optional<InKernelComparison.CommandPoint> nothingPoint = r.command().stream().filter(p -> p.config() == Config.NOTHING).findFirst();
      double base = nothingPoint.map(p -> Median.of(p.millis()) - Median.of(p.startMillis())).orElse(Double.NaN);
      for (InKernelComparison.CommandPoint p : r.command()) {
        double m = Median.of(p.millis());
        double net = m - Median.of(p.startMillis()) - base;
        md.append(String.format("| %s | %.1f | %.1f | %.1f | %.1f | %+.1f ms | %s |%n", p.config().title(), m, min(p.millis()),
            max(p.millis()), Median.of(p.startMillis()), net,
            r.commandSyscalls() > 0 ? String.format("%.0f", net * 1e6 / r.commandSyscalls()) : "-"));
      }
      md.append("\nEach time runs from starting the command to its exit (events were enabled before). Under seccomp and Landlock")
          .append(" the command starts through the launcher, which installs them, and the supervisor's handshake; so each round")
          .append(" also times that start-up alone (the launcher making none of the loop's calls, under the same configuration),")
          .append(" and the overhead is the command's time minus its configuration's start-up, against the same under nothing.")
          .append(" The command itself is exec'd once more under the launcher. The policy was compiled and the ruleset built")
          .append(" before. A command of few syscalls is dominated by the noise of process start-up: read its per-syscall")
          .append(" figure with its min-max.\n\n");
    }
    md.append("## Notes\n\n");
    r.notes().forEach(n -> md.append("- ").append(n).append('\n'));
    String text = md.toString();
    Files.writeString(dir.resolve("report.md"), text);
    Files.writeString(dir.resolve("report.html"), CompareReport.html(text));
  }
}
