package org.evfilter.grammar;

import java.util.Optional;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.evfilter.grammar.antlr.EvFilterLexer;
import org.evfilter.grammar.antlr.EvFilterParser;
import org.evfilter.grammar.ast.Expression;
import org.evfilter.grammar.policy.Policy;

/**
 * The parser of evfilter's languages: one method per input kind. Filters are read exactly as the
 * kernel's {@code trace_events_filter.c} reads them (same acceptances, same refusals, same error
 * positions), plus the {@link Dialect#EVFILTER} extensions; policy files are read as {@code *.evf}.
 *
 * <p>Text is taken as the kernel takes bytes: callers holding bytes decode them as ISO-8859-1 (see
 * {@link #kernelText(byte[])}), so that one char is one byte and columns are byte offsets.
 */
public final class FilterParser {
  /** The kernel refuses a write to an event's {@code filter} file of a page or more. */
  public static final int KERNEL_MAX_FILTER_BYTES = 4095;

  /** Deeper nesting than this is refused before parsing, in every dialect. */
  public static final int MAX_NESTING = 4096;

  /** The longest filter or policy evfilter reads (the kernel's own limit is 4095 bytes). */
  public static final int MAX_TEXT = 1 << 20;

  private FilterParser() {}

  /** Bytes as the kernel sees them: one char per byte. */
  public static String kernelText(byte[] bytes) {
    return new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** A Java string (e.g. a command-line argument) as the kernel would receive it, in UTF-8. */
  public static String kernelText(String javaString) {
    return kernelText(javaString.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Parses one filter, calling {@code checker} on each field and predicate as the kernel's parser
   * reaches it.
   *
   * @param sourceName where the filter comes from, for messages
   * @param text the filter, one char per byte
   * @throws FilterException with the kernel's error and position when the filter is refused
   */
  public static ParsedFilter parseFilter(
      String sourceName, String text, Dialect dialect, PredicateChecker checker) {
    boolean strict = dialect == Dialect.FTRACE;
    int nul = text.indexOf('\0');
    if (nul >= 0) {
      if (!strict) {
        throw new FilterException(
            FilterError.of(ErrorCode.SYNTAX, nul, "NUL byte in a filter"),
            new SourceText(sourceName, text));
      }
      // The kernel reads a C string: a NUL ends the filter.
      text = text.substring(0, nul);
    }
    if (text.length() > MAX_TEXT) {
      throw new FilterException(
          FilterError.of(ErrorCode.EXPRESSION_TOO_LARGE, 0,
              text.length() + " bytes; evfilter reads filters of at most " + MAX_TEXT),
          new SourceText(sourceName, text.substring(0, 80)));
    }
    if (strict && text.length() > KERNEL_MAX_FILTER_BYTES) {
      throw new FilterException(
          FilterError.of(
              ErrorCode.FILTER_TOO_LONG,
              0,
              text.length() + " bytes; the kernel takes at most " + KERNEL_MAX_FILTER_BYTES),
          new SourceText(sourceName, text));
    }
    // The kernel strips trailing whitespace; leading whitespace stays and counts in positions.
    int end = text.length();
    while (end > 0 && KernelPrescan.isSpace(text.charAt(end - 1))) {
      end--;
    }
    text = text.substring(0, end);
    SourceText source = new SourceText(sourceName, text);
    int start = 0;
    while (start < text.length() && KernelPrescan.isSpace(text.charAt(start))) {
      start++;
    }
    if (text.substring(start).equals("0")) {
      return new ParsedFilter(source, Optional.empty());
    }
    KernelPrescan.Result pre = KernelPrescan.scan(text, !strict);
    if (pre.error().isPresent()) {
      throw new FilterException(pre.error().get(), source);
    }
    if (pre.maxDepth() > MAX_NESTING) {
      throw tooLarge(source, "nesting is " + pre.maxDepth() + " deep; the limit is " + MAX_NESTING);
    }
    if (!pre.hasPredicate()) {
      throw new FilterException(
          FilterError.of(ErrorCode.KERNEL_NO_MESSAGE, 0, "the filter has no predicate"), source);
    }
    String input = text;
    return DeepStack.call(pre.maxDepth(), () -> {
      EvFilterParser parser = parser(input, false, !strict, source, checker, strict);
      try {
        EvFilterParser.FilterContext ctx = parser.filter();
        return new ParsedFilter(source, Optional.of((Expression) builderOf(parser).get(ctx)));
      } catch (StackOverflowError e) {
        throw tooLarge(source, "the expression is nested too deeply for this thread's stack");
      }
    });
  }

  /**
   * Parses a policy file ({@code *.evf}). Filters in rules are read in the {@link
   * Dialect#EVFILTER} dialect; they are bound to their events later.
   *
   * @throws FilterException naming the line and column of the first error
   */
  public static Policy parsePolicy(String sourceName, String text) {
    if (text.length() > 16 * MAX_TEXT) {
      throw new FilterException(
          FilterError.of(ErrorCode.EXPRESSION_TOO_LARGE, 0,
              text.length() + " bytes; evfilter reads policies of at most " + 16 * MAX_TEXT),
          new SourceText(sourceName, text.substring(0, 80)));
    }
    SourceText source = new SourceText(sourceName, text);
    int depth = PolicyPrescan.check(source, MAX_NESTING);
    return DeepStack.call(depth, () -> {
      EvFilterParser parser = parser(text, true, true, source, PredicateChecker.NONE, false);
      try {
        EvFilterParser.PolicyContext ctx = parser.policy();
        return (Policy) builderOf(parser).get(ctx);
      } catch (StackOverflowError e) {
        throw tooLarge(source, "a rule's filter is nested too deeply for this thread's stack");
      }
    });
  }

  private static EvFilterParser parser(
      String text,
      boolean policy,
      boolean comments,
      SourceText source,
      PredicateChecker checker,
      boolean strict) {
    EvFilterLexer lexer = new EvFilterLexer(CharStreams.fromString(text, source.name()));
    lexer.policyMode = policy;
    lexer.comments = comments;
    lexer.removeErrorListeners();
    CommonTokenStream tokens = new CommonTokenStream(lexer);
    EvFilterParser parser = new EvFilterParser(tokens);
    parser.removeErrorListeners();
    parser.getInterpreter().setPredictionMode(PredictionMode.LL);
    AstBuilder builder = new AstBuilder(parser, source, checker, strict, policy);
    parser.setErrorHandler(new KernelErrorStrategy(source, tokens, builder));
    parser.addParseListener(builder);
    return parser;
  }

  private static AstBuilder builderOf(EvFilterParser parser) {
    return (AstBuilder) parser.getParseListeners().get(0);
  }

  private static FilterException tooLarge(SourceText source, String detail) {
    return new FilterException(FilterError.of(ErrorCode.EXPRESSION_TOO_LARGE, 0, detail), source);
  }
}
