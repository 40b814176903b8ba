package org.evfilter.grammar.ast;

import java.util.List;
import java.util.Objects;

/** {@code a && b && c}: true when every operand is; evaluated left to right, short-circuit. */
public record And(List<Expression> operands, Position position) implements Expression {
  public And {
    operands = List.copyOf(operands);
    Objects.requireNonNull(position, "position");
    if (operands.size() < 2) {
      throw new IllegalArgumentException("&& needs two operands");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof And other && other.operands.equals(operands);
  }

  @Override
  public int hashCode() {
    return 31 * operands.hashCode() + 2;
  }
}
