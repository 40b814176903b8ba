package org.evfilter.grammar.ast;

import java.util.Objects;

/**
 * The field a predicate reads, with the kernel's suffixes: {@code .ustring} reads a {@code char *}
 * from user memory, {@code .function} compares an address with a kernel function's extent.
 */
public record FieldRef(String name, boolean ustring, boolean function, Position position) {
  public FieldRef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(position, "position");
  }

  /** The field as written, suffixes included. */
  public String text() {
    return name + (ustring ? ".ustring" : "") + (function ? ".function" : "");
  }

  /** Offset just past the name and its suffixes. */
  public int endOffset() {
    return position.offset() + text().length();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FieldRef f
        && f.name.equals(name)
        && f.ustring == ustring
        && f.function == function;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, ustring, function);
  }
}
