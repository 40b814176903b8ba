package org.evfilter.grammar.ast;

/**
 * A filter expression: n-ary {@link Or} and {@link And}, {@link Not}, and the atomic predicates
 * {@link Comparison}, {@link MaskedComparison} and {@link Membership}. Nodes are immutable and
 * compare equal when they have the same structure, wherever they stand in the source.
 */
public sealed interface Expression permits Or, And, Not, Comparison, MaskedComparison, Membership {
  /** Where the node starts. */
  Position position();

  /** The canonical text: parses back to an equal expression. */
  default String toCanonicalString() {
    return CanonicalPrinter.print(this);
  }
}
