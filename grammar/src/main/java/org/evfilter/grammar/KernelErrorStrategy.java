package org.evfilter.grammar;

import static org.evfilter.grammar.antlr.EvFilterLexer.*;

import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.evfilter.grammar.antlr.EvFilterParser;

/**
 * Stops at the first syntax error (no recovery, so errors are exact) and says it as the kernel's
 * filter parser would. The kernel's state at a failure is fixed by the token before it: after
 * {@code (}, {@code !}, {@code &&}, {@code ||} it wants a field; after a field an operator; after a
 * value or {@code )} only {@code &&}, {@code ||}, {@code )} or the end.
 */
final class KernelErrorStrategy extends DefaultErrorStrategy {
  private final SourceText source;
  private final TokenStream tokens;
  private final AstBuilder builder;

  KernelErrorStrategy(SourceText source, TokenStream tokens, AstBuilder builder) {
    this.source = source;
    this.tokens = tokens;
    this.builder = builder;
  }

  @Override
  public void reportError(Parser recognizer, RecognitionException e) {
    // Reported by recover(), which throws.
  }

  @Override
  public void recover(Parser recognizer, RecognitionException e) {
    Token offending = e.getOffendingToken() != null ? e.getOffendingToken() : recognizer.getCurrentToken();
    builder.abort();
    throw new FilterException(classify(recognizer, offending), source);
  }

  @Override
  public Token recoverInline(Parser recognizer) {
    builder.abort();
    throw new FilterException(classify(recognizer, recognizer.getCurrentToken()), source);
  }

  @Override
  public void sync(Parser recognizer) {
    // No resynchronisation: the first error is the error.
  }

  private FilterError classify(Parser parser, Token offending) {
    Token previous = previous(offending);
    int prev = previous == null ? -1 : previous.getType();
    int at = offending.getType() == Token.EOF ? source.text().length() : offending.getStartIndex();
    String found = describe(offending);
    boolean inPolicy = isPolicy(parser.getContext());
    if (inPolicy && !inRuleBody(offending)) {
      return policyError(parser, prev, at, found);
    }
    switch (prev) {
      case -1, LPAREN, NOT, ANDAND, OROR, COLON:
        if (prev == NOT && !inPolicy && offending.getType() == Token.EOF && !sawField(offending)) {
          return FilterError.of(ErrorCode.NO_FILTER, at, "'!' must be followed by a predicate");
        }
        if (inPolicy && (offending.getType() == Token.EOF || offending.getType() == NEWLINE)) {
          return FilterError.of(ErrorCode.SYNTAX, at, "expected a predicate, found " + found);
        }
        return FilterError.of(
            ErrorCode.KERNEL_NO_MESSAGE,
            at,
            "expected a field name, '(' or '!', found " + found);
      case FIELD:
        if (offending.getType() == ANDAND) {
          // The kernel takes the first '&' as the operator and finds no value at the second.
          return FilterError.of(ErrorCode.INVALID_VALUE, at + 2,
              "'&&' after a field: the kernel reads '&' and then no value");
        }
        return FilterError.of(
            ErrorCode.INVALID_OP,
            at + 1,
            "expected one of ~ != == <= < >= > & after '" + previous.getText() + "', found " + found);
      case IN, LBRACE, S_COMMA, DOTDOT:
        return FilterError.of(
            ErrorCode.INVALID_SET,
            at,
            (prev == IN ? "expected '{'" : "expected a number, name or string") + ", found " + found);
      case S_NUMBER, S_SYMBOL, S_STRING:
        return FilterError.of(ErrorCode.INVALID_SET, at, "expected ',', '..' or '}', found " + found);
      default:
        if (offending.getType() == ANDAND || offending.getType() == OROR) {
          // The kernel takes the operator; what follows it (past any '!') is no predicate.
          Token next = nextAfterNots(offending);
          int nextAt = next.getType() == Token.EOF ? source.text().length() : next.getStartIndex();
          return FilterError.of(ErrorCode.KERNEL_NO_MESSAGE, nextAt,
              "expected a field name, '(' or '!' after '" + offending.getText() + "', found " + describe(next));
        }
        if (offending.getType() == Token.EOF) {
          // In a filter the kernel puts the caret past the end; in a policy, point at the '('.
          return FilterError.of(ErrorCode.TOO_MANY_OPEN, inPolicy ? unclosedParen(offending) : at + 1,
              "a '(' is never closed");
        }
        if (offending.getType() == RPAREN) {
          return FilterError.of(ErrorCode.TOO_MANY_CLOSE, at + 1, "this ')' closes nothing");
        }
        return FilterError.of(
            ErrorCode.TOO_MANY_PREDS,
            at,
            "expected '&&', '||', ')' or the end" + (inPolicy ? " of the line" : "") + ", found " + found);
    }
  }

  private FilterError policyError(Parser parser, int prev, int at, String found) {
    if (prev == -1 || prev == NEWLINE) {
      return FilterError.of(
          ErrorCode.POLICY,
          at,
          "expected a rule (ACTION [SYSCALLS] [: FILTER]) or a directive (default, label, labels,"
              + " include), found " + found);
    }
    if (prev == LPAREN) {
      return FilterError.of(ErrorCode.POLICY, at, "expected an argument such as EPERM or 13, found " + found);
    }
    if (prev == FIELD && parser.getContext() instanceof EvFilterParser.ArgumentContext) {
      return FilterError.of(ErrorCode.POLICY, at, "expected ')', found " + found);
    }
    if (prev == COMMA) {
      return FilterError.of(ErrorCode.POLICY, at, "expected a name after ',', found " + found);
    }
    return FilterError.of(
        ErrorCode.POLICY, at, "expected a name, ',', ':' or the end of the line, found " + found);
  }

  private int unclosedParen(Token from) {
    int depth = 0;
    for (int i = from.getTokenIndex() - 1; i >= 0; i--) {
      Token t = tokens.get(i);
      if (t.getType() == RPAREN) {
        depth++;
      } else if (t.getType() == LPAREN && depth-- == 0) {
        return t.getStartIndex();
      }
    }
    return source.text().length();
  }

  private Token nextAfterNots(Token from) {
    for (int i = from.getTokenIndex() + 1; ; i++) {
      Token t = tokens.get(i);
      if (t.getChannel() == Token.DEFAULT_CHANNEL && t.getType() != NOT) {
        return t;
      }
      if (t.getType() == Token.EOF) {
        return t;
      }
    }
  }

  private Token previous(Token offending) {
    for (int i = offending.getTokenIndex() - 1; i >= 0; i--) {
      Token t = tokens.get(i);
      if (t.getChannel() == Token.DEFAULT_CHANNEL) {
        return t;
      }
    }
    return null;
  }

  // Whether a field stands before the offending token: the kernel then has a predicate.
  private boolean sawField(Token offending) {
    for (int i = offending.getTokenIndex() - 1; i >= 0; i--) {
      int type = tokens.get(i).getType();
      if (type == FIELD) {
        return true;
      }
    }
    return false;
  }

  private static boolean isPolicy(ParserRuleContext ctx) {
    for (ParserRuleContext c = ctx; c != null; c = c.getParent()) {
      if (c instanceof EvFilterParser.PolicyContext) {
        return true;
      }
    }
    return false;
  }

  // In a policy, whether the offending token stands after the ':' of its statement.
  private boolean inRuleBody(Token offending) {
    for (int i = offending.getTokenIndex() - 1; i >= 0; i--) {
      Token t = tokens.get(i);
      if (t.getChannel() != Token.DEFAULT_CHANNEL) {
        continue;
      }
      if (t.getType() == COLON) {
        return true;
      }
      if (t.getType() == NEWLINE) {
        return false;
      }
    }
    return false;
  }

  private static String describe(Token t) {
    if (t.getType() == Token.EOF) {
      return "the end";
    }
    if (t.getType() == NEWLINE) {
      return "the end of the line";
    }
    return "'" + t.getText() + "'";
  }
}
