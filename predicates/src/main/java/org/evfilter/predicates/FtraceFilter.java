package org.evfilter.predicates;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.evfilter.events.schema.EventField;
import org.evfilter.grammar.ast.Operator;

/**
 * Lowers a bound filter to the kernel's own filter language, so that it can be pushed into an
 * event's {@code filter} file: names become numbers, sets and ranges become {@code ||} of
 * comparisons, and a masked equality {@code (f & M) == V} becomes single-bit {@code &} tests, one
 * per bit of M. Empty when the filter holds something ftrace cannot say (an ordered comparison
 * of masked bits): then it is evaluated in user space.
 */
public final class FtraceFilter {
  private FtraceFilter() {}

  public static Optional<String> render(BoundExpression e) {
    StringBuilder out = new StringBuilder();
    // The kernel takes filters shorter than a page; a longer lowering stays in user space.
    return render(e, out) && out.length() <= org.evfilter.grammar.FilterParser.KERNEL_MAX_FILTER_BYTES
        ? Optional.of(out.toString()) : Optional.empty();
  }

  private static boolean render(BoundExpression e, StringBuilder out) {
    if (e instanceof BoundExpression.All all) {
      return join(all.operands(), " && ", out);
    }
    if (e instanceof BoundExpression.Any any) {
      return join(any.operands(), " || ", out);
    }
    if (e instanceof BoundExpression.Negation not) {
      out.append("!(");
      boolean ok = render(not.operand(), out);
      out.append(')');
      return ok;
    }
    return atom((Atom) e, out);
  }

  private static boolean join(List<BoundExpression> operands, String op, StringBuilder out) {
    out.append('(');
    for (int i = 0; i < operands.size(); i++) {
      if (i > 0) {
        out.append(op);
      }
      if (!render(operands.get(i), out)) {
        return false;
      }
    }
    out.append(')');
    return true;
  }

  private static boolean atom(Atom a, StringBuilder out) {
    if (a instanceof Atom.Numeric n) {
      String f = n.field().name();
      if (n.mask() == -1L) {
        out.append(f).append(' ').append(n.operator().symbol()).append(' ').append(number(n.field(), n.value()));
        return true;
      }
      // Comparisons see only the field's width: reason on those bits.
      long width = n.field().size() > 0 && n.field().size() < 8 ? (1L << (8 * n.field().size())) - 1 : -1L;
      long m = n.mask() & width;
      long v = n.value() & width;
      boolean eq = n.operator() == Operator.EQ;
      if (!eq && n.operator() != Operator.NE) {
        return false;
      }
      if ((v & ~m) != 0 || m == 0) {
        // Bits outside the mask, or no mask at all: the answer does not depend on the field.
        boolean equal = m == 0 && v == 0;
        out.append(eq == equal ? "(" + f + " == 0 || " + f + " != 0)" : "(" + f + " == 0 && " + f + " != 0)");
        return true;
      }
      // (f & M) == V is, bit by bit of M, 'f & b' where V has b and '!(f & b)' where it has not.
      StringBuilder all = new StringBuilder("(");
      for (long bits = m; bits != 0; bits &= bits - 1) {
        long b = Long.lowestOneBit(bits);
        if (all.length() > 1) {
          all.append(" && ");
        }
        all.append((v & b) != 0 ? f + " & " + hex(b) : "!(" + f + " & " + hex(b) + ")");
      }
      all.append(')');
      out.append(eq ? all : "!" + all);
      return true;
    }
    if (a instanceof Atom.Member m) {
      List<String> parts = new ArrayList<>();
      for (long[] r : m.ranges()) {
        String f = m.field().name();
        parts.add(r[0] == r[1]
            ? f + " == " + number(m.field(), r[0])
            : "(" + f + " >= " + number(m.field(), r[0]) + " && " + f + " <= " + number(m.field(), r[1]) + ")");
      }
      out.append('(').append(String.join(" || ", parts)).append(')');
      return true;
    }
    if (a instanceof Atom.Text t) {
      if (t.literal().contains("\"") && t.literal().contains("'")) {
        return false;
      }
      char q = t.literal().contains("\"") ? '\'' : '"';
      out.append(t.field().name()).append(t.user() ? ".ustring" : "").append(' ').append(t.operator().symbol())
          .append(' ').append(q).append(t.literal()).append(q);
      return true;
    }
    if (a instanceof Atom.Cpus c) {
      out.append(c.field().name()).append(' ').append(c.operator().symbol()).append(" CPUS{")
          .append(c.cpus().stream().mapToObj(Integer::toString).collect(Collectors.joining(","))).append('}');
      return true;
    }
    if (a instanceof Atom.Function fn) {
      out.append(fn.field().name()).append(".function ").append(fn.equal() ? "==" : "!=").append(' ').append(hex(fn.start()));
      return true;
    }
    if (a instanceof Atom.Never never) {
      out.append(never.field().name()).append(" == 0");
      return true;
    }
    return false;
  }

  private static String number(EventField field, long value) {
    return field.signed() ? Long.toString(value) : hex(value);
  }

  private static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }
}
