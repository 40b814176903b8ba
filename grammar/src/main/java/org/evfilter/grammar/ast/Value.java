package org.evfilter.grammar.ast;

import java.util.Objects;

/**
 * The right-hand side of a predicate, as the kernel's scanner cut it: its meaning (a signed or
 * unsigned number, a glob, a cpulist) depends on the field, so binding decides it.
 *
 * @param kind which branch of the kernel's {@code parse_pred()} reads it
 * @param text the token as written; for {@link Kind#STRING} the content between the quotes
 * @param quote the quote character of a string, else 0
 * @param position where the token starts (for a string, its opening quote)
 */
public record Value(Kind kind, String text, char quote, Position position) {
  /** The token classes of the value position. */
  public enum Kind {
    /** {@code "..."} or {@code '...'}, no escapes. */
    STRING,
    /** {@code -?[alnum]*} starting with a digit or {@code -}; not yet checked as a number. */
    NUMBER,
    /** {@code CPUS...}: a cpulist in braces, maybe malformed. */
    CPUS,
    /** A name: a constant, syscall, errno or label (extension). */
    SYMBOL,
    /**
     * An IPv4 or IPv6 address, maybe with a {@code /prefix} ({@code 10.0.0.0/8}, {@code ::1})
     * (extension); not yet checked as one.
     */
    ADDRESS,
    /** The value of a {@code .function} field: a number or every char up to whitespace. */
    FUNCTION,
    /** A character no value starts with. */
    INVALID,
    /** Nothing: the filter ended where a value was due. */
    MISSING
  }

  public Value {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(position, "position");
  }

  /** The value as written, quotes included. */
  public String source() {
    return kind == Kind.STRING ? quote + text + quote : text;
  }

  /** Offset just past the value as written. */
  public int endOffset() {
    return position.offset() + source().length();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Value v && v.kind == kind && v.text.equals(text) && v.quote == quote;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, text, quote);
  }
}
