package org.evfilter.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.evfilter.grammar.ast.And;
import org.evfilter.grammar.ast.Comparison;
import org.evfilter.grammar.ast.Expression;
import org.evfilter.grammar.ast.MaskedComparison;
import org.evfilter.grammar.ast.Membership;
import org.evfilter.grammar.ast.Not;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.ast.Or;
import org.evfilter.grammar.ast.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FilterParserTest {

  static ParsedFilter parse(String text, Dialect dialect) {
    return FilterParser.parseFilter("<test>", text, dialect, PredicateChecker.NONE);
  }

  /** text -> AST -> canonical text -> AST: the same AST, and the canonical text is a fixed point. */
  static String roundTrip(String text, Dialect dialect) {
    ParsedFilter first = parse(text, dialect);
    String canonical = first.toCanonicalString();
    ParsedFilter second = parse(canonical, dialect);
    assertEquals(first.expression(), second.expression(), () -> "AST changed through " + canonical);
    assertEquals(canonical, second.toCanonicalString());
    return canonical;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", quoteCharacter = '`', value = {
    "a == 1 => a == 1",
    "a==1&&b!=2 => a == 1 && b != 2",
    "a == 1 || b == 2 && c == 3 => a == 1 || b == 2 && c == 3",
    "(a == 1 || b == 2) && c == 3 => (a == 1 || b == 2) && c == 3",
    "((a == 1)) => a == 1",
    "(a == 1 || b == 1) || c == 1 => a == 1 || b == 1 || c == 1",
    "a == 1 && (b == 1 && c == 1) => a == 1 && b == 1 && c == 1",
    "!a == 1 => !a == 1",
    "!!a == 1 => a == 1",
    "!(!(a == 1)) => a == 1",
    "!(!(a == 1 || b == 1)) => a == 1 || b == 1",
    "!(!a == 1) => a == 1",
    "!(a == 1 && !b == 2) => !(a == 1 && !b == 2)",
    "`comm ~ \"*sh\"` => `comm ~ \"*sh\"`",
    "`comm == 'x y'` => `comm == 'x y'`",
    "x.ustring ~ \"*passwd*\" => x.ustring ~ \"*passwd*\"",
    "ip.function == kfree => ip.function == kfree",
    "cpu & CPUS{0-1} => cpu & CPUS{0-1}",
    "a < -5 && b >= 0x1F && c <= 017 && d > 2 => a < -5 && b >= 0x1F && c <= 017 && d > 2",
  })
  void parsesKernelSyntaxToCanonicalText(String input, String canonical) {
    assertEquals(canonical, roundTrip(input, Dialect.FTRACE));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", quoteCharacter = '`', value = {
    "nr in {read, write, 10..20} => nr in {read, write, 10..20}",
    "(flags & O_ACCMODE) == O_RDONLY => (flags & O_ACCMODE) == O_RDONLY",
    "flags & O_WRONLY # write access => flags & O_WRONLY",
    "nr == openat || nr in {-1} => nr == openat || nr in {-1}",
  })
  void parsesExtensions(String input, String canonical) {
    assertEquals(canonical, roundTrip(input, Dialect.EVFILTER));
  }

  @Test
  void kernelWhitespaceIncludesNbspAndVerticalTab() {
    assertEquals("a == 1 && b == 2", roundTrip("\ta\u00a0==\u000b1\n&&\fb\r==2\n", Dialect.FTRACE));
  }

  @Test
  void buildsTypedNodesWithPositions() {
    Expression e = parse("a == 1 || !(b ~ \"x*\" && c & 4)", Dialect.FTRACE).expression().orElseThrow();
    Or or = assertInstanceOf(Or.class, e);
    Comparison a = assertInstanceOf(Comparison.class, or.operands().get(0));
    assertEquals(Operator.EQ, a.operator());
    assertEquals(new Value(Value.Kind.NUMBER, "1", (char) 0, a.value().position()), a.value());
    Not not = assertInstanceOf(Not.class, or.operands().get(1));
    And and = assertInstanceOf(And.class, not.operand());
    Comparison b = assertInstanceOf(Comparison.class, and.operands().get(0));
    assertEquals(Value.Kind.STRING, b.value().kind());
    assertEquals("x*", b.value().text());
    assertEquals(12, b.position().offset());
    assertEquals(13, b.position().column());
  }

  @Test
  void extensionNodes() {
    Expression m = parse("(flags & 3) != 1", Dialect.EVFILTER).expression().orElseThrow();
    MaskedComparison masked = assertInstanceOf(MaskedComparison.class, m);
    assertEquals(Operator.NE, masked.operator());
    Expression s = parse("nr in {1, 5..9}", Dialect.EVFILTER).expression().orElseThrow();
    Membership set = assertInstanceOf(Membership.class, s);
    assertEquals(2, set.elements().size());
    assertTrue(set.elements().get(1).high().isPresent());
  }

  @Test
  void zeroClearsTheFilter() {
    assertTrue(parse("0", Dialect.FTRACE).clears());
    assertTrue(parse("  0 \n", Dialect.FTRACE).clears());
    assertEquals("0", parse("0", Dialect.FTRACE).toCanonicalString());
  }

  @Test
  void aNulEndsAKernelFilterButIsAnErrorInPolicies() {
    assertEquals("a == 1", parse("a == 1\0junk", Dialect.FTRACE).toCanonicalString());
    FilterException e = assertThrows(FilterException.class, () -> parse("a == 1\0junk", Dialect.EVFILTER));
    assertEquals(6, e.error().offset());
  }

  @Test
  void kernelDepthNestingParsesOnAnyStack() {
    int depth = 2044;
    String deep = "(".repeat(depth) + "a == 1" + ")".repeat(depth);
    assertEquals("a == 1", parse(deep, Dialect.FTRACE).toCanonicalString());
    StringBuilder alternating = new StringBuilder("a == 1");
    for (int i = 0; i < 1000; i++) {
      alternating.insert(0, "(b == 1 " + (i % 2 == 0 ? "&&" : "||") + " ").append(')');
    }
    String canonical = roundTrip(alternating.toString(), Dialect.EVFILTER);
    assertTrue(canonical.length() > 10_000);
  }

  @Test
  void absurdNestingFailsCleanly() {
    String deep = "(".repeat(10_000) + "a == 1" + ")".repeat(10_000);
    FilterException e = assertThrows(FilterException.class, () -> parse(deep, Dialect.EVFILTER));
    assertEquals(ErrorCode.EXPRESSION_TOO_LARGE, e.error().code());
    FilterException k = assertThrows(FilterException.class, () -> parse(deep, Dialect.FTRACE));
    assertEquals(ErrorCode.FILTER_TOO_LONG, k.error().code());
    String nots = "!".repeat(100_000) + "a == 1";
    assertEquals("a == 1", parse(nots, Dialect.EVFILTER).toCanonicalString());
  }

  @Test
  void longFiltersAreKernelErrorsOnlyInStrictMode() {
    StringBuilder s = new StringBuilder("a == 1");
    while (s.length() < 5000) {
      s.append(" || a == 1");
    }
    assertEquals(ErrorCode.FILTER_TOO_LONG,
        assertThrows(FilterException.class, () -> parse(s.toString(), Dialect.FTRACE)).error().code());
    // Read whole in the evfilter dialect: every one of the predicates, none cut at the kernel's limit.
    Or whole = assertInstanceOf(Or.class, parse(s.toString(), Dialect.EVFILTER).expression().orElseThrow());
    assertEquals(s.toString().split(" \\|\\| ").length, whole.operands().size());
    assertEquals(s.toString(), parse(s.toString(), Dialect.EVFILTER).toCanonicalString());
  }

  @Test
  void bytesAreReadAsTheKernelReadsThem() {
    String utf8 = FilterParser.kernelText("comm == \"\u00e9\"");
    assertEquals("comm == \"\u00c3\u00a9\"", utf8);
    assertEquals("\u00c3\u00a9", ((Comparison) parse(utf8, Dialect.FTRACE).expression().orElseThrow()).value().text());
  }
}
