package org.evfilter.grammar.policy;

import java.util.Objects;
import java.util.Optional;

/** An action with its argument as written: {@code errno(EACCES)}, {@code trace(3)}, {@code allow}. */
public record Action(ActionKind kind, Optional<Name> argument, Name keyword) {
  public Action {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(argument, "argument");
    Objects.requireNonNull(keyword, "keyword");
  }

  @Override
  public String toString() {
    return kind.keyword() + argument.map(a -> "(" + a.text() + ")").orElse("");
  }
}
