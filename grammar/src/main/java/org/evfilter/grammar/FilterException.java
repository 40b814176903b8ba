package org.evfilter.grammar;

import java.util.Objects;

/**
 * Thrown by the parser and binder when a filter or policy is refused; carries the {@link
 * FilterError} and the source so the edge (the CLI) can show the line and a caret.
 */
public final class FilterException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient FilterError error;
  private final transient SourceText source;

  public FilterException(FilterError error, SourceText source) {
    super(Objects.requireNonNull(source, "source").describe(error));
    this.error = error;
    this.source = source;
  }

  public FilterError error() {
    return error;
  }

  public SourceText source() {
    return source;
  }

  /** The error with its source line and a caret under the position, ftrace style. */
  public String render() {
    return source.render(error);
  }
}
