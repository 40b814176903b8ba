package org.evfilter.grammar.ast;

import java.util.Objects;

/**
 * {@code (field & MASK) OP value} (extension): compares the masked bits, e.g. {@code (flags &
 * O_ACCMODE) == O_RDONLY}, which the kernel's any-bit {@code &} cannot say.
 */
public record MaskedComparison(
    Comparison mask, Operator operator, Position operatorPosition, Value value, Position position)
    implements Expression {
  public MaskedComparison {
    Objects.requireNonNull(mask, "mask");
    Objects.requireNonNull(operator, "operator");
    Objects.requireNonNull(operatorPosition, "operatorPosition");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(position, "position");
    if (mask.operator() != Operator.BAND) {
      throw new IllegalArgumentException("a masked comparison needs (field & mask)");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MaskedComparison m
        && m.mask.equals(mask)
        && m.operator == operator
        && m.value.equals(value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mask, operator, value);
  }
}
