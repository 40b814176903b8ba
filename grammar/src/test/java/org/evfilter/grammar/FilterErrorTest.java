package org.evfilter.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Structural errors without a schema: the kernel's code and caret column (the offset is where
 * tracefs puts its caret; see the conformance suite for the same against the live kernel).
 */
class FilterErrorTest {

  static FilterError error(String text, Dialect dialect) {
    return assertThrows(FilterException.class,
        () -> FilterParser.parseFilter("<test>", text, dialect, PredicateChecker.NONE)).error();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", quoteCharacter = '`', value = {
    "a = 1 => INVALID_OP => 3",
    "a => INVALID_OP => 1",
    "a.function.ustring == 1 => INVALID_OP => 11",
    "a && b == 1 => INVALID_VALUE => 4",
    "a == 1 b == 2 => TOO_MANY_PREDS => 7",
    "a == 1 & b == 2 => TOO_MANY_PREDS => 7",
    "a == 1 ! => TOO_MANY_PREDS => 7",
    "(a == 1 => TOO_MANY_OPEN => 0",
    "a == 1) => TOO_MANY_CLOSE => 6",
    "`a == \"x` => MISSING_QUOTE => 5",
    "! => NO_FILTER => 1",
    "() => KERNEL_NO_MESSAGE => 0",
    "&& a == 1 => KERNEL_NO_MESSAGE => 0",
    "a == 1 && ) => TOO_MANY_CLOSE => 10",
    "(a == 1 &&) b == 1 => KERNEL_NO_MESSAGE => 10",
    "== 1 => KERNEL_NO_MESSAGE => 0",
    "`\"a\" == 1` => KERNEL_NO_MESSAGE => 0",
    "(ip.function == kfree) => TOO_MANY_OPEN => 22",
    "a == 1 && => INVALID_FILTER => 9",
    "a == 1 || !! => INVALID_FILTER => 12",
  })
  void kernelErrors(String text, ErrorCode code, int column) {
    FilterError e = error(text, Dialect.FTRACE);
    assertEquals(code, e.code(), e::message);
    assertEquals(column, e.caretColumn(text.strip().length()), e::message);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", quoteCharacter = '`', value = {
    "nr in {1} => INVALID_OP => 4",
    "(flags & 3) == 1 => TOO_MANY_PREDS => 12",
    "a == 1 # comment => TOO_MANY_PREDS => 7",
  })
  void extensionsAreKernelErrorsUnderStrictFtrace(String text, ErrorCode code, int column) {
    FilterError e = error(text, Dialect.FTRACE);
    assertEquals(code, e.code(), e::message);
    assertEquals(column, e.caretColumn(text.length()), e::message);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", quoteCharacter = '`', value = {
    "nr in 1 => INVALID_SET => 6",
    "nr in {1 2} => INVALID_SET => 9",
    "nr in {1,} => INVALID_SET => 9",
    "(a == 1) == 2 => INVALID_MASK => 0",
  })
  void extensionErrors(String text, ErrorCode code, int offset) {
    FilterError e = error(text, Dialect.EVFILTER);
    assertEquals(code, e.code(), e::message);
    assertEquals(offset, e.offset(), e::message);
  }

  @Test
  void rendersTheSourceLineAndACaret() {
    FilterException e = assertThrows(FilterException.class,
        () -> FilterParser.parseFilter("<filter>", "a == 1 b", Dialect.FTRACE, PredicateChecker.NONE));
    assertEquals(
        "<filter>:1:8: Too many terms in predicate expression: expected '&&', '||', ')' or the end, found 'b'\n"
            + "a == 1 b\n"
            + "       ^",
        e.render());
  }
}
