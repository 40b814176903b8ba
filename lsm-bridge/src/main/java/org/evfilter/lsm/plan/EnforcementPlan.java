package org.evfilter.lsm.plan;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.cgroup.SocketHooks;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.landlock.LandlockLowering;
import org.evfilter.lsm.landlock.LandlockPlan;
import org.evfilter.lsm.landlock.LandlockRuleset;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.lsm.supervise.XattrScan;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Where each rule of a policy is enforced on a given kernel (the seccomp program, a Landlock
 * ruleset, the supervisor), and why not elsewhere: the one place {@code run}, {@code explain},
 * {@code compile} and the comparison harness get it from.
 *
 * @param policy the policy planned
 * @param program the policy the program is compiled from: {@code policy}, plus the supervisor's own rules when asked
 * @param kernel the kernel planned for
 * @param compilation the seccomp program to install (next to the ruleset, when there is one)
 * @param landlock the Landlock lowering, unless Landlock was left out ({@link Landlock#OFF})
 * @param ruleset the Landlock ruleset built on this file system, when one was built and holds
 * @param reasons why rules are not lowered to Landlock, or why Landlock is not used, in the lowering's order
 * @param labelsKept the syscalls the supervisor hears of because they could relabel an object
 * @param sockets the socket rules lowered to cgroup eBPF programs: the syscalls they decide (which
 *     the seccomp program lets through) and the programs to attach to the run's cgroup
 */
public record EnforcementPlan(BoundPolicy policy, BoundPolicy program, Kernel kernel, SeccompCompiler.Compilation compilation,
    Optional<LandlockPlan> landlock, Optional<LandlockRuleset> ruleset, List<Reason> reasons, Set<Integer> labelsKept,
    SocketHooks.Lowering sockets) {
  public EnforcementPlan {
    reasons = List.copyOf(reasons);
    labelsKept = Set.copyOf(labelsKept);
  }

  /** Where a rule is enforced for one syscall; a new enforcement point is a new case here. */
  public enum Placement { BPF, BPF_AND_LANDLOCK, LANDLOCK, CGROUP_EBPF, SUPERVISOR }

  /** How far the plan goes with Landlock. */
  public enum Landlock {
    /** Not at all: the program alone, its deferred rules with the supervisor. */
    OFF,
    /** Lower what it can decide, build no ruleset (explain, compile). */
    PLAN,
    /** Lower, build the ruleset here, and re-plan without what the build found it cannot hold, until it holds (run). */
    BUILD,
    /**
     * Lower and build once; when the build finds something it cannot hold, use no ruleset. The
     * comparison harness measures the policy as lowered or without Landlock, never a split it did
     * not plan (this is what it always did; {@link #BUILD} would measure a smaller ruleset).
     */
    BUILD_ONCE
  }

  /**
   * What to plan: the compiler's options, how far to go with Landlock, and whether the program
   * carries the supervisor's own rules ({@link #programPolicy}: what {@code run} installs; {@code
   * compile} shows the policy's program alone), and whether socket rules go to cgroup eBPF programs
   * where they can decide them ({@code run}, and {@code explain} saying what run does).
   */
  public record Options(SeccompCompiler.Options compiler, Landlock landlock, boolean supervisorRules, boolean cgroupSockets) {
    /** Socket rules left to the supervisor (a program that must decide alone: compile, export). */
    public Options(SeccompCompiler.Options compiler, Landlock landlock, boolean supervisorRules) {
      this(compiler, landlock, supervisorRules, false);
    }
  }

  /** The origin of the rule {@link #programPolicy} adds for the syscalls that could relabel an object. */
  public static final String LABELS_KEPT = "supervisor (labels belong to objects)";

  /**
   * Plans {@code policy} on {@code kernel}.
   *
   * @throws IOException when the ruleset could not be built (the file system could not be read)
   * @throws org.evfilter.lsm.bpf.BpfException when the policy does not compile
   */
  public static EnforcementPlan of(BoundPolicy policy, Kernel kernel, Options options) throws IOException {
    BoundPolicy program = options.supervisorRules() ? programPolicy(policy, SeccompCompiler.supervised(policy)) : policy;
    SocketHooks.Lowering sockets = options.cgroupSockets() && kernel.cgroupV2() ? SocketHooks.lower(policy, kernel.socketHooks())
        : SocketHooks.none();
    if (!sockets.decidedSyscalls().isEmpty()) {
      program = keptInLeaf(program);
    }
    SeccompCompiler.Options compiler = options.compiler().withArch(kernel.arch()).withDecidedElsewhere(sockets.decidedSyscalls());
    Set<Integer> kept = new TreeSet<>();
    program.rules().stream().filter(r -> r.origin().equals(LABELS_KEPT)).forEach(r -> kept.addAll(r.syscalls()));
    if (options.landlock() == Landlock.OFF) {
      SeccompCompiler.Compilation compilation = SeccompCompiler.compile(program, compiler);
      return new EnforcementPlan(policy, program, kernel, compilation, Optional.empty(),
          Optional.empty(), socketReasons(compilation, kernel, options, sockets), kept, sockets);
    }
    Map<Integer, String> excluded = new LinkedHashMap<>();
    while (true) {
      LandlockPlan plan = LandlockLowering.plan(program, compiler, kernel.landlockAbi(), kernel.selinux(), excluded);
      Optional<LandlockRuleset.Built> built = options.landlock() == Landlock.PLAN || !plan.usesLandlock() ? Optional.empty()
          : Optional.of(LandlockRuleset.build(program, plan, program.labelResolver(16384, LinuxXattrs.reader()),
              new XattrScan(LabelResolver.XATTRS)));
      if (built.isEmpty() || built.get().excluded().isEmpty() || options.landlock() == Landlock.BUILD_ONCE) {
        Optional<LandlockRuleset> ruleset = built.filter(b -> b.excluded().isEmpty()).flatMap(LandlockRuleset.Built::ruleset);
        List<Reason> reasons = new ArrayList<>(plan.fallbacks());
        // A socket call's label rule is the supervisor's for the address, not for want of a Landlock model.
        reasons.removeIf(r -> r instanceof Reason.NotLowerable n && SocketFields.named(n.syscall()));
        reasons.addAll(socketReasons(plan.compilation(), kernel, options, sockets));
        return new EnforcementPlan(policy, program, kernel, plan.compilation(), Optional.of(plan), ruleset, reasons, kept, sockets);
      }
      excluded.putAll(built.get().excluded());
    }
  }

  /** The Landlock lowering when a ruleset was built for it: what decides in the kernel. */
  public Optional<LandlockPlan> landlockDecides() {
    return ruleset.isPresent() ? landlock : Optional.empty();
  }

  /**
   * Where the policy's rule number {@code rule} is enforced for syscall {@code nr}. An allowing
   * rule on a syscall that could relabel an object is the supervisor's, which performs the call.
   */
  public Placement where(int rule, int nr) {
    BoundPolicy.Rule r = policy.rules().get(rule);
    if (labelsKept.contains(nr) && r.action().kind().permits()) {
      return Placement.SUPERVISOR;
    }
    Placement p = landlock.isEmpty() ? compilation.rules().get(rule).deferred() ? Placement.SUPERVISOR : Placement.BPF
        : placement(landlock.get().where(rule, nr));
    return p == Placement.SUPERVISOR && sockets.decidedSyscalls().contains(nr) ? Placement.CGROUP_EBPF : p;
  }

  /** Where the policy's rule number {@code rule} is enforced, over all its syscalls. */
  public Set<Placement> where(int rule) {
    Set<Integer> nrs = policy.rules().get(rule).syscalls();
    if (!nrs.isEmpty() && sockets.decidedSyscalls().containsAll(nrs) && compilation.rules().get(rule).deferred()) {
      return Set.of(Placement.CGROUP_EBPF);
    }
    if (landlock.isEmpty()) {
      return Set.of(compilation.rules().get(rule).deferred() ? Placement.SUPERVISOR : Placement.BPF);
    }
    Set<LandlockPlan.Where> w = landlock.get().placements().get(rule).where();
    Set<Placement> out = EnumSet.noneOf(Placement.class);
    if (w.contains(LandlockPlan.Where.LANDLOCK)) {
      out.add(w.contains(LandlockPlan.Where.BPF) ? Placement.BPF_AND_LANDLOCK : Placement.LANDLOCK);
    } else if (w.contains(LandlockPlan.Where.BPF)) {
      out.add(Placement.BPF);
    }
    if (w.contains(LandlockPlan.Where.SUPERVISOR)) {
      out.add(Placement.SUPERVISOR);
    }
    return out;
  }

  private static Placement placement(Set<LandlockPlan.Where> w) {
    if (w.contains(LandlockPlan.Where.LANDLOCK)) {
      return w.contains(LandlockPlan.Where.BPF) ? Placement.BPF_AND_LANDLOCK : Placement.LANDLOCK;
    }
    return w.contains(LandlockPlan.Where.SUPERVISOR) ? Placement.SUPERVISOR : Placement.BPF;
  }

  /**
   * The policy to compile for a supervised run: {@code policy} plus a rule sending setgroups,
   * unshare and setns to the supervisor (which answers them as {@code policy} does), so it knows
   * when a thread's groups or user namespace change. A policy none of whose syscalls come to the
   * supervisor ({@code supervised} false: nothing deferred, no user_notif action) is unchanged.
   */
  public static BoundPolicy programPolicy(BoundPolicy policy, boolean supervised) {
    if (!supervised) {
      return policy;
    }
    SyscallTable t = SyscallTable.of(policy.arch());
    Set<Integer> tracked = new TreeSet<>();
    Supervisor.CREDENTIAL_CHANGERS.forEach(name -> t.byName(name).ifPresent(s -> tracked.add(s.nr())));
    List<BoundPolicy.Rule> rules = new ArrayList<>(policy.rules());
    rules.add(new BoundPolicy.Rule("supervisor (credential tracking)", new Verdict(ActionKind.USER_NOTIF, 0), tracked,
        Optional.empty(), Optional.empty()));
    if (policy.readsLabels()) {
      // Labels belong to objects: the moves and xattr writes the policy may let through come here,
      // where a move that would change an object's labels is refused and a label xattr is written
      // only where a rule reading new_label allows it. The policy's own refusals still win in BPF.
      Set<Integer> kept = new TreeSet<>();
      Supervisor.RELABELLERS.forEach(name -> t.byName(name).filter(s -> mayPermit(policy, s.nr())).ifPresent(s -> kept.add(s.nr())));
      if (!kept.isEmpty()) {
        rules.add(new BoundPolicy.Rule(LABELS_KEPT, new Verdict(ActionKind.USER_NOTIF, 0), kept, Optional.empty(), Optional.empty()));
      }
    }
    return new BoundPolicy(policy.arch(), policy.defaultAction(), rules, policy.labels(), policy.fileContexts(), policy.networkLabels());
  }

  /** The origin of the rule {@link #keptInLeaf} adds. */
  public static final String KEPT_IN_LEAF = "cgroup leaf (clone3 could start a child in another cgroup)";

  /**
   * {@code program} plus a rule refusing clone3 with ENOSYS: its CLONE_INTO_CGROUP would start a
   * child outside the run's leaf, and seccomp cannot read clone3's flags (behind a pointer). C
   * libraries fall back to clone, whose flags cannot say CLONE_INTO_CGROUP (they are 32 bits).
   */
  static BoundPolicy keptInLeaf(BoundPolicy program) {
    Optional<Integer> clone3 = SyscallTable.of(program.arch()).byName("clone3").map(s -> s.nr());
    if (clone3.isEmpty()) {
      return program;
    }
    List<BoundPolicy.Rule> rules = new ArrayList<>(program.rules());
    rules.add(new BoundPolicy.Rule(KEPT_IN_LEAF, new Verdict(ActionKind.ERRNO, org.evfilter.events.syscalls.Errno.ENOSYS),
        Set.of(clone3.get()), Optional.empty(), Optional.empty()));
    return new BoundPolicy(program.arch(), program.defaultAction(), rules, program.labels(), program.fileContexts(),
        program.networkLabels());
  }

  /**
   * Why the socket calls whose rules seccomp cannot decide go to the supervisor: one reason per
   * such syscall (connect, bind, sendto, sendmsg with a rule whose lowering defers).
   */
  static List<Reason> socketReasons(SeccompCompiler.Compilation compilation, Kernel kernel, Options options, SocketHooks.Lowering sockets) {
    SyscallTable t = SyscallTable.of(kernel.arch());
    Set<Integer> deferred = new TreeSet<>();
    compilation.rules().stream().filter(SeccompCompiler.RuleLowering::deferred).forEach(r -> deferred.addAll(r.syscalls()));
    deferred.removeAll(sockets.decidedSyscalls());
    List<Reason> out = new ArrayList<>();
    boolean cgroupSaid = false;
    for (int nr : deferred) {
      Optional<String> name = t.byNumber(nr).map(s -> s.name()).filter(SocketFields::named);
      if (name.isEmpty()) {
        continue;
      }
      out.add(new Reason.SocketAddress(nr, name.get()));
      if (!options.cgroupSockets()) {
        continue;
      }
      if (!kernel.cgroupV2()) {
        if (!cgroupSaid) {
          out.add(new Reason.NoCgroupV2());
          cgroupSaid = true;
        }
        continue;
      }
      Optional<SocketHooks.Group> group = SocketHooks.groupOf(name.get());
      Optional<SocketHooks.Undecided> why = group.map(g -> sockets.undecided().get(g));
      if (group.isPresent() && !kernel.socketHooks().contains(group.get())) {
        out.add(new Reason.HookMissing(nr, name.get(), group.get().hooks().toString()));
      } else if (why.isPresent()) {
        out.add(new Reason.NotAtHook(nr, name.get(), why.get().text()));
      }
    }
    return out;
  }

  // Whether some call of nr may be let through by the policy: a rule on it (or on every syscall),
  // or the default, whose action the supervisor would perform or the kernel run.
  private static boolean mayPermit(BoundPolicy policy, int nr) {
    java.util.function.Predicate<Verdict> through = v -> v.kind().permits() || v.kind().passesUnsupervised();
    return through.test(policy.defaultAction())
        || policy.rules().stream().anyMatch(r -> (r.syscalls().isEmpty() || r.syscalls().contains(nr)) && through.test(r.action()));
  }
}
