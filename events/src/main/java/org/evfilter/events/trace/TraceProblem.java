package org.evfilter.events.trace;

import java.util.Objects;

/** A line of a trace that could not be read: where, why, and the line itself (shortened). */
public record TraceProblem(long line, String message, String text) {
  public TraceProblem {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(text, "text");
    if (text.length() > 200) {
      text = text.substring(0, 200) + "...";
    }
  }

  @Override
  public String toString() {
    return "line " + line + ": " + message + ": " + text;
  }
}
