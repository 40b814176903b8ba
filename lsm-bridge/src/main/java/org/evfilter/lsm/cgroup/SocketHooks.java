package org.evfilter.lsm.cgroup;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.syscalls.Errno;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.ebpf.AttachType;
import org.evfilter.lsm.ebpf.Assembler;
import org.evfilter.lsm.ebpf.Assembler.Label;
import org.evfilter.lsm.ebpf.EbpfException;
import org.evfilter.lsm.ebpf.Helper;
import org.evfilter.lsm.ebpf.JumpOp;
import org.evfilter.lsm.ebpf.LoadedProgram;
import org.evfilter.lsm.ebpf.Program;
import org.evfilter.lsm.ebpf.Register;
import org.evfilter.lsm.ebpf.Size;
import org.evfilter.lsm.ebpf.SockAddrContext;
import org.evfilter.lsm.ebpf.lower.FilterLowering;
import org.evfilter.lsm.ebpf.lower.SockAddrFields;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.PolicyEngine;

/**
 * A policy's socket rules lowered to {@code cgroup_sock_addr} programs: which socket syscalls the
 * programs decide in the kernel, exactly as the predicate engine does (most restrictive matching
 * rule first, else the default; an errno by {@code bpf_set_retval}), and why the others stay with
 * the supervisor. A syscall is decided at its hooks only when every call of it is: every rule on it
 * reads only what the hook sees and takes an action a hook can take, and the calls no hook sees
 * (sockets of other families, IP sockets other than TCP and UDP, for sends TCP and connected UDP)
 * are ones the policy lets through whatever they name — because the seccomp program then lets the
 * syscall through without asking the supervisor.
 */
public final class SocketHooks {
  /** The syscalls one pair of hooks sees (a hook cannot tell sendto from sendmsg), and the hooks. */
  public enum Group {
    CONNECT(List.of("connect"), AttachType.CGROUP_INET4_CONNECT, AttachType.CGROUP_INET6_CONNECT),
    BIND(List.of("bind"), AttachType.CGROUP_INET4_BIND, AttachType.CGROUP_INET6_BIND),
    SEND(List.of("sendto", "sendmsg"), AttachType.CGROUP_UDP4_SENDMSG, AttachType.CGROUP_UDP6_SENDMSG);

    private final List<String> syscalls;
    private final AttachType v4;
    private final AttachType v6;

    Group(List<String> syscalls, AttachType v4, AttachType v6) {
      this.syscalls = syscalls;
      this.v4 = v4;
      this.v6 = v6;
    }

    public List<String> syscalls() {
      return syscalls;
    }

    /** The IPv4 and the IPv6 hook. */
    public List<AttachType> hooks() {
      return List.of(v4, v6);
    }
  }

  /** Why a group's syscalls stay with the supervisor, as a value; {@link #text()} for people. */
  public sealed interface Undecided {
    String text();

    /** A rule (or the default) whose action a hook cannot take: a hook allows, or refuses with an errno. */
    record Action(String origin, Verdict action) implements Undecided {
      @Override
      public String text() {
        return origin + ": " + action + " cannot be taken at a cgroup hook (only allow and errno(1..4095))";
      }
    }

    /** A rule reads a field the hook does not see (a register, a string, a unix path's label...). */
    record Field(String origin, String field) implements Undecided {
      @Override
      public String text() {
        return origin + " reads " + field + ", which a cgroup socket hook does not see";
      }
    }

    /** Calls no hook sees, which the policy may refuse: seccomp cannot tell them from the others. */
    record Unseen(Unhooked calls) implements Undecided {
      @Override
      public String text() {
        return "the policy may refuse " + calls.text() + ", which no cgroup hook sees and seccomp cannot tell apart"
            + " (a rule letting them through, e.g. 'allow connect: family != AF_INET && family != AF_INET6', hands the rest"
            + " to cgroup eBPF)";
      }
    }

    /** sendto and sendmsg have different rules, and one hook sees both. */
    record SendRulesDiffer() implements Undecided {
      @Override
      public String text() {
        return "sendto and sendmsg have different rules, and one cgroup hook (sendmsg4/6) sees both";
      }
    }
  }

  /** A generated program and the hook it is for. */
  public record HookProgram(Group group, AttachType hook, Program program) {}

  /**
   * The lowering of one policy: per group, the programs deciding it or why not.
   *
   * @param decided the groups decided at their hooks, with their two programs each
   * @param undecided the groups with socket rules that stay with the supervisor, and why
   */
  public record Lowering(Map<Group, List<HookProgram>> decided, Map<Group, Undecided> undecided, Set<Integer> decidedSyscalls) {
    public Lowering {
      decided = Map.copyOf(decided);
      undecided = Map.copyOf(undecided);
      decidedSyscalls = Set.copyOf(decidedSyscalls);
    }

    /** Every program to load and attach. */
    public List<HookProgram> programs() {
      return decided.values().stream().flatMap(List::stream).toList();
    }
  }

  private static final int SOCKADDR_FIELDS_ERRNO_MAX = 4095;

  private SocketHooks() {}

  /**
   * Lowers the socket rules of {@code policy}; {@code groups} limits what may be decided at hooks
   * (the groups whose hooks this kernel has).
   */
  public static Lowering lower(BoundPolicy policy, Set<Group> groups) {
    PolicyEngine engine = PolicyEngine.compile(policy, policy.arch());
    SyscallTable table = SyscallTable.of(policy.arch());
    Map<Group, List<HookProgram>> decided = new LinkedHashMap<>();
    Map<Group, Undecided> undecided = new LinkedHashMap<>();
    Set<Integer> numbers = new java.util.TreeSet<>();
    for (Group g : Group.values()) {
      List<Integer> nrs = g.syscalls.stream().map(s -> table.byName(s).orElseThrow().nr()).toList();
      List<BoundPolicy.Rule> rules = engine.rules(nrs.get(0)).stream().map(PolicyEngine.CompiledRule::rule).toList();
      if (!readsSocketFields(rules) || !groups.contains(g)) {
        continue;
      }
      Optional<Undecided> why = nrs.stream().skip(1).anyMatch(nr -> !sameRules(rules, engine.rules(nr)))
          ? Optional.of(new Undecided.SendRulesDiffer()) : why(g, rules, policy.defaultAction());
      if (why.isPresent()) {
        undecided.put(g, why.get());
        continue;
      }
      List<HookProgram> programs = new ArrayList<>();
      for (AttachType hook : g.hooks()) {
        programs.add(new HookProgram(g, hook, program(policy, hook, rules)));
      }
      decided.put(g, programs);
      numbers.addAll(nrs);
    }
    return new Lowering(decided, undecided, numbers);
  }

  /** A lowering deciding nothing at hooks: every socket rule is the supervisor's. */
  public static Lowering none() {
    return new Lowering(Map.of(), Map.of(), Set.of());
  }

  /** The group whose hooks see {@code syscall}. */
  public static Optional<Group> groupOf(String syscall) {
    return java.util.Arrays.stream(Group.values()).filter(g -> g.syscalls.contains(syscall)).findFirst();
  }

  /** The hooks this kernel loads programs for: each probed with a program that allows everything. */
  public static Set<Group> available() {
    Set<Group> out = EnumSet.noneOf(Group.class);
    for (Group g : Group.values()) {
      boolean all = true;
      for (AttachType hook : g.hooks()) {
        Program allow = new Assembler().mov(Register.R0, 1).exit().assemble();
        try (LoadedProgram p = LoadedProgram.load(allow, hook, "evf_probe")) {
          p.fd();
        } catch (EbpfException | UnsatisfiedLinkError e) {
          all = false;
        }
      }
      if (all) {
        out.add(g);
      }
    }
    return out;
  }

  private static boolean readsSocketFields(List<BoundPolicy.Rule> rules) {
    return rules.stream().anyMatch(r -> r.readsSocketFields() || r.readsLabels());
  }

  private static boolean sameRules(List<BoundPolicy.Rule> rules, List<PolicyEngine.CompiledRule> other) {
    if (rules.size() != other.size()) {
      return false;
    }
    // The binder makes one rule per syscall of "sendto, sendmsg: ...": the same written rule is the
    // same origin, action and filter (a filter reading a register is not decided at a hook anyway).
    for (int i = 0; i < rules.size(); i++) {
      BoundPolicy.Rule a = rules.get(i);
      BoundPolicy.Rule b = other.get(i).rule();
      if (!a.origin().equals(b.origin()) || !a.action().equals(b.action()) || !a.filterText().equals(b.filterText())) {
        return false;
      }
    }
    return true;
  }

  // Why the group cannot be decided at its hooks, or empty when it can.
  private static Optional<Undecided> why(Group g, List<BoundPolicy.Rule> rules, Verdict fallback) {
    for (BoundPolicy.Rule r : rules) {
      if (!hookAction(r.action())) {
        return Optional.of(new Undecided.Action(r.origin(), r.action()));
      }
      Optional<Atom> unseen = r.filter().flatMap(f -> firstAtom(f, a -> Unhooked.seenAtHook(a).isEmpty()));
      if (unseen.isPresent()) {
        return Optional.of(new Undecided.Field(r.origin(), unseen.get().field().name()));
      }
    }
    if (!hookAction(fallback)) {
      return Optional.of(new Undecided.Action("the default", fallback));
    }
    for (Unhooked calls : Unhooked.of(g)) {
      if (!calls.alwaysLetThrough(rules, fallback)) {
        return Optional.of(new Undecided.Unseen(calls));
      }
    }
    return Optional.empty();
  }

  private static boolean hookAction(Verdict v) {
    return v.kind() == ActionKind.ALLOW || v.kind() == ActionKind.ERRNO && v.data() > 0 && v.data() <= SOCKADDR_FIELDS_ERRNO_MAX;
  }

  private static Optional<Atom> firstAtom(BoundExpression e, java.util.function.Predicate<Atom> test) {
    List<Atom> found = new ArrayList<>();
    e.anyAtom(a -> {
      if (test.test(a)) {
        found.add(a);
        return true;
      }
      return false;
    });
    return found.stream().findFirst();
  }

  /**
   * The program of one hook: the sockaddr of the hook's family decided with every field, any
   * other (AF_UNSPEC, or IPv6 at an IPv4 hook, which the kernel refuses after the hook) as an
   * endpoint without an address. At the IPv6 connect hook an IPv4 sockaddr is refused with
   * EAFNOSUPPORT: a dual-stack UDP socket would connect to the IPv4 address, which this hook cannot
   * read (only the IPv4 hooks may read user_ip4), and the IPv4 hook does not run for it.
   */
  static Program program(BoundPolicy policy, AttachType hook, List<BoundPolicy.Rule> rules) {
    boolean v6 = hook.name().contains("6");
    SockAddrFields own = SockAddrFields.own(v6, policy.networkLabels(), policy.labelBits());
    Assembler a = new Assembler();
    a.origin("the " + hook + " program");
    a.mov(FilterLowering.CONTEXT, Register.R1);
    a.ldx(Size.W, Register.R0, FilterLowering.CONTEXT, SockAddrContext.USER_FAMILY);
    Label foreign = a.label();
    a.jump(JumpOp.JNE, Register.R0, own.family(), foreign);
    Map<Verdict, Label> actions = new LinkedHashMap<>();
    decision(a, own, rules, policy.defaultAction(), actions);
    a.bind(foreign);
    if (hook == AttachType.CGROUP_INET6_CONNECT) {
      Label other = a.label();
      a.jump(JumpOp.JNE, Register.R0, Endpoint.AF_INET, other);
      a.ja(actions.computeIfAbsent(new Verdict(ActionKind.ERRNO, Errno.EAFNOSUPPORT), k -> a.label()));
      a.bind(other);
    }
    decision(a, SockAddrFields.foreign(v6), rules, policy.defaultAction(), actions);
    for (Map.Entry<Verdict, Label> e : actions.entrySet()) {
      a.bind(e.getValue());
      a.origin(e.getKey().toString());
      int errno = e.getKey().kind() == ActionKind.ERRNO ? e.getKey().data() : 0;
      if (errno != 0 && errno != Errno.EPERM) {
        // Set only where the program refuses: an errno left set refuses even a program returning 1.
        a.mov(Register.R1, -errno).call(Helper.SET_RETVAL);
      }
      a.mov(Register.R0, errno == 0 ? 1 : 0).exit();
    }
    return a.assemble().withoutUnreachable();
  }

  // The rules in the engine's order, the first that holds going to its action, else the default.
  private static void decision(Assembler a, SockAddrFields fields, List<BoundPolicy.Rule> rules, Verdict fallback,
      Map<Verdict, Label> actions) {
    FilterLowering lowering = new FilterLowering(a, fields);
    for (BoundPolicy.Rule r : rules) {
      Label action = actions.computeIfAbsent(r.action(), k -> a.label());
      if (r.filter().isEmpty()) {
        a.origin(r.origin()).ja(action);
        return;
      }
      Label next = a.label();
      lowering.branch(r.origin(), Unhooked.withConstants(r.filter().get()), action, next, next);
      a.bind(next);
    }
    if (!lowering.replaced().isEmpty()) {
      throw new IllegalStateException("a socket hook program cannot say " + lowering.replaced());
    }
    a.ja(actions.computeIfAbsent(fallback, k -> a.label()));
  }
}
