package org.evfilter.predicates;

import java.util.Objects;
import java.util.Optional;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.grammar.ParsedFilter;

/**
 * A filter checked and bound to an event: its parse, and the typed predicate tree (empty when the
 * filter is the kernel's {@code 0}, which clears a filter). {@code schema} is empty when the
 * filter was checked for syntax only.
 */
public record BoundFilter(ParsedFilter parsed, Optional<EventSchema> schema, Optional<BoundExpression> expression) {
  public BoundFilter {
    Objects.requireNonNull(parsed, "parsed");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(expression, "expression");
  }
}
