package org.evfilter.predicates;

import java.util.List;
import java.util.Objects;

/** A filter bound to an event schema: typed atoms combined with all/any/not. */
public sealed interface BoundExpression permits Atom, BoundExpression.All, BoundExpression.Any, BoundExpression.Negation {
  /** Whether some atom of the expression satisfies {@code test}. */
  default boolean anyAtom(java.util.function.Predicate<Atom> test) {
    if (this instanceof All a) {
      return a.operands().stream().anyMatch(o -> o.anyAtom(test));
    }
    if (this instanceof Any a) {
      return a.operands().stream().anyMatch(o -> o.anyAtom(test));
    }
    if (this instanceof Negation n) {
      return n.operand().anyAtom(test);
    }
    return test.test((Atom) this);
  }

  /** True when every operand is (short-circuit, left to right). */
  record All(List<BoundExpression> operands) implements BoundExpression {
    public All {
      operands = List.copyOf(operands);
    }
  }

  /** True when any operand is (short-circuit, left to right). */
  record Any(List<BoundExpression> operands) implements BoundExpression {
    public Any {
      operands = List.copyOf(operands);
    }
  }

  /** The kernel's {@code !}. */
  record Negation(BoundExpression operand) implements BoundExpression {
    public Negation {
      Objects.requireNonNull(operand, "operand");
    }
  }
}
