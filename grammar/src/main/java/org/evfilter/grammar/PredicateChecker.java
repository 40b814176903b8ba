package org.evfilter.grammar;

import org.evfilter.grammar.ast.Expression;
import org.evfilter.grammar.ast.FieldRef;

/**
 * Checks predicates while the parser reads them, so errors come in the kernel's order: the
 * kernel's {@code parse_pred()} looks a field up before it reads the operator, and checks a
 * predicate's types before it reads what follows. Implementations throw {@link FilterException}.
 */
public interface PredicateChecker {
  /** Accepts everything: structure only. */
  PredicateChecker NONE =
      new PredicateChecker() {
        @Override
        public void field(FieldRef field, SourceText source) {}

        @Override
        public void predicate(Expression predicate, SourceText source) {}
      };

  /** Called as soon as a predicate's field name (and suffixes) has been read. */
  void field(FieldRef field, SourceText source);

  /**
   * Called when a predicate ({@code Comparison}, {@code Membership} or {@code MaskedComparison})
   * is complete, before anything after it is read.
   */
  void predicate(Expression predicate, SourceText source);
}
