package org.evfilter.grammar.ast;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@code field in {a, b, lo..hi}} (extension): true when the field equals a member or lies in a range. */
public record Membership(FieldRef field, Position inPosition, List<Element> elements)
    implements Expression {

  /** One member: a single value, or an inclusive range {@code low..high}. */
  public record Element(Value low, Optional<Value> high) {
    public Element {
      Objects.requireNonNull(low, "low");
      Objects.requireNonNull(high, "high");
    }
  }

  public Membership {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(inPosition, "inPosition");
    elements = List.copyOf(elements);
  }

  @Override
  public Position position() {
    return field.position();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Membership m && m.field.equals(field) && m.elements.equals(elements);
  }

  @Override
  public int hashCode() {
    return Objects.hash(field, elements);
  }
}
