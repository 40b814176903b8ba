package org.evfilter.predicates;

import java.util.Optional;
import java.util.OptionalLong;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.grammar.ast.Operator;

/**
 * Evaluates a bound filter over a syscall event in user space, with the kernel's semantics:
 * values compared at the field's width and signedness, {@code &} true when any bit is set, strings
 * by the kernel's glob classes, left to right with short-circuit. Fields are the event's
 * arguments by name ({@code flags}), {@code arg0}..{@code arg5}, {@code nr}/{@code __syscall_nr},
 * {@code arch}, {@code instruction_pointer}, {@code common_pid} and {@code ret}. A string the tracer
 * did not read never matches, as in the kernel when the copy faults.
 */
public final class SyscallEventEvaluator {
  private SyscallEventEvaluator() {}

  /**
   * Whether {@code event} matches.
   *
   * @throws IllegalArgumentException for predicates only the kernel can evaluate (CPUS, .function)
   */
  public static boolean matches(BoundExpression e, SyscallEvent event) {
    if (e instanceof BoundExpression.All all) {
      for (BoundExpression o : all.operands()) {
        if (!matches(o, event)) {
          return false;
        }
      }
      return true;
    }
    if (e instanceof BoundExpression.Any any) {
      for (BoundExpression o : any.operands()) {
        if (matches(o, event)) {
          return true;
        }
      }
      return false;
    }
    if (e instanceof BoundExpression.Negation not) {
      return !matches(not.operand(), event);
    }
    return atom((Atom) e, event);
  }

  private static boolean atom(Atom a, SyscallEvent event) {
    if (a instanceof Atom.Numeric n) {
      OptionalLong raw = value(n.field(), event);
      if (raw.isEmpty()) {
        return false;
      }
      long x = raw.getAsLong() & n.mask();
      return compare(n.field(), n.operator(), x, n.value());
    }
    if (a instanceof Atom.Member m) {
      OptionalLong raw = value(m.field(), event);
      if (raw.isEmpty()) {
        return false;
      }
      for (long[] r : m.ranges()) {
        if (compare(m.field(), Operator.GE, raw.getAsLong(), r[0]) && compare(m.field(), Operator.LE, raw.getAsLong(), r[1])) {
          return true;
        }
      }
      return false;
    }
    if (a instanceof Atom.Text t) {
      Optional<String> s = string(t.field(), event);
      if (s.isEmpty()) {
        return false;
      }
      boolean match = Globs.matches(t.pattern(), s.get());
      return t.operator() == Operator.NE ? !match : match;
    }
    if (a instanceof Atom.Never) {
      return false;
    }
    throw new IllegalArgumentException("only the kernel can evaluate " + a);
  }

  private static boolean compare(EventField field, Operator op, long x, long v) {
    int bits = field.size() * 8;
    if (bits < 64 && bits > 0) {
      long mask = (1L << bits) - 1;
      x &= mask;
      v &= mask;
      if (field.signed()) {
        x = (x << (64 - bits)) >> (64 - bits);
        v = (v << (64 - bits)) >> (64 - bits);
      }
    }
    return switch (op) {
      case EQ -> x == v;
      case NE -> x != v;
      case BAND -> (x & v) != 0;
      case LT -> field.signed() ? x < v : Long.compareUnsigned(x, v) < 0;
      case LE -> field.signed() ? x <= v : Long.compareUnsigned(x, v) <= 0;
      case GT -> field.signed() ? x > v : Long.compareUnsigned(x, v) > 0;
      case GE -> field.signed() ? x >= v : Long.compareUnsigned(x, v) >= 0;
      case GLOB -> false;
    };
  }

  private static OptionalLong value(EventField field, SyscallEvent e) {
    String name = field.name();
    switch (name) {
      case "nr", "__syscall_nr", "id":
        return OptionalLong.of(e.nr());
      case "arch":
        return OptionalLong.of(e.auditArch());
      case "instruction_pointer":
        return OptionalLong.of(e.instructionPointer());
      case "common_pid":
        return OptionalLong.of(e.pid());
      case "ret":
        return e.ret();
      default:
        break;
    }
    if (name.matches("arg[0-5]")) {
      return OptionalLong.of(e.arg(name.charAt(3) - '0'));
    }
    return argument(name, e).map(a -> OptionalLong.of(e.arg(a.index()))).orElse(OptionalLong.empty());
  }

  private static Optional<String> string(EventField field, SyscallEvent e) {
    if (field.name().equals("comm") || field.name().equals("COMM")) {
      return e.comm().isEmpty() ? Optional.empty() : Optional.of(e.comm());
    }
    return argument(field.name(), e).flatMap(a -> e.string(a.index()));
  }

  private static Optional<SyscallArg> argument(String name, SyscallEvent e) {
    return e.syscall().flatMap((Syscall s) -> s.argument(name));
  }
}
