package org.evfilter.grammar.ast;

import java.util.stream.Collectors;

/** Prints expressions in canonical form: single spaces, and parentheses only where needed. */
final class CanonicalPrinter {
  private CanonicalPrinter() {}

  static String print(Expression e) {
    StringBuilder out = new StringBuilder();
    print(e, out);
    return out.toString();
  }

  private static void print(Expression e, StringBuilder out) {
    if (e instanceof Or or) {
      join(or.operands(), " || ", out, false);
    } else if (e instanceof And and) {
      join(and.operands(), " && ", out, true);
    } else if (e instanceof Not not) {
      out.append('!');
      // '!!x' would read back as x: a Not of a Not keeps its parentheses.
      boolean atom = isAtom(not.operand());
      if (!atom) {
        out.append('(');
      }
      print(not.operand(), out);
      if (!atom) {
        close(out, not.operand());
      }
    } else if (e instanceof Comparison c) {
      comparison(c, out);
    } else if (e instanceof MaskedComparison m) {
      out.append('(');
      comparison(m.mask(), out);
      close(out, m.mask());
      out.append(' ').append(m.operator().symbol()).append(' ').append(m.value().source());
    } else if (e instanceof Membership m) {
      out.append(m.field().text()).append(" in {");
      out.append(
          m.elements().stream()
              .map(el -> el.low().source() + el.high().map(h -> ".." + h.source()).orElse(""))
              .collect(Collectors.joining(", ")));
      out.append('}');
    }
  }

  private static void comparison(Comparison c, StringBuilder out) {
    out.append(c.field().text()).append(' ').append(c.operator().symbol());
    if (c.value().kind() != Value.Kind.MISSING) {
      out.append(' ').append(c.value().source());
    }
  }

  // Or and And are flattened when built, so only an Or inside an And needs parentheses.
  private static void join(
      java.util.List<Expression> operands, String op, StringBuilder out, boolean parenOr) {
    for (int i = 0; i < operands.size(); i++) {
      if (i > 0) {
        out.append(op);
      }
      Expression operand = operands.get(i);
      boolean paren = parenOr && operand instanceof Or;
      if (paren) {
        out.append('(');
      }
      print(operand, out);
      if (paren) {
        close(out, operand);
      }
    }
  }

  // A '.function' value runs to the next whitespace, so a ')' right after one would become part
  // of it: such a value ends with a space before the parenthesis.
  private static void close(StringBuilder out, Expression inside) {
    out.append(endsWithFunctionValue(inside) ? " )" : ")");
  }

  private static boolean endsWithFunctionValue(Expression e) {
    if (e instanceof Or or) {
      return endsWithFunctionValue(or.operands().get(or.operands().size() - 1));
    }
    if (e instanceof And and) {
      return endsWithFunctionValue(and.operands().get(and.operands().size() - 1));
    }
    if (e instanceof Not not) {
      return endsWithFunctionValue(not.operand());
    }
    if (e instanceof Comparison c) {
      return c.value().kind() == Value.Kind.FUNCTION;
    }
    return e instanceof MaskedComparison m && m.value().kind() == Value.Kind.FUNCTION;
  }

  private static boolean isAtom(Expression e) {
    return e instanceof Comparison || e instanceof MaskedComparison || e instanceof Membership;
  }
}
