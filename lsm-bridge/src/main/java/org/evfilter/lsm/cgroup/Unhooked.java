package org.evfilter.lsm.cgroup;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.syscalls.Constants;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.EventView;
import org.evfilter.predicates.eval.SeccompView;

/**
 * A kind of socket call no cgroup socket hook sees, described by what its endpoint's fields can be:
 * the policy must let every such call through for the seccomp program to let the syscall through
 * unasked. The rules are evaluated on it in three values (an atom on a field the kind leaves open is
 * unknown), as the kernel's hooks are known to run: connect4/6 and bind4/6 for TCP and UDP sockets
 * of their family, sendmsg4/6 for UDP sends naming an address; never for AF_UNSPEC (a disconnect),
 * unix, netlink or other families. A call whose sockaddr does not fit its socket (an IPv4 address
 * on a unix socket) fails in the kernel whatever the hook says, and is not one of these; an
 * AF_UNSPEC one on an IP socket is among the other families'. An IP stream socket is never UDP nor
 * a datagram one TCP; a raw socket may be either.
 */
public enum Unhooked {
  OTHER_FAMILIES("calls on sockets of other families (unix, netlink...) or with AF_UNSPEC",
      Domain.except(Endpoint.AF_INET, Endpoint.AF_INET6), Domain.ANY, Domain.ANY, Domain.of(0), false, true, true),
  OTHER_STREAMS("calls on IP stream sockets other than TCP (SCTP, MPTCP)",
      Domain.IP, Domain.of(Ints.STREAM), Domain.except(Ints.TCP, Ints.UDP), Domain.ANY, true, false, true),
  OTHER_DATAGRAMS("calls on IP datagram sockets other than UDP (ping, UDP-Lite)",
      Domain.IP, Domain.of(Ints.DGRAM), Domain.except(Ints.UDP, Ints.TCP), Domain.ANY, true, false, true),
  OTHER_TYPES("calls on raw and other IP sockets", Domain.IP, Domain.except(Ints.STREAM, Ints.DGRAM), Domain.ANY, Domain.ANY,
      true, false, true),
  TCP_SENDS("sends on TCP sockets", Domain.ANY, Domain.of(Ints.STREAM), Domain.of(Ints.TCP), Domain.ANY, true, false, true),
  CONNECTED_SENDS("sends without an address on connected UDP sockets", Domain.ANY, Domain.of(Ints.DGRAM), Domain.of(Ints.UDP),
      Domain.ANY, true, false, true);

  private final String text;
  private final Domain family;
  private final Domain type;
  private final Domain protocol;
  private final Domain port;
  private final boolean address;
  private final boolean path;
  private final boolean label;

  Unhooked(String text, Domain family, Domain type, Domain protocol, Domain port, boolean address, boolean path, boolean label) {
    this.text = text;
    this.family = family;
    this.type = type;
    this.protocol = protocol;
    this.port = port;
    this.address = address;
    this.path = path;
    this.label = label;
  }

  /** In words, for a reason. */
  public String text() {
    return text;
  }

  /** The calls of {@code group}'s syscalls no hook sees. */
  static List<Unhooked> of(SocketHooks.Group group) {
    List<Unhooked> common = List.of(OTHER_FAMILIES, OTHER_STREAMS, OTHER_DATAGRAMS, OTHER_TYPES);
    if (group != SocketHooks.Group.SEND) {
      return common;
    }
    return java.util.stream.Stream.concat(common.stream(), java.util.stream.Stream.of(TCP_SENDS, CONNECTED_SENDS)).toList();
  }

  /**
   * Whether {@code rules} (in the engine's order) and {@code fallback} let every such call through:
   * no refusing rule may hold or be unknown before an allowing rule surely holds, and the default
   * allows unless one does.
   */
  boolean alwaysLetThrough(List<BoundPolicy.Rule> rules, BoundPolicy.Verdict fallback) {
    // One family at a time: "family == AF_INET || family == AF_INET6" holds for each, which three
    // values would not see over both at once.
    return family.split().stream().allMatch(f -> alwaysLetThrough(rules, fallback, f));
  }

  private boolean alwaysLetThrough(List<BoundPolicy.Rule> rules, BoundPolicy.Verdict fallback, Domain f) {
    for (BoundPolicy.Rule r : rules) {
      Truth t = r.filter().map(e -> eval(e, f)).orElse(Truth.TRUE);
      boolean allows = r.action().kind() == ActionKind.ALLOW;
      if (t == Truth.FALSE) {
        continue;
      }
      if (!allows) {
        return false;
      }
      if (t == Truth.TRUE) {
        return true;
      }
    }
    return fallback.kind() == ActionKind.ALLOW;
  }

  private Truth eval(BoundExpression e, Domain f) {
    if (e instanceof BoundExpression.Negation n) {
      return eval(n.operand(), f).not();
    }
    if (e instanceof BoundExpression.All all) {
      Truth t = Truth.TRUE;
      for (BoundExpression o : all.operands()) {
        t = t.and(eval(o, f));
      }
      return t;
    }
    if (e instanceof BoundExpression.Any any) {
      Truth t = Truth.FALSE;
      for (BoundExpression o : any.operands()) {
        t = t.or(eval(o, f));
      }
      return t;
    }
    return atom((Atom) e, f);
  }

  private Truth atom(Atom a, Domain family) {
    if (a instanceof Atom.Never) {
      return Truth.FALSE;
    }
    EventField f = a.field();
    if (a instanceof Atom.Network) {
      return address ? Truth.UNKNOWN : Truth.FALSE;
    }
    if (a instanceof Atom.Text) {
      return f.equals(SocketFields.PATH) && !path ? Truth.FALSE : Truth.UNKNOWN;
    }
    Domain d = f.equals(SocketFields.FAMILY) ? family : f.equals(SocketFields.TYPE) ? type : f.equals(SocketFields.PROTOCOL) ? protocol
        : f.equals(SocketFields.PORT) ? port : f.name().equals("label") && !label ? Domain.of(0) : null;
    return d == null ? Truth.UNKNOWN : d.test(a);
  }

  /**
   * What a hook knows of {@code a}: empty when it cannot say (a register, a string but a unix path,
   * a CPU), else the atom to lower (itself, or {@link Atom.Never} for a unix path, absent at an IP
   * hook).
   */
  static Optional<Atom> seenAtHook(Atom a) {
    if (a instanceof Atom.Text t) {
      return t.field().equals(SocketFields.PATH) ? Optional.of(new Atom.Never(t.field(), "no unix path at an IP socket hook"))
          : Optional.empty();
    }
    if (a instanceof Atom.Never || a instanceof Atom.Network) {
      return Optional.of(a);
    }
    if ((a instanceof Atom.Numeric || a instanceof Atom.Member)
        && (SocketFields.indexOf(a.field()).isPresent() || a.field().name().equals("label"))) {
      return Optional.of(a);
    }
    return Optional.empty();
  }

  /** {@code e} with each atom as the hook lowers it ({@link #seenAtHook}); every atom must be seen. */
  static BoundExpression withConstants(BoundExpression e) {
    if (e instanceof BoundExpression.Negation n) {
      return new BoundExpression.Negation(withConstants(n.operand()));
    }
    if (e instanceof BoundExpression.All all) {
      return new BoundExpression.All(all.operands().stream().map(Unhooked::withConstants).toList());
    }
    if (e instanceof BoundExpression.Any any) {
      return new BoundExpression.Any(any.operands().stream().map(Unhooked::withConstants).toList());
    }
    return seenAtHook((Atom) e).orElseThrow(() -> new IllegalArgumentException("not seen at a hook: " + e));
  }

  /** Kleene's three values. */
  enum Truth {
    TRUE, FALSE, UNKNOWN;

    Truth not() {
      return this == TRUE ? FALSE : this == FALSE ? TRUE : UNKNOWN;
    }

    Truth and(Truth o) {
      return this == FALSE || o == FALSE ? FALSE : this == TRUE && o == TRUE ? TRUE : UNKNOWN;
    }

    Truth or(Truth o) {
      return this == TRUE || o == TRUE ? TRUE : this == FALSE && o == FALSE ? FALSE : UNKNOWN;
    }
  }

  /** What a numeric field can be: one of some values ({@code only} not empty), anything but some values, or anything. */
  record Domain(Set<Long> only, Set<Long> except) {
    static final Domain ANY = new Domain(Set.of(), Set.of());
    static final Domain IP = new Domain(Set.of((long) Endpoint.AF_INET, (long) Endpoint.AF_INET6), Set.of());

    static Domain of(long v) {
      return new Domain(Set.of(v), Set.of());
    }

    /** Each value of an {@code only} domain on its own; else this. */
    List<Domain> split() {
      return only.size() < 2 ? List.of(this) : only.stream().sorted().map(Domain::of).toList();
    }

    static Domain except(long... values) {
      return new Domain(Set.of(), java.util.Arrays.stream(values).boxed().collect(java.util.stream.Collectors.toSet()));
    }

    Truth test(Atom a) {
      if (!only.isEmpty()) {
        long held = only.stream().filter(v -> holds(a, v)).count();
        return held == only.size() ? Truth.TRUE : held == 0 ? Truth.FALSE : Truth.UNKNOWN;
      }
      if (a instanceof Atom.Numeric n && n.mask() == -1L && except.contains(n.value())
          && (n.operator() == Operator.EQ || n.operator() == Operator.NE)) {
        return n.operator() == Operator.EQ ? Truth.FALSE : Truth.TRUE;
      }
      if (a instanceof Atom.Member m && m.ranges().stream().allMatch(r -> r[0] == r[1] && except.contains(r[0]))) {
        return Truth.FALSE;
      }
      return Truth.UNKNOWN;
    }

    // The atom on a field holding v, as the engine evaluates it.
    private static boolean holds(Atom a, long v) {
      EventView view = new EventView() {
        @Override
        public long number(int slot) {
          return v;
        }

        @Override
        public String text(int slot) {
          return null;
        }
      };
      return CompiledFilter.compile(a, SeccompView.LAYOUT).matches(view, new CompiledFilter.Counter());
    }
  }

  // The socket constants the kinds are written with.
  private static final class Ints {
    static final long STREAM = Constants.linux().require("SOCK_STREAM");
    static final long DGRAM = Constants.linux().require("SOCK_DGRAM");
    static final long TCP = Constants.linux().require("IPPROTO_TCP");
    static final long UDP = Constants.linux().require("IPPROTO_UDP");
  }
}
