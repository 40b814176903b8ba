package org.evfilter.compare;

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
import org.evfilter.lsm.bpf.SeccompReturn;
import org.evfilter.lsm.compile.SeccompActions;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.landlock.LandlockPlan;
import org.evfilter.lsm.landlock.LandlockRuleset;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.plan.EnforcementPlan;
import org.evfilter.lsm.plan.Kernel;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.Sandbox;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.FtraceFilter;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.PolicyEngine;

/**
 * The two designs where they live: the same syscalls under nothing, under the policy's seccomp
 * program, under the policy's rules pushed into the kernel's trace-event filters (Ingo Molnar's
 * engine, which the kernel still has), both, the same rules compiled to eBPF programs on the
 * syscall's tracepoint ({@link TracepointObserver}, the third engine), and Landlock where the policy
 * lowers to it; measured in one run, interleaved and repeated, and again as the policy grows.
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
    EBPF_EVENT("eBPF program, no rules"),
    EBPF("eBPF tracepoint program"),
    LANDLOCK("seccomp BPF + Landlock");

    private final String title;

    Config(String title) {
      this.title = title;
    }

    public String title() {
      return title;
    }

    /** Whether the workload runs under an eBPF program on its syscall's tracepoint. */
    public boolean observed() {
      return this == EBPF || this == EBPF_EVENT;
    }
  }

  /**
   * The built-in microbenchmark: {@code syscall} with {@code args} (numbers, or {@code @TEXT} for
   * a pointer to TEXT), its result closed when {@code close} (an open's descriptor).
   */
  public record Workload(String syscall, List<String> args, boolean close) {
    // Syscalls whose result is a new descriptor: the loop closes it, or it would run out of them.
    private static final Set<String> DESCRIPTORS = Set.of("open", "openat", "openat2", "creat", "socket", "dup", "dup2", "dup3",
        "eventfd", "eventfd2", "epoll_create", "epoll_create1", "memfd_create", "memfd_secret", "pidfd_open", "pidfd_getfd",
        "signalfd", "signalfd4", "timerfd_create", "inotify_init", "inotify_init1", "fanotify_init", "userfaultfd",
        "perf_event_open", "open_by_handle_at", "accept", "accept4", "fsopen", "fsmount", "fspick", "open_tree", "io_uring_setup");

    public Workload {
      args = List.copyOf(args);
    }

    /** The call {@code name} with {@code args}, its result closed when it is a new descriptor. */
    public static Workload of(String name, List<String> args) {
      return new Workload(name, args, DESCRIPTORS.contains(name));
    }

    /**
     * An argument's value: a number as C writes it (decimal, 0x hex, 0 octal, a leading minus; up
     * to 64 bits unsigned), or a placeholder for {@code @TEXT} (a pointer the loop supplies).
     *
     * @throws NumberFormatException when it is neither
     */
    public static long argument(String a) {
      if (a.startsWith("@")) {
        return 0x7f0000000000L;
      }
      boolean negative = a.startsWith("-");
      String digits = negative ? a.substring(1) : a;
      if (digits.startsWith("-") || digits.startsWith("+")) {
        throw new NumberFormatException(a);
      }
      long v = digits.matches("0[xX][0-9a-fA-F]+") ? Long.parseUnsignedLong(digits.substring(2), 16)
          : digits.matches("0[0-7]+") ? Long.parseUnsignedLong(digits.substring(1), 8) : Long.parseUnsignedLong(digits);
      return negative ? -v : v;
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

  /**
   * A real command under each configuration: wall milliseconds per repetition, and the start-up
   * of the same configuration in the same round (the launcher making no call of the loop:
   * starting it, installing the program and ruleset, the supervisor's handshake).
   */
  public record CommandPoint(Config config, List<Double> millis, List<Double> startMillis) {}

  /**
   * Everything measured: the configurations of the policy, the points (the policy as it is at
   * {@code addedRules} 0), the filters pushed for the measured syscall, what the supervisor had to
   * decide (it answers for the seccomp configurations when the workload's call is notified).
   */
  public record Result(Workload workload, List<Config> configs, List<Point> points, List<Pushed> pushed, boolean notified,
      long bpfInstructions, List<String> notes, List<CommandPoint> command, long commandSyscalls, Map<Integer, Integer> predicates,
      Optional<Observed> ebpf) {}

  /**
   * The eBPF engine's side: its program's instruction slots for the policy as it is, the rules it
   * could not carry as written (and how they were replaced), the events its programs counted.
   */
  public record Observed(int instructions, List<String> replaced, long eventsCounted) {
    public Observed {
      replaced = List.copyOf(replaced);
    }
  }

  private BoundPolicy policy;
  private final Workload workload;
  private final Options options;
  private final Path tracefs;
  private final Consumer<String> progress;
  private final Syscall syscall;
  private final Path work;
  private final Path launcher;
  private final int abi;

  // The events enabled in the instance (and whether they are on now); those the kernel refused, why.
  private final Map<String, Boolean> enabled = new LinkedHashMap<>();
  private final Map<String, String> refusedEvents = new LinkedHashMap<>();
  // The loop's last run: how many of its timed calls failed, and the errno of the last failure.
  private long failed;
  private long failedErrno;
  private final Map<Integer, Long> failedUnderNothing = new LinkedHashMap<>();
  // What the rounds measured: ns per call by configuration and rules added; why ftrace could not
  // take a size; the command's milliseconds and its start-up's.
  private final Map<Config, Map<Integer, List<Double>>> ns = new EnumMap<>(Config.class);
  private final Map<Integer, String> tooLong = new LinkedHashMap<>();
  private final Map<Config, List<Double>> commandMillis = new EnumMap<>(Config.class);
  private final Map<Config, List<Double>> startMillis = new EnumMap<>(Config.class);
  // The eBPF engine's programs while the rounds run.
  private TracepointObserver observer;

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
      Optional<LandlockRuleset> ruleset, Map<String, String> filters, List<Pushed> pushed, List<PolicyEngine.CompiledRule> rules) {}

  private Prepared prepare(BoundPolicy p, boolean everyEvent) throws IOException {
    SeccompCompiler.Options o = SeccompCompiler.Options.defaults().withRefusedListeners(true);
    EnforcementPlan enforcement = EnforcementPlan.of(p, Kernel.assuming(abi, Arch.X86_64),
        new EnforcementPlan.Options(o, abi > 0 ? EnforcementPlan.Landlock.BUILD_ONCE : EnforcementPlan.Landlock.OFF, true));
    SeccompCompiler.Compilation plain = SeccompCompiler.compile(enforcement.program(), o);
    Optional<LandlockPlan> plan = enforcement.landlockDecides();
    Optional<LandlockRuleset> ruleset = enforcement.ruleset();
    PolicyEngine engine = PolicyEngine.compile(p, Arch.X86_64);
    Map<String, String> filters = new LinkedHashMap<>();
    List<Pushed> pushed = new ArrayList<>();
    for (Syscall s : SyscallTable.of(Arch.X86_64).all()) {
      boolean measured = s.nr() == syscall.nr();
      if (!measured && (!everyEvent || engine.rules(s.nr()).isEmpty())) {
        continue;
      }
      Pushed f = ftraceFilter(s, engine.rules(s.nr()));
      filters.put(event(s), f.filter());
      if (s.nr() == syscall.nr() || everyEvent) {
        pushed.add(f);
      }
    }
    return new Prepared(p, plain, plan, ruleset, filters, pushed, engine.rules(syscall.nr()));
  }

  // The tracefs event of a syscall's entry (stat's is newstat's, ...).
  private static String event(Syscall s) {
    return "syscalls/sys_enter_" + SyscallTable.tracefsName(s.name());
  }

  // The rules of one syscall as one event filter, tried in the engine's order; the first rule that
  // holds ends the evaluation (a decision), and the whole is made to match nothing.
  private Pushed ftraceFilter(Syscall s, List<PolicyEngine.CompiledRule> rules) {
    List<String> parts = new ArrayList<>();
    List<String> approximated = new ArrayList<>();
    for (PolicyEngine.CompiledRule cr : rules) {
      BoundPolicy.Rule r = cr.rule();
      if (r.filter().isEmpty()) {
        parts.add("common_pid >= 0");
        break; // an unconditional rule decides: nothing after it is ever evaluated
      }
      List<String> lost = new ArrayList<>();
      // Policies name arguments argN (seccomp's view); the event names them as the kernel's source does.
      String text = render(r.filter().get(), lost, false);
      for (int i = 0; i < s.arguments().size(); i++) {
        text = text.replaceAll("\\barg" + i + "\\b", s.arguments().get(i).name());
      }
      text = text.replaceAll("\\bnr\\b", "__syscall_nr");
      parts.add("(" + text + ")");
      if (!lost.isEmpty()) {
        approximated.add(r.origin() + ": " + String.join(", ", lost.stream().map(l -> l.endsWith("dropped)") ? l
            : l + " (" + (l.startsWith("label") ? "ftrace has no labels" : "ftrace cannot say it") + ": a test of common_pid"
            + " that makes the rule fail, false where it stands plainly and true under a negation: its evaluation is paid,"
            + " and the rules after it are evaluated too)").toList()));
      }
    }
    String filter = parts.isEmpty() ? "common_pid < 0" : "(" + String.join(" || ", parts) + ") && common_pid < 0";
    return new Pushed(s.name(), filter, predicates(filter), approximated);
  }

  // The predicates of a filter as the kernel counts them (a set or a bit mask lowered to several);
  // read in evfilter's dialect, which has no 4096-byte limit: a filter too long is counted, then refused.
  private static int predicates(String filter) {
    return org.evfilter.grammar.FilterParser.parseFilter("<pushed>", filter, org.evfilter.grammar.Dialect.EVFILTER,
        org.evfilter.grammar.PredicateChecker.NONE).expression().map(InKernelComparison::leaves).orElse(0);
  }

  private static int leaves(org.evfilter.grammar.ast.Expression e) {
    if (e instanceof org.evfilter.grammar.ast.And a) {
      return a.operands().stream().mapToInt(InKernelComparison::leaves).sum();
    }
    if (e instanceof org.evfilter.grammar.ast.Or o) {
      return o.operands().stream().mapToInt(InKernelComparison::leaves).sum();
    }
    if (e instanceof org.evfilter.grammar.ast.Not n) {
      return leaves(n.operand());
    }
    return 1;
  }

  // A stand-in for what ftrace cannot test is chosen so that the rule never holds because of it:
  // false where it stands plainly, true under an odd number of negations.
  private static String standIn(boolean negated) {
    return negated ? "common_pid >= 0" : "common_pid < 0";
  }

  private String render(BoundExpression e, List<String> lost, boolean negated) {
    if (e instanceof BoundExpression.All a) {
      return "(" + String.join(" && ", a.operands().stream().map(o -> render(o, lost, negated)).toList()) + ")";
    }
    if (e instanceof BoundExpression.Any a) {
      return "(" + String.join(" || ", a.operands().stream().map(o -> render(o, lost, negated)).toList()) + ")";
    }
    if (e instanceof BoundExpression.Negation n) {
      return "!(" + render(n.operand(), lost, !negated) + ")";
    }
    if (e instanceof Atom.Numeric n && n.field().name().equals("label")) {
      lost.add(describe(n));
      return standIn(negated);
    }
    if (e instanceof Atom.Numeric n && n.mask() != -1L && (n.mask() & 0xffffffffL) == 0xffffffffL && n.operator() != Operator.BAND) {
      // A 4-byte argument's comparison masks its register's low word; ftrace has no masked
      // comparison but one bit test per bit (32 predicates): compared whole instead.
      lost.add(describe(n) + " (its 32-bit mask dropped)");
      e = new Atom.Numeric(n.field(), n.operator(), n.value(), -1L);
      return FtraceFilter.render(e).orElse(standIn(negated));
    }
    Optional<String> text = FtraceFilter.render(e);
    if (text.isPresent()) {
      return text.get();
    }
    lost.add(describe((Atom) e));
    return standIn(negated);
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
    long first = workload.args().isEmpty() ? 0 : Workload.argument(workload.args().get(0));
    // Values the loop never passes: none of the added rules decides its call.
    long from = first >= 1000 && first < 1000 + n ? first + 1 : 1000;
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < n; i++) {
      text.append("errno(EPERM) ").append(syscall.name()).append(": ").append(field).append(" == ").append(from + i).append('\n');
    }
    BoundPolicy more = PolicyBinder.bind("growth", text.toString(), KernelFacts.ofThisMachine(), Arch.X86_64);
    List<BoundPolicy.Rule> rules = new ArrayList<>(more.rules());
    rules.addAll(policy.rules());
    return new BoundPolicy(policy.arch(), policy.defaultAction(), rules, policy.labels(), policy.fileContexts());
  }

  // ---- measuring

  private Result measure(List<String> command) throws IOException, InterruptedException {
    List<String> notes = new ArrayList<>();
    SeccompData call = call();
    Prepared base = carriedOutBy(call, notes);
    List<Config> configs = new ArrayList<>(List.of(Config.NOTHING, Config.SECCOMP, Config.EVENT, Config.FTRACE, Config.BOTH,
        Config.EBPF_EVENT, Config.EBPF));
    if (base.landlock().isPresent()) {
      configs.add(Config.LANDLOCK);
    }
    // Strings are pointers the program never reads; what it decides on them it defers.
    org.evfilter.lsm.bpf.BpfProgram program = base.plain().program();
    boolean notified = (program.run(call).value() & SeccompReturn.ACTION) == SeccompReturn.USER_NOTIF;
    long executed = instructions(program, call, notes);
    notes.add("speculation mitigations that apply to seccomp tasks here: " + vulnerabilities());
    Map<Integer, Prepared> sizes = new LinkedHashMap<>();
    sizes.put(0, base);
    for (int n : options.growth()) {
      if (n > 0) {
        sizes.put(n, prepare(grown(n), false));
      }
    }
    Prepared forCommand = command.isEmpty() ? null : prepare(policy, true);
    TracingInstance.removeStale(tracefs, "evfilter-kernel");
    Optional<Observed> observed = Optional.empty();
    try (TracingInstance instance = TracingInstance.create(tracefs, "evfilter-kernel-" + ProcessHandle.current().pid());
        TracepointObserver observer = observer(sizes, configs, notes)) {
      this.observer = observer;
      removedOnExit(instance, () -> {
        for (int rep = 1; rep <= options.repetitions(); rep++) {
          measureLoop(instance, sizes, configs, rep);
          if (forCommand != null) {
            measureCommand(instance, forCommand, configs, command, rep);
          }
        }
      });
      if (observer != null) {
        observed = Optional.of(new Observed(observer.instructions(0), observer.replaced(0, this::describe), observer.eventsCounted()));
      }
    } finally {
      this.observer = null;
    }
    List<Point> points = new ArrayList<>();
    ns.forEach((c, bySize) -> bySize.forEach((n, v) -> points.add(new Point(c, n, v))));
    List<CommandPoint> commandPoints = new ArrayList<>();
    commandMillis.forEach((c, v) -> commandPoints.add(new CommandPoint(c, v, startMillis.get(c))));
    List<Pushed> pushed = new ArrayList<>(base.pushed());
    if (forCommand != null) {
      forCommand.pushed().stream().filter(p -> !p.approximated().isEmpty() && !p.syscall().equals(syscall.name()))
          .forEach(pushed::add);
    }
    notesAfterwards(base, notified, notes);
    Map<Integer, Integer> predicates = new LinkedHashMap<>();
    sizes.forEach((n, p) -> p.pushed().stream().filter(f -> f.syscall().equals(syscall.name())).findFirst()
        .ifPresent(f -> predicates.put(n, f.predicates())));
    return new Result(workload, configs, points, pushed, notified, executed, notes, commandPoints,
        command.isEmpty() ? 0 : countSyscalls(command), predicates, observed);
  }

  // The eBPF programs of every size, loaded; null (and its configurations dropped, with a note)
  // when the kernel refuses them.
  private TracepointObserver observer(Map<Integer, Prepared> sizes, List<Config> configs, List<String> notes) {
    Map<Integer, List<PolicyEngine.CompiledRule>> rules = new LinkedHashMap<>();
    sizes.forEach((n, p) -> rules.put(n, p.rules()));
    try {
      return TracepointObserver.load(tracefs, syscall, rules);
    } catch (org.evfilter.lsm.ebpf.EbpfException | IllegalArgumentException e) {
      configs.removeIf(Config::observed);
      notes.add("eBPF was not measured: " + e.getMessage());
      return null;
    }
  }

  // The workload's call as the program sees it.
  private SeccompData call() {
    long[] callArgs = new long[6];
    for (int i = 0; i < workload.args().size() && i < 6; i++) {
      callArgs[i] = Workload.argument(workload.args().get(i));
    }
    return new SeccompData(syscall.nr(), (int) Arch.X86_64.auditArch(), 0, callArgs);
  }

  // The policy prepared so that the call is carried out. The engines are compared on a call the
  // kernel carries out: one the program refuses would skip the syscall under seccomp (and its
  // event), not under nothing. When only the policy's default refuses it, an allow after every rule
  // lets it through (and the policy measured becomes that one); when a rule refuses it, nothing can.
  private Prepared carriedOutBy(SeccompData call, List<String> notes) throws IOException {
    Prepared base = prepare(policy, false);
    int answer = base.plain().program().run(call).value();
    if (carriedOut(answer)) {
      return base;
    }
    BoundPolicy allow = PolicyBinder.bind("measured call", "allow " + syscall.name() + "\n", KernelFacts.ofThisMachine(), Arch.X86_64);
    List<BoundPolicy.Rule> rules = new ArrayList<>(policy.rules());
    rules.addAll(allow.rules());
    policy = new BoundPolicy(policy.arch(), policy.defaultAction(), rules, policy.labels(), policy.fileContexts());
    base = prepare(policy, false);
    int again = base.plain().program().run(call).value();
    if (!carriedOut(again)) {
      throw new IllegalArgumentException("the policy refuses " + workload + " (" + org.evfilter.lsm.bpf.Disassembler.action(again)
          + ") by one of its rules: timing it would time a refusal; choose a call it allows (--syscall NAME:ARGS)");
    }
    notes.add("the policy's default refuses " + workload + " (" + org.evfilter.lsm.bpf.Disassembler.action(answer) + "): measured with"
        + " `allow " + syscall.name() + "` added after every rule (all of the policy's rules on it are still evaluated first), so"
        + " that every configuration carries the call out");
    return base;
  }

  // The instructions the program executes for the call: none when the kernel's action cache answers.
  private long instructions(org.evfilter.lsm.bpf.BpfProgram program, SeccompData call, List<String> notes) {
    boolean cached = org.evfilter.lsm.bpf.ActionCache.allowed(program, (int) Arch.X86_64.auditArch(),
        SyscallTable.of(Arch.X86_64).maxNumber()).get(syscall.nr());
    if (!cached) {
      return program.run(call).executed();
    }
    notes.add("seccomp: the kernel's action cache answers " + syscall.name() + " (allowed whatever its arguments): the program"
        + " does not run for it, so the seccomp figure is the cost of seccomp's entry path alone");
    return 0;
  }

  /** The rounds, which may be stopped. */
  @FunctionalInterface
  private interface Measurement {
    void run() throws IOException, InterruptedException;
  }

  // Runs the measurement with a shutdown hook that removes the instance: on Ctrl-C nothing stays enabled.
  private static void removedOnExit(TracingInstance instance, Measurement measurement) throws IOException, InterruptedException {
    Thread hook = new Thread(() -> {
      try {
        remove(instance);
      } catch (IOException e) {
        // best effort on the way out
      }
    }, "evfilter-kernel-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      measurement.run();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }

  // One round of the loop: every size of the policy under the configurations that size is measured in.
  private void measureLoop(TracingInstance instance, Map<Integer, Prepared> sizes, List<Config> configs, int rep)
      throws IOException, InterruptedException {
    for (Map.Entry<Integer, Prepared> size : sizes.entrySet()) {
      String refused = filters(instance, size.getValue(), true);
      if (refused != null) {
        tooLong.putIfAbsent(size.getKey(), refused);
      }
      for (Config c : configs) {
        if (!measured(c, size.getKey(), refused != null)) {
          continue;
        }
        progress.accept("round " + rep + "/" + options.repetitions() + ": " + c.title() + ", " + size.getKey() + " rules added");
        configure(instance, size.getValue(), c);
        double v;
        org.evfilter.lsm.ebpf.TracepointAttachment attached = c.observed() ? observer.attach(size.getKey(), c == Config.EBPF) : null;
        try {
          v = once(instance, size.getValue(), c, loop(options.calls()));
        } finally {
          if (attached != null) {
            attached.close();
          }
        }
        checkCarriedOut(c, size.getKey());
        ns.computeIfAbsent(c, k -> new LinkedHashMap<>()).computeIfAbsent(size.getKey(), k -> new ArrayList<>()).add(v);
      }
    }
  }

  // The growth compares the three engines; what ftrace refused is not measured under it.
  private static boolean measured(Config c, int added, boolean ftraceRefused) {
    boolean traced = c == Config.FTRACE || c == Config.BOTH || c == Config.EVENT;
    if (ftraceRefused && traced) {
      return false;
    }
    return added == 0 || c == Config.NOTHING || c == Config.SECCOMP || c == Config.FTRACE || c == Config.EBPF;
  }

  // One round of the command: under each configuration, its start-up alone (the launcher making
  // no timed call), then the command.
  private void measureCommand(TracingInstance instance, Prepared forCommand, List<Config> configs, List<String> command, int rep)
      throws IOException, InterruptedException {
    filters(instance, forCommand, false); // what an event refuses is noted; the others are measured
    for (Config c : configs) {
      if (c == Config.EVENT || c.observed()) {
        continue; // the eBPF programs are made for the loop's syscall only
      }
      progress.accept("round " + rep + "/" + options.repetitions() + ": " + String.join(" ", command) + " under " + c.title());
      configure(instance, forCommand, c);
      long s0 = System.nanoTime();
      once(instance, forCommand, c, loop(0));
      startMillis.computeIfAbsent(c, k -> new ArrayList<>()).add((System.nanoTime() - s0) / 1e6);
      long t0 = System.nanoTime();
      once(instance, forCommand, c, command);
      commandMillis.computeIfAbsent(c, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
    }
  }

  // What the rounds found that the report must say: refusals, the supervisor's part, Landlock's.
  private void notesAfterwards(Prepared base, boolean notified, List<String> notes) {
    tooLong.forEach((n, why) -> notes.add(n == 0 ? "ftrace was not measured on " + workload + ": " + why
        : "ftrace could not take the policy with " + n + " rules added: " + why + "; only seccomp was measured there"));
    refusedEvents.forEach((e, why) -> notes.add("not pushed to " + e + ": " + why));
    if (notified) {
      notes.add(workload + " is notified by the policy's program: under seccomp BPF the supervisor decides it (user notification)");
    }
    base.landlock().ifPresent(pl -> notes.add("Landlock decides the labels of " + pl.lowered().size() + " syscall(s); the program lets"
        + " those calls through to it"));
    if (base.landlock().isEmpty()) {
      notes.add("Landlock: the policy lowers nothing to it here (see `evfilter explain`), so that configuration is not run");
    }
  }

  // The shutdown hook's way to remove the instance while the measuring thread still holds it.
  private static void remove(TracingInstance instance) throws IOException {
    instance.close();
  }

  private List<String> loop(long calls) {
    List<String> out = new ArrayList<>(List.of("--syscall-loop", Long.toString(calls), workload.close() ? "1" : "0",
        Integer.toString(syscall.nr())));
    out.addAll(workload.args());
    return out;
  }

  // Sets p's filters. Why the kernel refused the measured syscall's (null: it took it), when
  // {@code measured}; what the other events refuse is noted and they stay off.
  private String filters(TracingInstance instance, Prepared p, boolean measured) throws IOException {
    for (String e : enabled.keySet()) {
      instance.disable(e);
    }
    enabled.clear();
    String mine = event(syscall);
    String refused = null;
    for (Map.Entry<String, String> f : p.filters().entrySet()) {
      String why = null;
      if (!Files.isDirectory(instance.directory().resolve("events").resolve(f.getKey()))) {
        why = "no such event in this kernel's tracefs";
      } else if (f.getValue().length() >= 4096) {
        why = "the kernel takes event filters shorter than 4096 bytes; " + f.getKey() + "'s is " + f.getValue().length();
      } else {
        try {
          instance.filter(f.getKey(), f.getValue());
          enabled.put(f.getKey(), false);
        } catch (IOException e) {
          why = e.getMessage();
        }
      }
      if (why != null && measured && f.getKey().equals(mine)) {
        refused = why;
      } else if (why != null) {
        refusedEvents.putIfAbsent(f.getKey(), why);
      }
    }
    return refused;
  }

  // The measured syscall's event enabled with a filter that holds nothing but the closing test.
  private void emptyFilter(TracingInstance instance, boolean empty, Prepared p) throws IOException {
    String event = event(syscall);
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
    if (c == Config.NOTHING || c == Config.FTRACE || c == Config.EVENT || c.observed()) {
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

  private double parse(Path out) throws IOException {
    String s = Files.readString(out, StandardCharsets.US_ASCII).trim();
    String[] f = s.split(" ");
    if (f.length != 6 || !f[0].equals("ns_per_call") || !f[2].equals("failed") || !f[4].equals("errno")) {
      throw new IOException("the microbenchmark printed no result: " + s);
    }
    failed = Long.parseLong(f[3]);
    failedErrno = Long.parseLong(f[5]);
    return Double.parseDouble(f[1]);
  }

  // A configuration that refuses calls nothing refused would time refusals, not the call: stop.
  private void checkCarriedOut(Config c, int size) throws IOException {
    if (c == Config.NOTHING) {
      failedUnderNothing.put(size, failed);
    } else if (failed > failedUnderNothing.getOrDefault(size, 0L)) {
      throw new IOException("under " + c.title() + ", " + failed + " of the " + options.calls() + " calls of " + workload
          + " failed (errno " + failedErrno + ") where " + failedUnderNothing.getOrDefault(size, 0L) + " failed under nothing:"
          + " that configuration refuses the call, so its figure would time a refusal");
    }
  }

  // Whether a seccomp action lets the syscall be carried out (the supervisor's answer included).
  private static boolean carriedOut(int action) {
    return SeccompActions.verdict(action).kind().permits();
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
    Path summary = work.resolve("strace.txt");
    try {
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
      return total;
    } catch (IOException | NumberFormatException e) {
      return 0;
    } finally {
      try {
        Files.deleteIfExists(summary);
      } catch (IOException e) {
        // the run's directory is removed anyway, and says so if it cannot be
      }
    }
  }
}
