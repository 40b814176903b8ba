package org.evfilter.grammar.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.FilterParser;
import org.evfilter.grammar.ParsedFilter;
import org.evfilter.grammar.PredicateChecker;
import org.evfilter.grammar.policy.Policy;

/**
 * The parsers take any bytes: the only failure is a {@link FilterException} (never another
 * exception, a hang or a stack overflow), and what parses prints back to text that parses to the
 * same tree. Seeds replay in every build; {@code JAZZER_FUZZ=1} fuzzes.
 */
class ParserFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void filters(FuzzedDataProvider data) {
    boolean strict = data.consumeBoolean();
    String text = new String(data.consumeRemainingAsBytes(), StandardCharsets.ISO_8859_1);
    Dialect dialect = strict ? Dialect.FTRACE : Dialect.EVFILTER;
    ParsedFilter parsed;
    try {
      parsed = FilterParser.parseFilter("<fuzz>", text, dialect, PredicateChecker.NONE);
    } catch (FilterException expected) {
      return;
    }
    String canonical = parsed.toCanonicalString();
    ParsedFilter again = FilterParser.parseFilter("<canonical>", canonical, dialect, PredicateChecker.NONE);
    assertEquals(parsed.expression(), again.expression(), canonical);
    assertEquals(canonical, again.toCanonicalString());
  }

  @FuzzTest(maxDuration = "60s")
  void policies(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    Policy policy;
    try {
      policy = FilterParser.parsePolicy("<fuzz>", text);
    } catch (FilterException expected) {
      return;
    }
    String canonical = policy.toCanonicalString();
    assertEquals(canonical, FilterParser.parsePolicy("<canonical>", canonical).toCanonicalString());
  }
}
