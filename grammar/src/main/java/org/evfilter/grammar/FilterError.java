package org.evfilter.grammar;

import java.util.Objects;

/**
 * A refused filter or policy, as a value: what is wrong, where, and in plain words what was
 * expected.
 *
 * @param code the error class; for kernel codes the message is the kernel's
 * @param offset 0-based char offset in the source where the caret goes. For filters this follows
 *     the kernel's own placement (for most value errors one past the offending character), so it
 *     equals the column of the caret tracefs prints.
 * @param detail plain words on what was found and expected; may be empty
 */
public record FilterError(ErrorCode code, int offset, String detail) {
  public FilterError {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(detail, "detail");
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset");
    }
  }

  public static FilterError of(ErrorCode code, int offset, String detail) {
    return new FilterError(code, offset, detail);
  }

  /** The message: the code's text, then the detail. */
  public String message() {
    return detail.isEmpty() ? code.text() : code.text() + ": " + detail;
  }

  /**
   * The caret column tracefs shows for this error in a filter of {@code length} chars (trailing
   * whitespace stripped): the kernel clamps it to just past the last character.
   */
  public int caretColumn(int length) {
    return Math.max(0, Math.min(offset, length));
  }
}
