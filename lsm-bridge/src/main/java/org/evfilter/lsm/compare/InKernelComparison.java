package org.evfilter.lsm.compare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.events.tracefs.TracingInstance;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.landlock.LandlockLowering;
import org.evfilter.lsm.landlock.LandlockPlan;
import org.evfilter.lsm.landlock.LandlockRuleset;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.Sandbox;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.lsm.supervise.XattrScan;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.FtraceFilter;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * The two designs where they live: the same syscalls under nothing, under the policy's seccomp
 * program, under the policy's rules pushed into the kernel's trace-event filters (Ingo Molnar's
 * engine, which the kernel still has), both, and Landlock where the policy lowers to it; measured
 * in one run, interleaved and repeated, and again as the policy grows.
 *
 * <p>Event filters are made to match nothing ({@code (rules) && common_pid < 0}: no pid is
 * negative), so an event costs the tracepoint, the filter's evaluation and the discard, and the
 * buffer never fills. What ftrace's language cannot say (labels, strings in user memory) is
 * replaced by a never-true test of {@code common_pid}: the predicate's evaluation is still paid,
 * and so are the rules after it (a rule that would have decided no longer ends the evaluation);
 * its answer is not the policy's. Every such replacement is listed.
 */
public final class InKernelComparison {
  /** What the workload runs under. */
  public enum Config {
    NOTHING("nothing"),
    SECCOMP("seccomp BPF"),
    EVENT("ftrace event, empty filter"),
    FTRACE("ftrace event filters"),
    BOTH("seccomp BPF + ftrace"),
    LANDLOCK("seccomp BPF + Landlock");

    private final String title;

    Config(String title) {
      this.title = title;
    }

    public String title() {
      return title;
    }
  }

  /**
   * The built-in microbenchmark: {@code syscall} with {@code args} (numbers, or {@code @TEXT} for
   * a pointer to TEXT), its result closed when {@code close} (an open's descriptor).
   */
  public record Workload(String syscall, List<String> args, boolean close) {
    public Workload {
      args = List.copyOf(args);
    }

    /** {@code name(arg, ...)} as written. */
    @Override
    public String toString() {
      return syscall + "(" + String.join(", ", args) + ")";
    }
  }

  /**
   * How to measure: {@code repetitions} rounds, each running every configuration in turn;
   * {@code calls} syscalls a measurement; the policy grown by each of {@code growth} rules.
   */
  public record Options(int repetitions, long calls, List<Integer> growth) {
    public Options {
      growth = List.copyOf(growth);
    }
  }

  /** One configuration at one policy size: ns per call, one value per repetition. */
  public record Point(Config config, int addedRules, List<Double> nsPerCall) {}

  /**
   * The filter written for one syscall's {@code sys_enter} event, how many predicates it has, the
   * rules it could not carry as written (and how they were approximated).
   */
  public record Pushed(String syscall, String filter, int predicates, List<String> approximated) {}

  /** A real command under each configuration: wall milliseconds per repetition. */
  public record CommandPoint(Config config, List<Double> millis) {}

  /**
   * Everything measured: the configurations of the policy, the points (the policy as it is at
   * {@code addedRules} 0), the filters pushed for the measured syscall, what the supervisor had to
   * decide (it answers for the seccomp configurations when the workload's call is notified).
   */
  public record Result(Workload workload, List<Config> configs, List<Point> points, List<Pushed> pushed, boolean notified,
      long bpfInstructions, List<String> notes, List<CommandPoint> command, long commandSyscalls) {}

  private BoundPolicy policy;
  private final Workload workload;
  private final Options options;
  private final Path tracefs;
  private final Consumer<String> progress;
  private final Syscall syscall;
  private final Path work;
  private final Path launcher;
  private final int abi;

  private InKernelComparison(BoundPolicy policy, Workload workload, Options options, Path tracefs, int abi, Consumer<String> progress)
      throws IOException {
    this.policy = policy;
    this.workload = workload;
    this.options = options;
    this.tracefs = tracefs;
    this.abi = abi;
    this.progress = progress;
    this.syscall = SyscallTable.of(Arch.X86_64).byName(workload.syscall())
        .orElseThrow(() -> new IllegalArgumentException("no syscall " + workload.syscall() + " on x86_64"));
    this.work = Files.createTempDirectory("evfilter-kernel", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    this.launcher = Sandbox.launcher(work);
  }

  /**
   * Measures {@code workload} (and {@code command}, when not empty) under {@code policy} with the
   * trace-event filters of a private instance of the tracefs at {@code tracefs}, which is removed
   * before this returns, whatever happens.
   */
  public static Result run(BoundPolicy policy, Workload workload, List<String> command, Options options, Path tracefs, int abi,
      Consumer<String> progress) throws IOException, InterruptedException {
    InKernelComparison c = new InKernelComparison(policy, workload, options, tracefs, abi, progress);
    try {
      return c.measure(command);
    } finally {
      Files.deleteIfExists(c.launcher);
      Files.deleteIfExists(c.work.resolve("out"));
      Files.deleteIfExists(c.work);
    }
  }

  // ---- one policy, prepared for every configuration

  private record Prepared(BoundPolicy policy, SeccompCompiler.Compilation plain, Optional<LandlockPlan> landlock,
      Optional<LandlockRuleset> ruleset, Map<String, String> filters, List<Pushed> pushed) {}

  private Prepared prepare(BoundPolicy p, boolean everyEvent) throws IOException {
    BoundPolicy program = Supervisor.programPolicy(p, SeccompCompiler.supervised(p));
    SeccompCompiler.Options o = SeccompCompiler.Options.defaults().withRefusedListeners(true);
    SeccompCompiler.Compilation plain = SeccompCompiler.compile(program, o);
    Optional<LandlockPlan> plan = Optional.empty();
    Optional<LandlockRuleset> ruleset = Optional.empty();
    if (abi > 0) {
      LandlockPlan lp = LandlockLowering.plan(program, o, abi);
      if (lp.usesLandlock()) {
        LandlockRuleset.Built b = LandlockRuleset.build(program, lp, program.labelResolver(16384, LinuxXattrs.reader()),
            new XattrScan(LabelResolver.XATTRS));
        if (b.excluded().isEmpty()) {
          plan = Optional.of(lp);
          ruleset = b.ruleset();
        }
      }
    }
    PolicyEngine engine = PolicyEngine.compile(p, Arch.X86_64);
    Map<String, String> filters = new LinkedHashMap<>();
    List<Pushed> pushed = new ArrayList<>();
    for (Syscall s : SyscallTable.of(Arch.X86_64).all()) {
      if (!everyEvent && s.nr() != syscall.nr() || engine.rules(s.nr()).isEmpty()) {
        continue;
      }
      Pushed f = ftraceFilter(s, engine.rules(s.nr()));
      filters.put("syscalls/sys_enter_" + s.name(), f.filter());
      if (s.nr() == syscall.nr() || everyEvent) {
        pushed.add(f);
      }
    }
    return new Prepared(p, plain, plan, ruleset, filters, pushed);
  }

  // The rules of one syscall as one event filter, tried in the engine's order; the first rule that
  // holds ends the evaluation (a decision), and the whole is made to match nothing.
  private Pushed ftraceFilter(Syscall s, List<PolicyEngine.CompiledRule> rules) {
    List<String> parts = new ArrayList<>();
    List<String> approximated = new ArrayList<>();
    int[] predicates = {1}; // the closing common_pid test
    for (PolicyEngine.CompiledRule cr : rules) {
      BoundPolicy.Rule r = cr.rule();
      if (r.filter().isEmpty()) {
        parts.add("common_pid >= 0");
        predicates[0]++;
        break; // an unconditional rule decides: nothing after it is ever evaluated
      }
      List<String> lost = new ArrayList<>();
      // Policies name arguments argN (seccomp's view); the event names them as the kernel's source does.
      String text = render(r.filter().get(), lost, predicates);
      for (int i = 0; i < s.arguments().size(); i++) {
        text = text.replaceAll("\\barg" + i + "\\b", s.arguments().get(i).name());
      }
      text = text.replaceAll("\\bnr\\b", "__syscall_nr");
      parts.add("(" + text + ")");
      if (!lost.isEmpty()) {
        approximated.add(r.origin() + ": " + String.join(", ", lost.stream().map(l -> l.endsWith("dropped)") ? l
            : l + " (" + (l.startsWith("label") ? "ftrace has no labels" : "ftrace cannot say it") + ": evaluated as common_pid < 0,"
            + " never true: its evaluation is paid, and the rules after it are evaluated too)").toList()));
      }
    }
    String filter = "(" + String.join(" || ", parts) + ") && common_pid < 0";
    return new Pushed(s.name(), filter, predicates[0], approximated);
  }

  private String render(BoundExpression e, List<String> lost, int[] predicates) {
    if (e instanceof BoundExpression.All a) {
      return "(" + String.join(" && ", a.operands().stream().map(o -> render(o, lost, predicates)).toList()) + ")";
    }
    if (e instanceof BoundExpression.Any a) {
      return "(" + String.join(" || ", a.operands().stream().map(o -> render(o, lost, predicates)).toList()) + ")";
    }
    if (e instanceof BoundExpression.Negation n) {
      return "!(" + render(n.operand(), lost, predicates) + ")";
    }
    predicates[0]++;
    if (e instanceof Atom.Numeric n && n.field().name().equals("label")) {
      lost.add(describe(n));
      return "common_pid < 0";
    }
    if (e instanceof Atom.Numeric n && n.mask() != -1L && (n.mask() & 0xffffffffL) == 0xffffffffL && n.operator() != Operator.BAND) {
      // A 4-byte argument's comparison masks its register's low word; ftrace has no masked
      // comparison but one bit test per bit (32 predicates): compared whole instead.
      lost.add(describe(n) + " (its 32-bit mask dropped)");
      e = new Atom.Numeric(n.field(), n.operator(), n.value(), -1L);
      return FtraceFilter.render(e).orElse("common_pid < 0");
    }
    Optional<String> text = FtraceFilter.render(e);
    if (text.isPresent()) {
      return text.get();
    }
    lost.add(describe((Atom) e));
    return "common_pid < 0";
  }

  private String describe(Atom a) {
    if (a instanceof Atom.Numeric n) {
      return n.field().name() + " " + n.operator().symbol() + " " + (n.field().name().equals("label")
          ? String.join(" | ", policy.labelNames(n.value())) : Long.toString(n.value()));
    }
    if (a instanceof Atom.Text t) {
      return t.field().name() + " " + t.operator().symbol() + " \"" + t.literal() + "\"";
    }
    return a.toString();
  }

  // The policy with n rules more on the measured syscall, each a comparison of its first argument
  // with a value the workload never passes (so every one is evaluated and none decides).
  private BoundPolicy grown(int n) {
    if (n == 0) {
      return policy;
    }
    if (syscall.arguments().isEmpty()) {
      throw new IllegalArgumentException(syscall.name() + " has no argument for the growing policy's rules to compare:"
          + " choose a syscall with arguments (--syscall personality:0xffffffff)");
    }
    String field = syscall.arguments().get(0).name();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < n; i++) {
      text.append("errno(EPERM) ").append(syscall.name()).append(": ").append(field).append(" == ").append(1000 + i).append('\n');
    }
    BoundPolicy more = PolicyBinder.bind("growth", text.toString(), KernelFacts.ofThisMachine(), Arch.X86_64);
    List<BoundPolicy.Rule> rules = new ArrayList<>(more.rules());
    rules.addAll(policy.rules());
    return new BoundPolicy(policy.arch(), policy.defaultAction(), rules, policy.labels(), policy.fileContexts());
  }

  // ---- measuring

  private Result measure(List<String> command) throws IOException, InterruptedException {
    List<String> notes = new ArrayList<>();
    long[] callArgs = new long[6];
    for (int i = 0; i < workload.args().size() && i < 6; i++) {
      String a = workload.args().get(i);
      callArgs[i] = a.startsWith("@") ? 0x7f0000000000L : Long.decode(a);
    }
    // The engines are compared on a call the kernel carries out: one the policy refuses would skip
    // the syscall under seccomp (and its event), not under nothing. Such a policy ends with an allow.
    BoundPolicy.Verdict verdict = PolicyEngine.compile(policy, Arch.X86_64).decide(new org.evfilter.predicates.eval.SeccompView()
        .set(org.evfilter.events.SyscallEvent.builder(Arch.X86_64, syscall.nr(), callArgs).build(), 0),
        new org.evfilter.predicates.eval.CompiledFilter.Counter());
    if (verdict.kind() != org.evfilter.grammar.policy.ActionKind.ALLOW && !SeccompCompiler.supervised(policy)) {
      BoundPolicy allow = PolicyBinder.bind("measured call", "allow " + syscall.name() + "\n", KernelFacts.ofThisMachine(), Arch.X86_64);
      List<BoundPolicy.Rule> rules = new ArrayList<>(policy.rules());
      rules.addAll(allow.rules());
      policy = new BoundPolicy(policy.arch(), policy.defaultAction(), rules, policy.labels(), policy.fileContexts());
      notes.add("the policy refuses " + workload + " (" + verdict + "): measured with `allow " + syscall.name() + "` added after every"
          + " rule (all of the policy's rules on it are still evaluated first), so that every configuration carries the call out");
    }
    Prepared base = prepare(policy, false);
    List<Config> configs = new ArrayList<>(List.of(Config.NOTHING, Config.SECCOMP, Config.EVENT, Config.FTRACE, Config.BOTH));
    if (base.landlock().isPresent()) {
      configs.add(Config.LANDLOCK);
    }
    // Strings are pointers the program never reads; what it decides on them it defers.
    org.evfilter.lsm.bpf.BpfProgram program = base.plain().program();
    int ret = program.run(new SeccompData(syscall.nr(), (int) Arch.X86_64.auditArch(), 0, callArgs)).value();
    boolean notified = (ret & 0xffff0000) == 0x7fc00000;
    boolean cached = org.evfilter.lsm.bpf.ActionCache.allowed(program, (int) Arch.X86_64.auditArch(),
        SyscallTable.of(Arch.X86_64).maxNumber()).get(syscall.nr());
    long executed = cached ? 0 : program.run(new SeccompData(syscall.nr(), (int) Arch.X86_64.auditArch(), 0, callArgs)).executed();
    if (cached) {
      notes.add("seccomp: the kernel's action cache answers " + syscall.name() + " (allowed whatever its arguments): the program"
          + " does not run for it, so the seccomp figure is the cost of seccomp's entry path alone");
    }
    notes.add("speculation mitigations that apply to seccomp tasks here: " + vulnerabilities());
    Map<Integer, Prepared> sizes = new LinkedHashMap<>();
    sizes.put(0, base);
    for (int n : options.growth()) {
      if (n > 0) {
        sizes.put(n, prepare(grown(n), false));
      }
    }
    Map<Config, Map<Integer, List<Double>>> ns = new EnumMap<>(Config.class);
    Map<Integer, String> tooLong = new LinkedHashMap<>();
    List<CommandPoint> commandPoints = new ArrayList<>();
    Map<Config, List<Double>> commandMillis = new EnumMap<>(Config.class);
    Prepared forCommand = command.isEmpty() ? null : prepare(policy, true);
    TracingInstance.removeStale(tracefs, "evfilter-kernel");
    try (TracingInstance instance = TracingInstance.create(tracefs, "evfilter-kernel-" + ProcessHandle.current().pid())) {
      Thread hook = new Thread(() -> {
        try {
          remove(instance); // Ctrl-C: nothing stays enabled
        } catch (IOException e) {
          // best effort on the way out
        }
      }, "evfilter-kernel-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        for (int rep = 1; rep <= options.repetitions(); rep++) {
          for (Map.Entry<Integer, Prepared> size : sizes.entrySet()) {
            String refused = filters(instance, size.getValue());
            if (refused != null) {
              tooLong.putIfAbsent(size.getKey(), refused);
            }
            for (Config c : configs) {
              if (size.getKey() > 0 && c != Config.NOTHING && c != Config.SECCOMP && c != Config.FTRACE) {
                continue; // the growth compares the two engines
              }
              if (refused != null && (c == Config.FTRACE || c == Config.BOTH || c == Config.EVENT)) {
                continue;
              }
              if (size.getKey() > 0 && c == Config.EVENT) {
                continue;
              }
              progress.accept("round " + rep + "/" + options.repetitions() + ": " + c.title() + ", " + size.getKey() + " rules added");
              configure(instance, size.getValue(), c);
              double v = once(instance, size.getValue(), c, loop());
              ns.computeIfAbsent(c, k -> new LinkedHashMap<>()).computeIfAbsent(size.getKey(), k -> new ArrayList<>()).add(v);
            }
          }
          if (forCommand != null) {
            String refused = filters(instance, forCommand);
            if (refused != null) {
              throw new IOException("the command's policy cannot be pushed into ftrace: " + refused);
            }
            for (Config c : configs) {
              if (c == Config.EVENT) {
                continue;
              }
              progress.accept("round " + rep + "/" + options.repetitions() + ": " + String.join(" ", command) + " under " + c.title());
              configure(instance, forCommand, c);
              long t0 = System.nanoTime();
              once(instance, forCommand, c, command);
              commandMillis.computeIfAbsent(c, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
            }
          }
        }
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook runs anyway
        }
      }
    }
    List<Point> points = new ArrayList<>();
    ns.forEach((c, bySize) -> bySize.forEach((n, v) -> points.add(new Point(c, n, v))));
    commandMillis.forEach((c, v) -> commandPoints.add(new CommandPoint(c, v)));
    tooLong.forEach((n, why) -> notes.add("ftrace could not take the policy with " + n + " rules added: " + why
        + "; only seccomp was measured there"));
    refusedEvents.forEach((e, why) -> notes.add("not pushed to " + e + ": " + why));
    List<Pushed> pushed = new ArrayList<>(base.pushed());
    if (forCommand != null) {
      forCommand.pushed().stream().filter(p -> !p.approximated().isEmpty() && !p.syscall().equals(syscall.name()))
          .forEach(pushed::add);
    }
    if (notified) {
      notes.add(workload + " is notified by the policy's program: under seccomp BPF the supervisor decides it (user notification)");
    }
    base.landlock().ifPresent(pl -> notes.add("Landlock decides the labels of " + pl.lowered().size() + " syscall(s); the program lets"
        + " those calls through to it"));
    if (base.landlock().isEmpty()) {
      notes.add("Landlock: the policy lowers nothing to it here (see `evfilter explain`), so that configuration is not run");
    }
    return new Result(workload, configs, points, pushed, notified, executed, notes, commandPoints,
        command.isEmpty() ? 0 : countSyscalls(command));
  }

  // The shutdown hook's way to remove the instance while the measuring thread still holds it.
  private static void remove(TracingInstance instance) throws IOException {
    instance.close();
  }

  private List<String> loop() {
    List<String> out = new ArrayList<>(List.of("--syscall-loop", Long.toString(options.calls()), workload.close() ? "1" : "0",
        Integer.toString(syscall.nr())));
    out.addAll(workload.args());
    return out;
  }

  private final Map<String, Boolean> enabled = new LinkedHashMap<>();

  // Sets p's filters; why the kernel refused one (null: it took them all).
  private String filters(TracingInstance instance, Prepared p) throws IOException {
    for (String e : enabled.keySet()) {
      instance.disable(e);
    }
    enabled.clear();
    for (Map.Entry<String, String> f : p.filters().entrySet()) {
      if (Files.isDirectory(instance.directory().resolve("events").resolve(f.getKey()))) {
        if (f.getValue().length() >= 4096) {
          return "the kernel takes event filters shorter than 4096 bytes; " + f.getKey() + "'s is " + f.getValue().length();
        }
        try {
          instance.filter(f.getKey(), f.getValue());
        } catch (IOException e) {
          if (f.getKey().endsWith("sys_enter_" + syscall.name())) {
            return e.getMessage();
          }
          refusedEvents.putIfAbsent(f.getKey(), e.getMessage());
          continue;
        }
        enabled.put(f.getKey(), false);
      } else {
        refusedEvents.putIfAbsent(f.getKey(), "no such event in this kernel's tracefs");
      }
    }
    return null;
  }

  private final Map<String, String> refusedEvents = new LinkedHashMap<>();

  // The measured syscall's event enabled with a filter that holds nothing but the closing test.
  private void emptyFilter(TracingInstance instance, boolean empty, Prepared p) throws IOException {
    String event = "syscalls/sys_enter_" + syscall.name();
    if (enabled.containsKey(event)) {
      instance.filter(event, empty ? "common_pid < 0" : p.filters().get(event));
    }
  }

  private void events(TracingInstance instance, boolean on) throws IOException {
    for (Map.Entry<String, Boolean> e : enabled.entrySet()) {
      if (e.getValue() != on) {
        if (on) {
          instance.enable(e.getKey());
        } else {
          instance.disable(e.getKey());
        }
        e.setValue(on);
      }
    }
  }

  // One run of argv (the loop, or a command) under c: ns per call for the loop.
  private void configure(TracingInstance instance, Prepared p, Config c) throws IOException {
    boolean tracing = c == Config.FTRACE || c == Config.BOTH || c == Config.EVENT;
    if (tracing) {
      emptyFilter(instance, c == Config.EVENT, p);
    }
    events(instance, tracing);
  }

  private double once(TracingInstance instance, Prepared p, Config c, List<String> argv) throws IOException, InterruptedException {
    Path out = work.resolve("out");
    boolean loop = argv.get(0).equals("--syscall-loop");
    if (c == Config.NOTHING || c == Config.FTRACE || c == Config.EVENT) {
      List<String> full = new ArrayList<>();
      if (loop) {
        full.add(launcher.toString());
      }
      full.addAll(argv);
      Process proc = new ProcessBuilder(full).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      if (!proc.waitFor(10, TimeUnit.MINUTES)) {
        proc.destroyForcibly();
        throw new IOException(String.join(" ", full) + " did not finish");
      }
      if (proc.exitValue() != 0) {
        throw new IOException(String.join(" ", full) + " failed under " + c.title() + " (status " + proc.exitValue() + ")");
      }
      return loop ? parse(out) : 0;
    }
    boolean landlock = c == Config.LANDLOCK;
    SeccompCompiler.Compilation program = landlock ? p.landlock().orElseThrow().compilation() : p.plain();
    Optional<byte[]> rules = landlock ? p.ruleset().map(LandlockRuleset::serialise) : Optional.empty();
    Set<List<Long>> anchors = landlock ? p.ruleset().map(LandlockRuleset::anchors).orElse(Set.of()) : Set.of();
    try (Sandbox sandbox = Sandbox.start(program.program(), program.notifies(), rules, argv, out)) {
      Thread supervisor = null;
      if (sandbox.listener().isPresent()) {
        BoundPolicy pol = p.policy();
        supervisor = new Thread(() -> new Supervisor(pol, pol.labelResolver(16384, LinuxXattrs.reader()), AuditLog.none(), 16384)
            .keepInPlace(anchors).serve(sandbox.listener().get()), "evfilter-kernel-supervisor");
        supervisor.start();
      }
      int status = sandbox.waitFor();
      if (supervisor != null) {
        supervisor.join(10_000);
      }
      if (status != 0) {
        throw new IOException((loop ? "the microbenchmark" : String.join(" ", argv)) + " failed under " + c.title() + " (status "
            + status + ")" + (loop ? ": does the policy allow write and exit_group?" : ""));
      }
    }
    return loop ? parse(out) : 0;
  }

  private static double parse(Path out) throws IOException {
    String s = Files.readString(out, StandardCharsets.US_ASCII).trim();
    if (!s.startsWith("ns_per_call ")) {
      throw new IOException("the microbenchmark printed no result: " + s);
    }
    return Double.parseDouble(s.substring("ns_per_call ".length()));
  }

  private static String vulnerabilities() {
    List<String> out = new ArrayList<>();
    for (String v : List.of("spec_store_bypass", "spectre_v2")) {
      try {
        out.add(v + ": " + Files.readString(Path.of("/sys/devices/system/cpu/vulnerabilities", v)).strip());
      } catch (IOException e) {
        out.add(v + ": unknown");
      }
    }
    return String.join("; ", out);
  }

  // How many syscalls the command makes (strace -f -c, once), 0 when strace is not there.
  private long countSyscalls(List<String> command) throws InterruptedException {
    try {
      Path summary = work.resolve("strace.txt");
      List<String> argv = new ArrayList<>(List.of("strace", "-f", "-c", "-o", summary.toString()));
      argv.addAll(command);
      Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      p.waitFor(10, TimeUnit.MINUTES);
      long total = 0;
      for (String line : Files.readAllLines(summary)) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 5 && f[f.length - 1].equals("total")) {
          total = Long.parseLong(f[3]);
        }
      }
      Files.deleteIfExists(summary);
      return total;
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }
}
