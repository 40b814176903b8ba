package org.evfilter.grammar;

import java.util.Optional;
import java.util.function.Function;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;
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
      Input in = new Input(input, false, !strict, source, checker, strict);
      try {
        return new ParsedFilter(source, Optional.of((Expression) parse(in, EvFilterParser::filter)));
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
      Input in = new Input(text, true, true, source, PredicateChecker.NONE, false);
      try {
        return (Policy) parse(in, EvFilterParser::policy);
      } catch (StackOverflowError e) {
        throw tooLarge(source, "a rule's filter is nested too deeply for this thread's stack");
      }
    });
  }

  /** What one parse reads and how: the text, the lexer's modes and the builder's settings. */
  private record Input(
      String text,
      boolean policy,
      boolean comments,
      SourceText source,
      PredicateChecker checker,
      boolean strict) {}

  /**
   * Runs {@code rule} with SLL prediction and no error recovery, which is cheaper and enough for
   * almost every input; if that fails, parses the same tokens again from the start with full LL
   * and the kernel's error strategy. Every syntax error is therefore found and worded by the LL
   * parse, exactly as by a single LL parse. Errors the builder throws during the SLL parse stand:
   * it reads the tokens in the same order, so the LL parse would stop at the same place.
   */
  private static Object parse(Input in, Function<EvFilterParser, ParserRuleContext> rule) {
    EvFilterLexer lexer = new EvFilterLexer(CharStreams.fromString(in.text(), in.source().name()));
    lexer.policyMode = in.policy();
    lexer.comments = in.comments();
    lexer.addresses = !in.strict();
    lexer.removeErrorListeners();
    CommonTokenStream tokens = new CommonTokenStream(lexer);
    EvFilterParser fast = parser(in, tokens, PredictionMode.SLL);
    AstBuilder fastBuilder = builderOf(fast);
    fast.setErrorHandler(new Bail(fastBuilder));
    try {
      return fastBuilder.get(rule.apply(fast));
    } catch (ParseCancellationException e) {
      tokens.seek(0);
      EvFilterParser exact = parser(in, tokens, PredictionMode.LL);
      exact.setErrorHandler(new KernelErrorStrategy(in.source(), tokens, builderOf(exact)));
      return builderOf(exact).get(rule.apply(exact));
    }
  }

  private static EvFilterParser parser(Input in, CommonTokenStream tokens, PredictionMode mode) {
    EvFilterParser parser = new EvFilterParser(tokens);
    parser.removeErrorListeners();
    parser.getInterpreter().setPredictionMode(mode);
    parser.addParseListener(new AstBuilder(parser, in.source(), in.checker(), in.strict(), in.policy()));
    return parser;
  }

  private static AstBuilder builderOf(EvFilterParser parser) {
    return (AstBuilder) parser.getParseListeners().get(0);
  }

  /** Gives up at the first error of the SLL parse, stopping the builder that it abandons. */
  private static final class Bail extends BailErrorStrategy {
    private final AstBuilder builder;

    Bail(AstBuilder builder) {
      this.builder = builder;
    }

    @Override
    public void recover(Parser recognizer, RecognitionException e) {
      builder.abort();
      super.recover(recognizer, e);
    }

    @Override
    public Token recoverInline(Parser recognizer) {
      builder.abort();
      return super.recoverInline(recognizer);
    }
  }

  private static FilterException tooLarge(SourceText source, String detail) {
    return new FilterException(FilterError.of(ErrorCode.EXPRESSION_TOO_LARGE, 0, detail), source);
  }
}
