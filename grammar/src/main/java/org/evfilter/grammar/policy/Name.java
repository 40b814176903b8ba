package org.evfilter.grammar.policy;

import java.util.Objects;
import org.evfilter.grammar.ast.Position;

/** A word in a policy (a syscall, label or errno name) with where it stands. */
public record Name(String text, Position position) {
  public Name {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(position, "position");
  }
}
