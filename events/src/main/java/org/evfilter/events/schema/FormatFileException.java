package org.evfilter.events.schema;

/** A format file (or snapshot) that does not read as the kernel writes them, with the line. */
public final class FormatFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int line;

  public FormatFileException(int line, String message) {
    super("line " + line + ": " + message);
    this.line = line;
  }

  /** The 1-based line the problem is on. */
  public int line() {
    return line;
  }
}
