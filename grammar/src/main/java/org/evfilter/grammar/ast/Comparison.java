package org.evfilter.grammar.ast;

import java.util.Objects;

/** {@code field OP value}: the kernel's one and only predicate form. */
public record Comparison(FieldRef field, Operator operator, Position operatorPosition, Value value)
    implements Expression {
  public Comparison {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(operator, "operator");
    Objects.requireNonNull(operatorPosition, "operatorPosition");
    Objects.requireNonNull(value, "value");
  }

  @Override
  public Position position() {
    return field.position();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Comparison c
        && c.field.equals(field)
        && c.operator == operator
        && c.value.equals(value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(field, operator, value);
  }
}
