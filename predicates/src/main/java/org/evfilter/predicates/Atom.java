package org.evfilter.predicates;

import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import org.evfilter.events.net.Cidr;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.schema.EventField;
import org.evfilter.grammar.ast.Operator;

/**
 * A typed atomic predicate: a comparison whose operands have been checked against the field's
 * type, width and signedness, so an ill-typed comparison cannot be represented.
 */
public sealed interface Atom extends BoundExpression {
  /** The field the predicate reads. */
  EventField field();

  /**
   * {@code field OP value} on a scalar field, with the value already cast to the field's width
   * as the kernel does; {@code mask} is applied first for masked comparisons (else all ones).
   */
  record Numeric(EventField field, Operator operator, long value, long mask) implements Atom {
    public Numeric {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(operator, "operator");
      if (operator == Operator.GLOB) {
        throw new IllegalArgumentException("'~' on a number");
      }
    }
  }

  /**
   * A string comparison: {@code ==}/{@code !=} exact, {@code ~} a kernel glob; {@code literal} is
   * the text between the quotes, as written.
   */
  record Text(EventField field, boolean user, Operator operator, Glob pattern, String literal) implements Atom {
    public Text {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(literal, "literal");
      Objects.requireNonNull(operator, "operator");
      Objects.requireNonNull(pattern, "pattern");
      if (operator != Operator.EQ && operator != Operator.NE && operator != Operator.GLOB) {
        throw new IllegalArgumentException(operator.symbol() + " on a string");
      }
    }
  }

  /**
   * {@code field OP CPUS{list}}: {@code ==}, {@code !=} or {@code &} against a CPU set, on a kernel
   * with {@code nrCpuIds} possible CPUs (a scalar at or above it is in no set).
   */
  record Cpus(EventField field, Operator operator, BitSet cpus, int nrCpuIds) implements Atom {
    public Cpus {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(operator, "operator");
      if (operator != Operator.EQ && operator != Operator.NE && operator != Operator.BAND) {
        throw new IllegalArgumentException(operator.symbol() + " on a CPU set");
      }
      if (nrCpuIds < 1) {
        throw new IllegalArgumentException("nrCpuIds " + nrCpuIds);
      }
      cpus = (BitSet) cpus.clone();
    }

    @Override
    public BitSet cpus() {
      return (BitSet) cpus.clone();
    }
  }

  /** {@code field.function == sym}: the address lies in {@code [start, end)} (or not, for !=). */
  record Function(EventField field, boolean equal, long start, long end) implements Atom {
    public Function {
      Objects.requireNonNull(field, "field");
    }
  }

  /** {@code field in {...}}: inclusive ranges of values, already cast to the field's width. */
  record Member(EventField field, List<long[]> ranges) implements Atom {
    public Member {
      Objects.requireNonNull(field, "field");
      ranges = List.copyOf(ranges);
    }
  }

  /**
   * {@code addr == A}, {@code addr != A}, {@code addr in {NET, ...}} on an IP address field: whether
   * the address lies in one of {@code networks} ({@code in} true) or in none of them ({@code in}
   * false, for {@code !=}). An event whose address is absent (a unix socket, a truncated sockaddr)
   * matches neither way, as a string the tracer could not read. Networks live in one 128-bit space
   * where IPv4 is IPv4-mapped ({@link Cidr}): {@code 10.0.0.0/8} also holds {@code ::ffff:10.1.2.3}.
   */
  record Network(EventField field, List<Cidr> networks, boolean in) implements Atom {
    public Network {
      Objects.requireNonNull(field, "field");
      networks = List.copyOf(networks);
      if (networks.isEmpty()) {
        throw new IllegalArgumentException("no networks");
      }
    }

    /** Whether {@code a} satisfies the predicate (an absent address satisfies none). */
    public boolean test(java.util.Optional<IpAddress> a) {
      return a.isPresent() && in == networks.stream().anyMatch(n -> n.contains(a.get()));
    }
  }

  /**
   * A predicate the kernel accepts but whose test is a no-op that never matches (arrays such as
   * {@code args}, size-0 fields such as {@code stacktrace}).
   */
  record Never(EventField field, String reason) implements Atom {
    public Never {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
