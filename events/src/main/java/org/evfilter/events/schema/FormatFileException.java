package org.evfilter.events.schema;

/** A format file (or snapshot) that does not read as the kernel writes them, with the line. */
public final class FormatFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int line;
  private final String reason;

  public FormatFileException(int line, String reason) {
    super("line " + line + ": " + reason);
    this.line = line;
    this.reason = reason;
  }

  /** What is wrong, without the line. */
  public String reason() {
    return reason;
  }

  /** The 1-based line the problem is on. */
  public int line() {
    return line;
  }
}
