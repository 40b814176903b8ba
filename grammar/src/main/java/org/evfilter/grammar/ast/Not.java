package org.evfilter.grammar.ast;

import java.util.Objects;

/** {@code !x}: the kernel's {@code !} negates the next predicate or parenthesised group. */
public record Not(Expression operand, Position position) implements Expression {
  public Not {
    Objects.requireNonNull(operand, "operand");
    Objects.requireNonNull(position, "position");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Not other && other.operand.equals(operand);
  }

  @Override
  public int hashCode() {
    return 31 * operand.hashCode() + 3;
  }
}
