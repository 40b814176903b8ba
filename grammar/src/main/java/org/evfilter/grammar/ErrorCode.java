package org.evfilter.grammar;

/**
 * What went wrong in a filter or policy. The first group are the kernel's own {@code FILT_ERR_*}
 * codes with the kernel's text, so that a caller can compare with what tracefs says; the rest are
 * evfilter's, for its extensions and policy files.
 */
public enum ErrorCode {
  /** The kernel refused the filter without a message ({@code Error: (0)} in the filter file). */
  KERNEL_NO_MESSAGE("Error", true),
  INVALID_OP("Invalid operator", true),
  TOO_MANY_OPEN("Too many '('", true),
  TOO_MANY_CLOSE("Too few '('", true),
  MISSING_QUOTE("Missing matching quote", true),
  MISSING_BRACE_OPEN("Missing '{'", true),
  MISSING_BRACE_CLOSE("Missing '}'", true),
  OPERAND_TOO_LONG("Operand too long", true),
  EXPECT_STRING("Expecting string field", true),
  EXPECT_DIGIT("Expecting numeric field", true),
  ILLEGAL_FIELD_OP("Illegal operation for field type", true),
  FIELD_NOT_FOUND("Field not found", true),
  ILLEGAL_INTVAL("Illegal integer value", true),
  TOO_MANY_PREDS("Too many terms in predicate expression", true),
  INVALID_FILTER("Meaningless filter expression", true),
  INVALID_CPULIST("Invalid cpulist", true),
  INVALID_VALUE("Invalid value (did you forget quotes)?", true),
  NO_FUNCTION("Function not found", true),
  NO_FILTER("No filter found", true),
  /** The write itself is refused: a filter must be shorter than a page (4096 bytes). */
  FILTER_TOO_LONG("Filter too long", true),

  EXPRESSION_TOO_LARGE("Expression is too large", false),
  SYNTAX("Syntax error", false),
  UNKNOWN_SYMBOL("Unknown name", false),
  VALUE_OUT_OF_RANGE("Value out of range", false),
  INVALID_SET("Invalid set", false),
  INVALID_MASK("Invalid masked comparison", false),
  POLICY("Invalid policy", false);

  private final String text;
  private final boolean kernel;

  ErrorCode(String text, boolean kernel) {
    this.text = text;
    this.kernel = kernel;
  }

  /** The message, the kernel's own words for kernel codes. */
  public String text() {
    return text;
  }

  /** Whether the kernel reports this error in the same words. */
  public boolean isKernel() {
    return kernel;
  }
}
