package org.evfilter.grammar.ast;

/**
 * Where a node starts in its source: 0-based char offset and 1-based line and column. Nodes
 * compare equal regardless of their positions.
 */
public record Position(int offset, int line, int column) {
  public Position {
    if (offset < 0 || line < 1 || column < 1) {
      throw new IllegalArgumentException("bad position " + offset + "@" + line + ":" + column);
    }
  }

  @Override
  public String toString() {
    return line + ":" + column;
  }
}
