package org.evfilter.grammar.ast;

/** The comparison operators of the kernel's filter language, in the kernel's {@code ops[]} order. */
public enum Operator {
  GLOB("~"),
  NE("!="),
  EQ("=="),
  LE("<="),
  LT("<"),
  GE(">="),
  GT(">"),
  BAND("&");

  private final String symbol;

  Operator(String symbol) {
    this.symbol = symbol;
  }

  /** The operator as written. */
  public String symbol() {
    return symbol;
  }

  /** Whether this is an ordered comparison ({@code < <= > >=}). */
  public boolean isOrdered() {
    return this == LE || this == LT || this == GE || this == GT;
  }
}
