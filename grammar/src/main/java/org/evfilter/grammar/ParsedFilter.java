package org.evfilter.grammar;

import java.util.Objects;
import java.util.Optional;
import org.evfilter.grammar.ast.Expression;

/**
 * A filter that parsed: its source and its expression, or no expression when the text was the
 * kernel's {@code 0}, which clears an event's filter.
 */
public record ParsedFilter(SourceText source, Optional<Expression> expression) {
  public ParsedFilter {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(expression, "expression");
  }

  /** Whether this is the kernel's {@code 0}: remove the filter, every event passes. */
  public boolean clears() {
    return expression.isEmpty();
  }

  /** The canonical text ({@code 0} for a clearing filter). */
  public String toCanonicalString() {
    return expression.map(Expression::toCanonicalString).orElse("0");
  }
}
