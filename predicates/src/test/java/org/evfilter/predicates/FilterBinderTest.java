package org.evfilter.predicates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.Map;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.ErrorCode;
import org.evfilter.grammar.FilterError;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.ast.Operator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FilterBinderTest {
  static final KernelFacts FACTS = KernelFacts.of(4, Map.of("do_sys_openat2", new KernelFacts.Extent(0x1000, 0x1200)));
  static final EventSchema OPENAT = SchemaCatalog.bundled().find("syscalls/sys_enter_openat").orElseThrow();

  static BoundExpression bind(String filter, Dialect dialect) {
    return FilterBinder.forEvent(OPENAT, dialect, FACTS).bind("<t>", filter).expression().orElseThrow();
  }

  static FilterError error(String filter, Dialect dialect) {
    return assertThrows(FilterException.class,
        () -> FilterBinder.forEvent(OPENAT, dialect, FACTS).bind("<t>", filter)).error();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", quoteCharacter = '`', value = {
    "flgs == 1 => FIELD_NOT_FOUND => 5 => did you mean 'flags'?",
    "flags ~ 1 => ILLEGAL_FIELD_OP => 9 => '~' matches strings",
    "`filename & \"x\"` => ILLEGAL_FIELD_OP => 12 => strings compare only",
    "`flags == \"x\"` => EXPECT_DIGIT => 10 => is a number",
    "filename == 1 => EXPECT_STRING => 13 => quote the value",
    "flags == -1 => ILLEGAL_INTVAL => 10 => unsigned",
    "__syscall_nr == 0x80000000000000000 => ILLEGAL_INTVAL => 17 => signed",
    "__syscall_nr == 9223372036854775808 => ILLEGAL_INTVAL => 17 => signed",
    "flags == 08 => ILLEGAL_INTVAL => 10 => not an unsigned",
    "flags == 123456789012345678901234 => OPERAND_TOO_LONG => 33 => shorter than 24",
    "cpu == CPUS{4} => INVALID_CPULIST => 14 => CPUs 0..3",
    "cpu == CPUS{} => INVALID_CPULIST => 13 => empty",
    "cpu == CPUS => MISSING_BRACE_OPEN => 11 => '{' right after",
    "comm == CPUS{0} => ILLEGAL_FIELD_OP => 9 => number, cpu or cpumask",
    "flags.function == nosuch => NO_FUNCTION => 24 => no kernel symbol",
    "flags.function < do_sys_openat2 => INVALID_OP => 18 => only with == and !=",
    "flags == O_CREAT => INVALID_VALUE => 10 => ftrace takes only numbers",
  })
  void kernelTypeErrors(String filter, ErrorCode code, int column, String detail) {
    FilterError e = error(filter, Dialect.FTRACE);
    assertEquals(code, e.code(), e::message);
    assertEquals(column, e.caretColumn(filter.length()), e::message);
    assertTrue(e.message().contains(detail), e::message);
  }

  @Test
  void numbersAreCastToTheFieldAsTheKernelDoes() {
    Atom.Numeric n = assertInstanceOf(Atom.Numeric.class, bind("__syscall_nr == -1", Dialect.FTRACE));
    assertEquals(-1L, n.value());
    assertEquals(Operator.EQ, n.operator());
    Atom.Numeric hex = assertInstanceOf(Atom.Numeric.class, bind("flags & 0xffffffffffffffff", Dialect.FTRACE));
    assertEquals(-1L, hex.value());
    assertEquals(8L, ((Atom.Numeric) bind("flags == 010", Dialect.FTRACE)).value());
  }

  @Test
  void stringsAndGlobs() {
    Atom.Text t = assertInstanceOf(Atom.Text.class, bind("filename.ustring ~ \"!*passwd*\"", Dialect.FTRACE));
    assertTrue(t.user());
    assertEquals(new Glob(Glob.Type.MIDDLE, "passwd", true), t.pattern());
    Atom.Text eq = assertInstanceOf(Atom.Text.class, bind("filename == \"*\"", Dialect.FTRACE));
    assertEquals(Glob.exact("*"), eq.pattern());
  }

  @Test
  void cpusAndFunctions() {
    Atom.Cpus c = assertInstanceOf(Atom.Cpus.class, bind("cpu & CPUS{0,2-3}", Dialect.FTRACE));
    BitSet expected = new BitSet();
    expected.set(0);
    expected.set(2, 4);
    assertEquals(expected, c.cpus());
    Atom.Function f = assertInstanceOf(Atom.Function.class, bind("flags.function != do_sys_openat2", Dialect.FTRACE));
    assertEquals(0x1000, f.start());
    assertEquals(false, f.equal());
  }

  @Test
  void arraysAndStacktraceNeverMatch() {
    EventSchema raw = SchemaCatalog.bundled().find("raw_syscalls/sys_enter").orElseThrow();
    BoundExpression b = FilterBinder.forEvent(raw, Dialect.FTRACE, FACTS).bind("<t>", "args == 1").expression().orElseThrow();
    assertInstanceOf(Atom.Never.class, b);
    assertInstanceOf(Atom.Never.class, bind("stacktrace == 1", Dialect.FTRACE));
  }

  @Test
  void extensionsBindToTypedAtoms() {
    Atom.Numeric sym = assertInstanceOf(Atom.Numeric.class, bind("flags & O_CREAT", Dialect.EVFILTER));
    assertEquals(0100L, sym.value());
    Atom.Numeric masked = assertInstanceOf(Atom.Numeric.class, bind("(flags & O_ACCMODE) == O_WRONLY", Dialect.EVFILTER));
    assertEquals(3L, masked.mask());
    assertEquals(1L, masked.value());
    Atom.Member set = assertInstanceOf(Atom.Member.class, bind("__syscall_nr in {openat, 1..3}", Dialect.EVFILTER));
    assertEquals(257L, set.ranges().get(0)[0]);
    assertEquals(3L, set.ranges().get(1)[1]);
    BoundExpression.All all = assertInstanceOf(BoundExpression.All.class,
        bind("flags & O_CREAT && !(dfd == AT_FDCWD)", Dialect.EVFILTER));
    assertInstanceOf(BoundExpression.Negation.class, all.operands().get(1));
  }

  @Test
  void negatedNamesForReturnValues() {
    EventSchema exit = SchemaCatalog.bundled().find("syscalls/sys_exit_openat").orElseThrow();
    Atom.Numeric n = assertInstanceOf(Atom.Numeric.class,
        FilterBinder.forEvent(exit, Dialect.EVFILTER, FACTS).bind("<t>", "ret == -EACCES").expression().orElseThrow());
    assertEquals(-13L, n.value());
    assertEquals(ErrorCode.ILLEGAL_INTVAL, assertThrows(FilterException.class,
        () -> FilterBinder.forEvent(exit, Dialect.FTRACE, FACTS).bind("<t>", "ret == -EACCES")).error().code());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", value = {
    "flags & O_CREATE => UNKNOWN_SYMBOL => did you mean 'O_CREAT'?",
    "flags == openat => UNKNOWN_SYMBOL => syscall-number fields",
    "__syscall_nr == opennat => UNKNOWN_SYMBOL => did you mean 'openat'?",
    "__syscall_nr in {5..1} => INVALID_SET => is empty",
    "filename in {1} => INVALID_SET => is a string",
    "filename == passwd => INVALID_VALUE => write \"passwd\"",
  })
  void extensionErrors(String filter, ErrorCode code, String detail) {
    FilterError e = error(filter, Dialect.EVFILTER);
    assertEquals(code, e.code(), e::message);
    assertTrue(e.message().contains(detail), e::message);
  }

  @Test
  void syntaxOnlyChecksValuesButNotFields() {
    FilterBinder b = FilterBinder.syntaxOnly(Dialect.FTRACE, FACTS);
    assertTrue(b.bind("<t>", "anything == 1 && other ~ \"x\"").expression().isPresent());
    assertTrue(b.bind("<t>", "ret == -1").expression().isPresent());
    assertEquals(ErrorCode.ILLEGAL_INTVAL,
        assertThrows(FilterException.class, () -> b.bind("<t>", "x == 0x")).error().code());
  }
}
