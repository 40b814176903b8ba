package org.evfilter.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ErrorNode;
import org.antlr.v4.runtime.tree.ParseTreeListener;
import org.antlr.v4.runtime.tree.ParseTreeProperty;
import org.antlr.v4.runtime.tree.TerminalNode;
import org.evfilter.grammar.antlr.EvFilterLexer;
import org.evfilter.grammar.antlr.EvFilterParser;
import org.evfilter.grammar.ast.And;
import org.evfilter.grammar.ast.Comparison;
import org.evfilter.grammar.ast.Expression;
import org.evfilter.grammar.ast.FieldRef;
import org.evfilter.grammar.ast.MaskedComparison;
import org.evfilter.grammar.ast.Membership;
import org.evfilter.grammar.ast.Not;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.ast.Or;
import org.evfilter.grammar.ast.Position;
import org.evfilter.grammar.ast.Value;
import org.evfilter.grammar.policy.Action;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.grammar.policy.Name;
import org.evfilter.grammar.policy.Policy;
import org.evfilter.grammar.policy.Statement;

/**
 * Builds the AST while the parser runs (a parse listener), one case per labelled alternative, so
 * that each predicate is handed to the {@link PredicateChecker} before the parser reads past it.
 * {@code a || b || c} and nested groups of the same operator become one n-ary node.
 */
final class AstBuilder implements ParseTreeListener {
  private static final List<String> DIRECTIVES = List.of("default", "label", "labels", "include");

  private final EvFilterParser parser;
  private final SourceText source;
  private final PredicateChecker checker;
  private final boolean strict;
  private final boolean policy;
  private final ParseTreeProperty<Object> nodes = new ParseTreeProperty<>();
  private FieldRef pendingField;
  // Set once the parse has failed: the generated rules still exit (in 'finally') on their way out.
  private boolean aborted;

  AstBuilder(EvFilterParser parser, SourceText source, PredicateChecker checker, boolean strict, boolean policy) {
    this.policy = policy;
    this.parser = parser;
    this.source = source;
    this.checker = checker;
    this.strict = strict;
  }

  Object get(ParserRuleContext ctx) {
    return nodes.get(ctx);
  }

  /** Stops building: the parse failed and its exception is on its way out. */
  void abort() {
    aborted = true;
  }

  @Override
  public void visitTerminal(TerminalNode node) {
    if (aborted) {
      return;
    }
    Token t = node.getSymbol();
    if (t.getType() == EvFilterLexer.IN && strict && node.getParent() instanceof EvFilterParser.MembershipContext) {
      aborted = true;
      throw fail(ErrorCode.INVALID_OP, t.getStartIndex() + 1,
          "'in' sets are an evfilter extension, not ftrace syntax");
    }
    if (t.getType() == EvFilterLexer.FIELD && node.getParent() instanceof EvFilterParser.PredicateContext) {
      pendingField = fieldRef(t);
      try {
        checker.field(pendingField, source);
      } catch (RuntimeException e) {
        aborted = true;
        throw e;
      }
    }
  }

  @Override
  public void visitErrorNode(ErrorNode node) {}

  @Override
  public void enterEveryRule(ParserRuleContext ctx) {}

  @Override
  public void exitEveryRule(ParserRuleContext ctx) {
    if (aborted) {
      return;
    }
    Object node;
    try {
      node = build(ctx);
    } catch (RuntimeException e) {
      aborted = true;
      throw e;
    }
    if (node != null) {
      nodes.put(ctx, node);
    }
  }

  // One case per labelled alternative or rule; rules that build nothing of their own (operator,
  // value, setElement, ...) are read by their parents.
  private Object build(ParserRuleContext ctx) {
    if (ctx instanceof EvFilterParser.ComparisonContext c) {
      return comparison(c);
    }
    if (ctx instanceof EvFilterParser.MembershipContext m) {
      return membership(m);
    }
    if (ctx instanceof EvFilterParser.PredicateContext p) {
      return nodes.get(p.relation());
    }
    if (ctx instanceof EvFilterParser.GroupContext g) {
      return group(g);
    }
    if (ctx instanceof EvFilterParser.AtomContext a) {
      return nodes.get(a.predicate());
    }
    if (ctx instanceof EvFilterParser.FactorContext f) {
      return factor(f);
    }
    if (ctx instanceof EvFilterParser.TermContext t) {
      List<Expression> operands = flatten(t.factors, And.class);
      return operands.size() == 1 ? operands.get(0) : new And(operands, operands.get(0).position());
    }
    if (ctx instanceof EvFilterParser.ExpressionContext e) {
      List<Expression> operands = flatten(e.terms, Or.class);
      return operands.size() == 1 ? operands.get(0) : new Or(operands, operands.get(0).position());
    }
    if (ctx instanceof EvFilterParser.FilterContext f) {
      return filter(f);
    }
    if (ctx instanceof EvFilterParser.StatementContext s) {
      return statement(s);
    }
    if (ctx instanceof EvFilterParser.PolicyContext p) {
      return new Policy(
          p.statements.stream().map(s -> (Statement) nodes.get(s)).collect(Collectors.toList()),
          source);
    }
    return null;
  }

  private Comparison comparison(EvFilterParser.ComparisonContext c) {
    Comparison cmp =
        new Comparison(pendingField, operator(c.op), pos(c.op.start), value(c.value(), c.op));
    checker.predicate(cmp, source);
    return cmp;
  }

  private Membership membership(EvFilterParser.MembershipContext m) {
    List<Membership.Element> elements = new ArrayList<>();
    for (EvFilterParser.SetElementContext e : m.elements) {
      elements.add(new Membership.Element(setValue(e.low),
          Optional.ofNullable(e.high).map(this::setValue)));
    }
    Membership membership = new Membership(pendingField, pos(m.IN().getSymbol()), elements);
    checker.predicate(membership, source);
    return membership;
  }

  private Expression group(EvFilterParser.GroupContext g) {
    Expression inner = (Expression) nodes.get(g.expression());
    if (g.op == null) {
      return inner;
    }
    if (strict) {
      throw fail(ErrorCode.TOO_MANY_PREDS, g.op.start.getStartIndex(),
          "masked comparisons '(field & mask) == value' are an evfilter extension");
    }
    if (!(inner instanceof Comparison mask) || mask.operator() != Operator.BAND) {
      throw fail(ErrorCode.INVALID_MASK, g.start.getStartIndex(),
          "only '(field & MASK) " + g.op.getText() + " VALUE' can be compared; this group is not"
              + " a single '&' predicate");
    }
    MaskedComparison masked = new MaskedComparison(
        mask, operator(g.op), pos(g.op.start), value(g.value(), g.op), pos(g.start));
    checker.predicate(masked, source);
    return masked;
  }

  private Expression factor(EvFilterParser.FactorContext f) {
    Expression e = (Expression) nodes.get(f.primary());
    // '!!' cancels, as in the kernel, where each '!' toggles one inversion flag; so does
    // '!(!x)', so that the canonical text reads back to the same tree.
    if (f.nots.size() % 2 == 0) {
      return e;
    }
    return e instanceof Not inner ? inner.operand() : new Not(e, pos(f.nots.get(0)));
  }

  private Object filter(EvFilterParser.FilterContext f) {
    if (f.trailer() != null) {
      // Kernels that let a filter end in '&&' or '||' read it as if the operator were absent;
      // current ones refuse it at the end of the filter, and so does evfilter.
      throw fail(ErrorCode.INVALID_FILTER, f.trailer().stop.getStopIndex() + 1,
          "the filter ends with '" + f.trailer().getChild(0).getText() + "': a predicate must follow it");
    }
    return nodes.get(f.expression());
  }

  private List<Expression> flatten(List<? extends ParserRuleContext> children, Class<?> kind) {
    List<Expression> out = new ArrayList<>();
    for (ParserRuleContext c : children) {
      Expression e = (Expression) nodes.get(c);
      if (kind == And.class && e instanceof And and) {
        out.addAll(and.operands());
      } else if (kind == Or.class && e instanceof Or or) {
        out.addAll(or.operands());
      } else {
        out.add(e);
      }
    }
    return out;
  }

  private Statement statement(EvFilterParser.StatementContext s) {
    Name head = name(s.head);
    Position at = head.position();
    Optional<Expression> body = Optional.ofNullable(s.body).map(b -> (Expression) nodes.get(b));
    switch (head.text()) {
      case "default" -> {
        noArgument(s, head);
        noBody(s, body, head);
        if (s.items.size() != 1 || !(s.items.get(0) instanceof EvFilterParser.NamedContext n)) {
          throw fail(ErrorCode.POLICY, endOf(s.head),
              "'default' takes one action, e.g. 'default errno(EPERM)'");
        }
        return new Statement.Default(action(n.word(), n.argument()), at);
      }
      case "include", "labels" -> {
        noArgument(s, head);
        noBody(s, body, head);
        if (s.items.size() != 1 || !(s.items.get(0) instanceof EvFilterParser.PathContext p)) {
          throw fail(ErrorCode.POLICY, endOf(s.head),
              "'" + head.text() + "' takes one quoted file name, e.g. " + head.text() + " \"file\"");
        }
        String path = p.QUOTED().getText();
        path = path.substring(1, path.length() - 1);
        return head.text().equals("include")
            ? new Statement.Include(path, at)
            : new Statement.LabelsFile(path, at);
      }
      case "label" -> {
        noArgument(s, head);
        noBody(s, body, head);
        List<Name> names = names(s, "a label name");
        if (names.isEmpty()) {
          throw fail(ErrorCode.POLICY, endOf(s.head), "'label' declares one or more names, e.g. 'label tmp_t, home_t'");
        }
        return new Statement.Labels(names, at);
      }
      default -> {
        Action action = action(s.head, s.headArg);
        return new Statement.Rule(action, names(s, "a syscall name"), body, at);
      }
    }
  }

  private List<Name> names(EvFilterParser.StatementContext s, String what) {
    List<Name> names = new ArrayList<>();
    for (EvFilterParser.ItemContext item : s.items) {
      if (!(item instanceof EvFilterParser.NamedContext n) || n.argument() != null) {
        throw fail(ErrorCode.POLICY, item.start.getStartIndex(), "expected " + what + ", found '" + item.getText() + "'");
      }
      names.add(name(n.word()));
    }
    return names;
  }

  private Action action(EvFilterParser.WordContext word, EvFilterParser.ArgumentContext arg) {
    Name keyword = name(word);
    List<String> keywords = Arrays.stream(ActionKind.values()).map(ActionKind::keyword).toList();
    ActionKind kind = ActionKind.ofKeyword(keyword.text()).orElseThrow(() -> {
      List<String> known = new ArrayList<>(keywords);
      known.addAll(DIRECTIVES);
      return fail(ErrorCode.POLICY, keyword.position().offset(),
          "unknown action or directive '" + keyword.text() + "'" + Spelling.hint(keyword.text(), known)
              + " (actions: " + String.join(", ", keywords) + ")");
    });
    Optional<Name> argument = Optional.ofNullable(arg).map(a -> name(a.word()));
    if (argument.isEmpty() && kind.argument() == ActionKind.Argument.REQUIRED) {
      throw fail(ErrorCode.POLICY, endOf(word),
          "'" + kind.keyword() + "' needs a value, e.g. " + kind.keyword() + "(EPERM)");
    }
    if (argument.isPresent() && kind.argument() == ActionKind.Argument.NONE) {
      throw fail(ErrorCode.POLICY, arg.start.getStartIndex(), "'" + kind.keyword() + "' takes no value");
    }
    return new Action(kind, argument, keyword);
  }

  private void noArgument(EvFilterParser.StatementContext s, Name head) {
    if (s.headArg != null) {
      throw fail(ErrorCode.POLICY, s.headArg.start.getStartIndex(), "'" + head.text() + "' takes no '(...)'");
    }
  }

  private void noBody(EvFilterParser.StatementContext s, Optional<Expression> body, Name head) {
    if (s.COLON() != null) {
      throw fail(ErrorCode.POLICY, s.COLON().getSymbol().getStartIndex(), "'" + head.text() + "' takes no filter");
    }
  }

  private Name name(EvFilterParser.WordContext w) {
    return new Name(w.getText(), pos(w.start));
  }

  private int endOf(ParserRuleContext ctx) {
    return ctx.stop.getStopIndex() + 1;
  }

  private FieldRef fieldRef(Token t) {
    String text = t.getText();
    boolean function = text.endsWith(".function");
    if (function) {
      text = text.substring(0, text.length() - ".function".length());
    }
    boolean ustring = text.endsWith(".ustring");
    if (ustring) {
      text = text.substring(0, text.length() - ".ustring".length());
    }
    return new FieldRef(text, ustring, function, pos(t));
  }

  private static Operator operator(EvFilterParser.OperatorContext op) {
    return switch (op.start.getType()) {
      case EvFilterLexer.GLOB -> Operator.GLOB;
      case EvFilterLexer.NE -> Operator.NE;
      case EvFilterLexer.EQ -> Operator.EQ;
      case EvFilterLexer.LE -> Operator.LE;
      case EvFilterLexer.LT -> Operator.LT;
      case EvFilterLexer.GE -> Operator.GE;
      case EvFilterLexer.GT -> Operator.GT;
      case EvFilterLexer.BAND -> Operator.BAND;
      default -> throw new IllegalStateException("not an operator: " + op.getText());
    };
  }

  private Value value(EvFilterParser.ValueContext v, EvFilterParser.OperatorContext op) {
    if (v == null) {
      // Nothing where a value was due: at the end, right after the operator; else where the next
      // token starts.
      Token next = parser.getCurrentToken();
      int at = next.getType() == Token.EOF ? op.stop.getStopIndex() + 1 : next.getStartIndex();
      if (policy) {
        // Only a single filter needs the kernel's order of errors; in a policy this is plainly wrong.
        throw fail(ErrorCode.INVALID_VALUE, op.stop.getStopIndex() + 1, "expected a value after the operator");
      }
      return new Value(Value.Kind.MISSING, "", (char) 0, pos(at));
    }
    Token t = v.start;
    Value.Kind kind = switch (t.getType()) {
      case EvFilterLexer.STRING -> Value.Kind.STRING;
      case EvFilterLexer.NUMBER -> Value.Kind.NUMBER;
      case EvFilterLexer.CPUS -> Value.Kind.CPUS;
      case EvFilterLexer.SYMBOL -> Value.Kind.SYMBOL;
      case EvFilterLexer.ADDRESS -> Value.Kind.ADDRESS;
      case EvFilterLexer.FUNCTION_NUMBER, EvFilterLexer.FUNCTION_SYMBOL -> Value.Kind.FUNCTION;
      default -> Value.Kind.INVALID;
    };
    return token(kind, t);
  }

  private Value setValue(EvFilterParser.SetValueContext v) {
    Token t = v.start;
    Value.Kind kind = switch (t.getType()) {
      case EvFilterLexer.S_STRING -> Value.Kind.STRING;
      case EvFilterLexer.S_NUMBER -> Value.Kind.NUMBER;
      case EvFilterLexer.S_ADDRESS -> Value.Kind.ADDRESS;
      default -> Value.Kind.SYMBOL;
    };
    return token(kind, t);
  }

  private Value token(Value.Kind kind, Token t) {
    String text = t.getText();
    if (kind == Value.Kind.STRING) {
      return new Value(kind, text.substring(1, text.length() - 1), text.charAt(0), pos(t));
    }
    return new Value(kind, text, (char) 0, pos(t));
  }

  private Position pos(Token t) {
    return pos(t.getStartIndex());
  }

  private Position pos(int offset) {
    return new Position(offset, source.line(offset), source.column(offset));
  }

  private FilterException fail(ErrorCode code, int offset, String detail) {
    return new FilterException(FilterError.of(code, offset, detail), source);
  }
}
