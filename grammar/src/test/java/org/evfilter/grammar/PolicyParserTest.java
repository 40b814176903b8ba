package org.evfilter.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.grammar.policy.Policy;
import org.evfilter.grammar.policy.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyParserTest {
  private static final String POLICY = String.join("\n",
      "# a policy",
      "default errno(EPERM)",
      "label tmp_t, home_t",
      "labels \"file_contexts\"",
      "include 'base.evf'",
      "",
      "allow read, write close   # commas optional",
      "allow openat: (flags & O_ACCMODE) == O_RDONLY",
      "errno(EACCES) openat, open: label & tmp_t &&",
      "    flags & O_CREAT",
      "kill_process ptrace",
      "log: nr == 5 ||",
      "  (nr in {1, 2..4}",
      "   && arg0 == 1)",
      "trace(7) ioctl",
      "");

  @Test
  void parsesEveryStatementKind() {
    Policy p = FilterParser.parsePolicy("p.evf", POLICY);
    assertEquals(10, p.statements().size());
    assertEquals(ActionKind.ERRNO, p.defaultAction().orElseThrow().action().kind());
    assertEquals("EPERM", p.defaultAction().orElseThrow().action().argument().orElseThrow().text());
    assertInstanceOf(Statement.Labels.class, p.statements().get(1));
    assertEquals("file_contexts", assertInstanceOf(Statement.LabelsFile.class, p.statements().get(2)).path());
    assertEquals("base.evf", assertInstanceOf(Statement.Include.class, p.statements().get(3)).path());
    Statement.Rule errno = p.rules().get(2);
    assertEquals(2, errno.syscalls().size());
    assertEquals("label & tmp_t && flags & O_CREAT", errno.filter().orElseThrow().toCanonicalString());
    assertEquals(9, errno.position().line());
    Statement.Rule log = p.rules().get(4);
    assertEquals("nr == 5 || nr in {1, 2..4} && arg0 == 1", log.filter().orElseThrow().toCanonicalString());
  }

  @Test
  void canonicalTextIsAFixedPoint() {
    String once = FilterParser.parsePolicy("p.evf", POLICY).toCanonicalString();
    assertEquals(once, FilterParser.parsePolicy("p.evf", once).toCanonicalString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", quoteCharacter = '`', value = {
    "alow read => 1 => 1 => did you mean 'allow'?",
    "errno openat => 1 => 6 => 'errno' needs a value",
    "allow(1) read => 1 => 6 => 'allow' takes no value",
    "default => 1 => 8 => 'default' takes one action",
    "default allow: a == 1 => 1 => 14 => 'default' takes no filter",
    "include base.evf => 1 => 8 => one quoted file name",
    "`allow read: comm == \"x` => 1 => 21 => not closed on its line",
    "allow read: (a == 1 => 1 => 13 => never closed",
    "allow read: a == 1 b => 1 => 20 => expected '&&', '||', ')' or the end of the line",
    "`allow read\nallow write x(` => 2 => 15 => expected an argument",
  })
  void errorsNameLineAndColumn(String text, int line, int column, String detail) {
    FilterException e = assertThrows(FilterException.class, () -> FilterParser.parsePolicy("p.evf", text));
    String message = e.getMessage();
    assertEquals("p.evf:" + line + ":" + column, message.substring(0, message.indexOf(": ")), message);
    assertEquals(true, message.contains(detail), message);
  }
}
