package org.evfilter.predicates;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.evfilter.events.net.Cidr;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FieldKind;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.ErrorCode;
import org.evfilter.grammar.FilterError;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.FilterParser;
import org.evfilter.grammar.ParsedFilter;
import org.evfilter.grammar.PredicateChecker;
import org.evfilter.grammar.SourceText;
import org.evfilter.grammar.Spelling;
import org.evfilter.grammar.ast.And;
import org.evfilter.grammar.ast.Comparison;
import org.evfilter.grammar.ast.Expression;
import org.evfilter.grammar.ast.FieldRef;
import org.evfilter.grammar.ast.MaskedComparison;
import org.evfilter.grammar.ast.Membership;
import org.evfilter.grammar.ast.Not;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.ast.Or;
import org.evfilter.grammar.ast.Value;

/**
 * Binds filters to an event schema: the kernel's {@code parse_pred()} checks, in its order and
 * with its error positions, producing typed {@link Atom}s. With no schema, only what does not
 * depend on field types is checked.
 *
 * <p>Kernel positions: most value errors are reported one past the offending character, as the
 * kernel's {@code pos + i} arithmetic puts them; {@link #at(int)} says so where it happens.
 */
public final class FilterBinder {
  /** The kernel's {@code MAX_FILTER_STR_VAL}: string literals must be shorter. */
  static final int MAX_STRING = 256;
  /** The kernel's {@code num_buf[24]}: number tokens must be shorter. */
  static final int MAX_NUMBER_TOKEN = 24;

  private static final String GLOB_ON_NUMBER = "'~' matches strings, not numbers";

  private final Optional<EventSchema> schema;
  private final Dialect dialect;
  private final KernelFacts facts;
  private final SymbolTable symbols;
  private final Map<String, Long> labels;

  private FilterBinder(
      Optional<EventSchema> schema,
      Dialect dialect,
      KernelFacts facts,
      SymbolTable symbols,
      Map<String, Long> labels) {
    this.schema = Objects.requireNonNull(schema, "schema");
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.facts = Objects.requireNonNull(facts, "facts");
    this.symbols = Objects.requireNonNull(symbols, "symbols");
    this.labels = Map.copyOf(labels);
  }

  /** A binder for one event's filters. */
  public static FilterBinder forEvent(EventSchema schema, Dialect dialect, KernelFacts facts) {
    return new FilterBinder(Optional.of(schema), dialect, facts, SymbolTable.x86_64(), Map.of());
  }

  /** A binder that checks syntax and values but knows no fields. */
  public static FilterBinder syntaxOnly(Dialect dialect, KernelFacts facts) {
    return new FilterBinder(Optional.empty(), dialect, facts, SymbolTable.x86_64(), Map.of());
  }

  /** This binder, with the syscall names and constant values of another arch. */
  public FilterBinder withSymbols(SymbolTable table) {
    return new FilterBinder(schema, dialect, facts, table, labels);
  }

  /** This binder, with label names ({@code tmp_t}) standing for their bits on the {@code label} field. */
  public FilterBinder withLabels(Map<String, Long> labelBits) {
    return new FilterBinder(schema, dialect, facts, symbols, labelBits);
  }

  /**
   * Parses and binds one filter.
   *
   * @param text the filter, one char per byte (see {@link FilterParser#kernelText(String)})
   * @throws FilterException with the kernel's error and position when it is refused
   */
  public BoundFilter bind(String sourceName, String text) {
    Checker checker = new Checker();
    ParsedFilter parsed = FilterParser.parseFilter(sourceName, text, dialect, checker);
    return new BoundFilter(parsed, schema, parsed.expression().map(checker::assemble));
  }

  /** Binds an already parsed expression (from a policy file), reporting errors against {@code source}. */
  public BoundExpression bind(Expression expression, SourceText source) {
    Checker checker = new Checker();
    checker.walk(expression, source);
    return checker.assemble(expression);
  }

  private final class Checker implements PredicateChecker {
    private final Map<Expression, BoundExpression> atoms = new IdentityHashMap<>();
    private final Map<FieldRef, EventField> fields = new IdentityHashMap<>();

    void walk(Expression e, SourceText source) {
      if (e instanceof Or or) {
        or.operands().forEach(o -> walk(o, source));
      } else if (e instanceof And and) {
        and.operands().forEach(o -> walk(o, source));
      } else if (e instanceof Not not) {
        walk(not.operand(), source);
      } else if (e instanceof MaskedComparison m) {
        field(m.mask().field(), source);
        predicate(m.mask(), source);
        predicate(m, source);
      } else if (e instanceof Comparison c) {
        field(c.field(), source);
        predicate(c, source);
      } else if (e instanceof Membership m) {
        field(m.field(), source);
        predicate(m, source);
      }
    }

    BoundExpression assemble(Expression e) {
      if (e instanceof Or or) {
        return new BoundExpression.Any(or.operands().stream().map(this::assemble).toList());
      }
      if (e instanceof And and) {
        return new BoundExpression.All(and.operands().stream().map(this::assemble).toList());
      }
      if (e instanceof Not not) {
        return new BoundExpression.Negation(assemble(not.operand()));
      }
      return Objects.requireNonNull(atoms.get(e), "unbound predicate");
    }

    @Override
    public void field(FieldRef ref, SourceText source) {
      if (schema.isEmpty()) {
        return;
      }
      EventField f = schema.get().field(ref.name()).orElseThrow(() -> fail(source,
          ErrorCode.FIELD_NOT_FOUND, at(ref.position().offset() + ref.name().length()),
          "'" + ref.name() + "' is not a field of " + schema.get().path()
              + Spelling.hint(ref.name(), schema.get().fieldNames()) + PolicySchemas.ruleHint(schema.get(), ref.name())));
      fields.put(ref, f);
    }

    @Override
    public void predicate(Expression p, SourceText source) {
      if (p instanceof Comparison c) {
        atoms.put(c, comparison(c, source));
      } else if (p instanceof Membership m) {
        atoms.put(m, membership(m, source));
      } else if (p instanceof MaskedComparison m) {
        atoms.put(m, masked(m, source));
      }
    }

    private EventField fieldOf(FieldRef ref, Value value) {
      EventField f = fields.get(ref);
      if (f != null) {
        return f;
      }
      // Syntax-only: a field of whatever type the value asks for (signed for a negative number).
      if (value.kind() == Value.Kind.ADDRESS) {
        return new EventField(ref.name(), "struct in6_addr", 0, 16, false, FieldKind.INET_ADDRESS);
      }
      boolean text = value.kind() == Value.Kind.STRING;
      boolean signed = value.text().startsWith("-");
      return new EventField(ref.name(), text ? "char *" : signed ? "s64" : "u64", 0, 8, signed,
          text ? FieldKind.PTR_STRING : FieldKind.NUMERIC);
    }

    private boolean typed() {
      return schema.isPresent();
    }

    private Atom comparison(Comparison c, SourceText src) {
      EventField field = fieldOf(c.field(), c.value());
      Operator op = c.operator();
      Value v = c.value();
      int vAt = v.position().offset();
      if (c.field().function()) {
        return function(c, field, src);
      }
      if (field.kind() == FieldKind.INET_ADDRESS) {
        return address(c, field, src);
      }
      if (v.kind() == Value.Kind.ADDRESS) {
        throw fail(src, ErrorCode.INVALID_VALUE, vAt, "'" + v.text() + "' is an address; '" + field.name()
            + "' is " + (field.kind().isString() ? "a string" : "a number") + " (only 'addr' takes addresses)");
      }
      switch (v.kind()) {
        case CPUS -> {
          return cpus(c, field, src);
        }
        case STRING -> {
          if (op != Operator.EQ && op != Operator.NE && op != Operator.GLOB) {
            throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, at(vAt), "strings compare only with ==, != and ~");
          }
          if (typed() && !field.kind().isString()) {
            throw fail(src, ErrorCode.EXPECT_DIGIT, at(vAt),
                "'" + field.name() + "' is a number (" + field.cType() + "), not a string");
          }
          if (v.text().length() >= MAX_STRING) {
            throw fail(src, ErrorCode.OPERAND_TOO_LONG, at(vAt + 1 + v.text().length()),
                "strings must be shorter than " + MAX_STRING + " bytes");
          }
          Glob pattern = op == Operator.GLOB ? Glob.parse(v.text()) : Glob.exact(v.text());
          return new Atom.Text(field, c.field().ustring(), op, pattern, v.text());
        }
        case NUMBER -> {
          if (typed() && field.kind().isString()) {
            throw fail(src, ErrorCode.EXPECT_STRING, at(vAt),
                "'" + field.name() + "' is a string; quote the value");
          }
          if (op == Operator.GLOB) {
            throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, at(vAt), GLOB_ON_NUMBER);
          }
          return numeric(field, op, fitting(field, number(field, v, src), v, src), -1L);
        }
        default -> {
          if (v.kind() == Value.Kind.SYMBOL && dialect == Dialect.EVFILTER && !field.kind().isString()) {
            if (op == Operator.GLOB) {
              throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, at(vAt), GLOB_ON_NUMBER);
            }
            return numeric(field, op, fitting(field, symbol(field, v, src), v, src), -1L);
          }
          // Nothing at all: the kernel's caret lands at the end (where its NUL is), not past it.
          int where = v.kind() == Value.Kind.MISSING ? vAt : at(vAt);
          throw fail(src, ErrorCode.INVALID_VALUE, where, invalidValueDetail(field, v));
        }
      }
    }

    private String invalidValueDetail(EventField field, Value v) {
      if (v.kind() == Value.Kind.MISSING) {
        return "expected a value after the operator";
      }
      if (v.kind() == Value.Kind.SYMBOL) {
        if (dialect == Dialect.FTRACE) {
          return "'" + v.text() + "' is a name; ftrace takes only numbers and quoted strings"
              + " (symbolic constants are an evfilter extension)";
        }
        return "'" + field.name() + "' is a string: write \"" + v.text() + "\"";
      }
      return "a value starts with a digit, '-', a quote or CPUS, not '" + v.text() + "'";
    }

    private Atom numeric(EventField field, Operator op, long value, long mask) {
      if (field.kind() == FieldKind.NUMERIC && !field.comparableWidth()) {
        return new Atom.Never(field, "the kernel cannot compare a " + field.size() + "-byte field");
      }
      if (field.kind() == FieldKind.STACKTRACE) {
        return new Atom.Never(field, "stacktrace predicates never match");
      }
      return new Atom.Numeric(field, op, value, mask & valueMask(field));
    }

    // The mask the field's comparisons apply first (socket()'s type without its flags), else all ones.
    private long valueMask(EventField field) {
      return schema.map(s -> PolicySchemas.valueMask(s, field)).orElse(-1L);
    }

    // A value for a socket field must fit it: 'port == 70000' is a typo, not port 4464.
    private long fitting(EventField field, long value, Value v, SourceText src) {
      if (PolicySchemas.socketField(field) && field.size() < 8 && (value < 0 || value >>> (8 * field.size()) != 0)) {
        throw fail(src, ErrorCode.VALUE_OUT_OF_RANGE, v.position().offset(), "'" + field.name() + "' holds "
            + 8 * field.size() + "-bit values (0 to " + ((1L << (8 * field.size())) - 1) + "), not " + v.text());
      }
      return value;
    }

    private Atom address(Comparison c, EventField field, SourceText src) {
      Value v = c.value();
      if (c.operator() != Operator.EQ && c.operator() != Operator.NE) {
        throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, c.operatorPosition().offset(),
            "addresses compare only with ==, != and 'in' (e.g. " + field.name() + " in {10.0.0.0/8})");
      }
      Cidr network = network(field, v, src);
      if (network.prefix() != 128) {
        throw fail(src, ErrorCode.INVALID_VALUE, v.position().offset(), "'" + v.text() + "' is a network; write "
            + field.name() + " in {" + v.text() + "} for an address in it");
      }
      return new Atom.Network(field, List.of(network), c.operator() == Operator.EQ);
    }

    // An address or network value, parsed; errors say what is wrong and where.
    private Cidr network(EventField field, Value v, SourceText src) {
      int at = v.position().offset();
      if (v.kind() != Value.Kind.ADDRESS) {
        String what = v.kind() == Value.Kind.STRING ? "write it without quotes" : "write e.g. 10.0.0.1, ::1 or 10.0.0.0/8";
        throw fail(src, v.kind() == Value.Kind.STRING ? ErrorCode.EXPECT_DIGIT : ErrorCode.INVALID_VALUE, at,
            "'" + field.name() + "' is an IP address, not '" + v.source() + "': " + what);
      }
      Cidr.Parsed parsed = Cidr.parse(v.text());
      int slash = v.text().indexOf('/');
      return parsed.cidr().orElseThrow(() -> switch (parsed.problem().orElseThrow()) {
        case ADDRESS -> fail(src, ErrorCode.INVALID_VALUE, at,
            "'" + (slash < 0 ? v.text() : v.text().substring(0, slash)) + "' is not an IPv4 or IPv6 address");
        case PREFIX -> fail(src, ErrorCode.VALUE_OUT_OF_RANGE, at + slash + 1,
            "the prefix length of " + v.text() + " must be a number from 0 to " + (v.text().indexOf(':') < 0 ? 32 : 128));
        case HOST_BITS -> fail(src, ErrorCode.INVALID_VALUE, at,
            "'" + v.text() + "' has bits set past its prefix; the network is " + hostBitsCleared(v.text()));
      });
    }

    private String hostBitsCleared(String text) {
      int slash = text.indexOf('/');
      boolean v4 = text.indexOf(':') < 0;
      int written = Integer.parseInt(text.substring(slash + 1));
      Cidr whole = Cidr.parse(text.substring(0, slash)).cidr().orElseThrow();
      return new Cidr(whole.network(), written + (v4 ? 96 : 0), v4).first() + "/" + written;
    }

    private long number(EventField field, Value v, SourceText src) {
      int vAt = v.position().offset();
      String token = v.text();
      if (dialect == Dialect.EVFILTER && token.length() > 1 && token.charAt(0) == '-'
          && Character.isLetter(token.charAt(1))) {
        // '-EPERM': a negated name, for return values (an extension).
        return -symbol(field, new Value(Value.Kind.SYMBOL, token.substring(1), (char) 0, v.position()), src);
      }
      if (token.length() >= MAX_NUMBER_TOKEN) {
        throw fail(src, ErrorCode.OPERAND_TOO_LONG, at(vAt + token.length()),
            "numbers must be shorter than " + MAX_NUMBER_TOKEN + " characters");
      }
      OptionalLong parsed = field.signed() ? KernelNumbers.parseSigned(token) : KernelNumbers.parseUnsigned(token);
      if (parsed.isEmpty()) {
        String why = !field.signed() && token.startsWith("-")
            ? "'" + field.name() + "' is unsigned; it takes no negative numbers"
            : "'" + token + "' is not " + (field.signed() ? "a signed" : "an unsigned")
                + " 64-bit number (decimal, 0x hex or 0 octal)";
        throw fail(src, ErrorCode.ILLEGAL_INTVAL, at(vAt), why);
      }
      return parsed.getAsLong();
    }

    private long symbol(EventField field, Value v, SourceText src) {
      String name = v.text();
      if (PolicySchemas.labelled(field.name())) {
        Long bit = labels.get(name);
        if (bit == null) {
          throw fail(src, ErrorCode.UNKNOWN_SYMBOL, v.position().offset(),
              "no label '" + name + "' is declared" + Spelling.hint(name, labels.keySet())
                  + " (declare it with 'label " + name + "' or a labels file)");
        }
        return bit;
      }
      if (isSyscallField(field)) {
        OptionalLong nr = symbols.syscall(name);
        if (nr.isPresent()) {
          return nr.getAsLong();
        }
      }
      OptionalLong c = symbols.constant(name);
      if (c.isPresent()) {
        return c.getAsLong();
      }
      List<String> known = new ArrayList<>(symbols.constantNames());
      if (isSyscallField(field)) {
        known.addAll(symbols.syscallNames());
      } else if (symbols.syscall(name).isPresent()) {
        throw fail(src, ErrorCode.UNKNOWN_SYMBOL, v.position().offset(),
            "'" + name + "' is a syscall name; only syscall-number fields (nr, __syscall_nr, id)"
                + " take syscall names");
      }
      throw fail(src, ErrorCode.UNKNOWN_SYMBOL, v.position().offset(),
          "no constant, errno or syscall is called '" + name + "'" + Spelling.hint(name, known));
    }

    private boolean isSyscallField(EventField field) {
      return switch (field.name()) {
        case "nr", "__syscall_nr", "id", "syscall" -> true;
        default -> false;
      };
    }

    private Atom function(Comparison c, EventField field, SourceText src) {
      Value v = c.value();
      int vAt = v.position().offset();
      if (typed() && field.size() != 8) {
        throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, at(vAt),
            ".function needs an 8-byte field; '" + field.name() + "' has " + field.size());
      }
      if (c.operator() != Operator.EQ && c.operator() != Operator.NE) {
        throw fail(src, ErrorCode.INVALID_OP, at(vAt), ".function compares only with == and !=");
      }
      String token = v.text();
      int end = vAt + token.length();
      Optional<KernelFacts.Extent> extent;
      if (!token.isEmpty() && token.charAt(0) >= '0' && token.charAt(0) <= '9') {
        if (token.length() >= MAX_NUMBER_TOKEN) {
          throw fail(src, ErrorCode.OPERAND_TOO_LONG, at(end),
              "addresses must be shorter than " + MAX_NUMBER_TOKEN + " characters");
        }
        OptionalLong address = KernelNumbers.parseUnsigned(token);
        if (address.isEmpty()) {
          throw fail(src, ErrorCode.INVALID_VALUE, at(end), "'" + token + "' is not an address");
        }
        extent = facts.containing(address.getAsLong());
      } else {
        extent = facts.function(token);
      }
      KernelFacts.Extent e = extent.orElseThrow(() -> fail(src, ErrorCode.NO_FUNCTION, at(end),
          "no kernel symbol '" + token + "' (from /proc/kallsyms)"));
      return new Atom.Function(field, c.operator() == Operator.EQ, e.start(), e.end());
    }

    private Atom cpus(Comparison c, EventField field, SourceText src) {
      Value v = c.value();
      int vAt = v.position().offset();
      if (typed() && field.kind() != FieldKind.CPUMASK && field.kind() != FieldKind.CPU
          && field.kind() != FieldKind.NUMERIC) {
        throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, at(vAt), "CPUS{...} needs a number, cpu or cpumask field");
      }
      Operator op = c.operator();
      if (op != Operator.EQ && op != Operator.NE && op != Operator.BAND) {
        throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, at(vAt), "CPUS{...} compares only with ==, != and &");
      }
      String token = v.text();
      if (token.length() < 5 || token.charAt(4) != '{') {
        throw fail(src, ErrorCode.MISSING_BRACE_OPEN, at(vAt + 5), "write CPUS{LIST}, '{' right after CPUS");
      }
      int close = token.indexOf('}');
      if (close < 0) {
        throw fail(src, ErrorCode.MISSING_BRACE_CLOSE, at(vAt + token.length()), "the cpulist is never closed");
      }
      String list = token.substring(5, close);
      if (list.isEmpty()) {
        throw fail(src, ErrorCode.INVALID_CPULIST, at(vAt + close), "the cpulist is empty");
      }
      BitSet cpus = CpuList.parse(list, facts.nrCpuIds()).orElseThrow(() -> fail(src,
          ErrorCode.INVALID_CPULIST, at(vAt + close),
          "'" + list + "' is not a cpulist of CPUs 0.." + (facts.nrCpuIds() - 1)
              + " (e.g. 0,2-3, all, 0-N:1/2)"));
      return new Atom.Cpus(field, op, cpus, facts.nrCpuIds());
    }

    private BoundExpression membership(Membership m, SourceText src) {
      EventField field = fieldOf(m.field(), m.elements().isEmpty() ? new Value(Value.Kind.NUMBER, "0", (char) 0, m.inPosition()) : m.elements().get(0).low());
      if (field.kind() == FieldKind.INET_ADDRESS) {
        return networks(m, field, src);
      }
      Atom probe = numeric(field, Operator.EQ, 0, -1L);
      if (probe instanceof Atom.Never never) {
        return never;
      }
      if (m.elements().isEmpty()) {
        throw fail(src, ErrorCode.INVALID_SET, m.inPosition().offset(), "the set is empty");
      }
      if (typed() && field.kind().isString()) {
        throw fail(src, ErrorCode.INVALID_SET, m.inPosition().offset(),
            "'in' sets hold numbers; '" + field.name() + "' is a string");
      }
      List<long[]> ranges = new ArrayList<>();
      for (Membership.Element e : m.elements()) {
        long low = fitting(field, setValue(field, e.low(), src), e.low(), src);
        long high = e.high().isPresent() ? fitting(field, setValue(field, e.high().get(), src), e.high().get(), src) : low;
        boolean ordered = field.signed() ? low <= high : Long.compareUnsigned(low, high) <= 0;
        if (!ordered) {
          throw fail(src, ErrorCode.INVALID_SET, e.low().position().offset(),
              "the range " + e.low().text() + ".." + e.high().get().text() + " is empty");
        }
        ranges.add(new long[] {low, high});
      }
      long mask = valueMask(field);
      if (mask == -1L) {
        return new Atom.Member(field, ranges);
      }
      // A masked field (socket()'s type): each range as masked comparisons, which BPF tests exactly.
      return new BoundExpression.Any(ranges.stream().<BoundExpression>map(r -> r[0] == r[1]
          ? numeric(field, Operator.EQ, r[0], -1L)
          : new BoundExpression.All(List.of(numeric(field, Operator.GE, r[0], -1L), numeric(field, Operator.LE, r[1], -1L)))).toList());
    }

    private Atom networks(Membership m, EventField field, SourceText src) {
      if (m.elements().isEmpty()) {
        throw fail(src, ErrorCode.INVALID_SET, m.inPosition().offset(), "the set is empty");
      }
      List<Cidr> networks = new ArrayList<>();
      for (Membership.Element e : m.elements()) {
        if (e.high().isPresent()) {
          throw fail(src, ErrorCode.INVALID_SET, e.low().position().offset(),
              "addresses are not ranges: write a network, e.g. 10.0.0.0/8");
        }
        networks.add(network(field, e.low(), src));
      }
      return new Atom.Network(field, networks, true);
    }

    private long setValue(EventField field, Value v, SourceText src) {
      return switch (v.kind()) {
        case NUMBER -> number(field, v, src);
        case SYMBOL -> symbol(field, v, src);
        default -> throw fail(src, ErrorCode.INVALID_SET, v.position().offset(), v.kind() == Value.Kind.ADDRESS
            ? "'" + v.text() + "' is an address; '" + field.name() + "' is a number (only 'addr' takes addresses)"
            : "sets hold numbers and names");
      };
    }

    private Atom masked(MaskedComparison m, SourceText src) {
      Atom inner = (Atom) atoms.get(m.mask());
      if (inner instanceof Atom.Never never) {
        return never;
      }
      if (!(inner instanceof Atom.Numeric mask)) {
        throw fail(src, ErrorCode.INVALID_MASK, m.position().offset(), "the mask must be a number or constant");
      }
      if (m.operator() == Operator.GLOB) {
        throw fail(src, ErrorCode.ILLEGAL_FIELD_OP, m.operatorPosition().offset(), GLOB_ON_NUMBER);
      }
      Value v = m.value();
      long value = switch (v.kind()) {
        case NUMBER -> number(mask.field(), v, src);
        case SYMBOL -> symbol(mask.field(), v, src);
        default -> throw fail(src, ErrorCode.INVALID_VALUE, at(v.position().offset()), invalidValueDetail(mask.field(), v));
      };
      return new Atom.Numeric(mask.field(), m.operator(), value, mask.value() & valueMask(mask.field()));
    }
  }

  /** The kernel's {@code pos + i}: one past the character at {@code offset}. */
  private static int at(int offset) {
    return offset + 1;
  }

  private static FilterException fail(SourceText src, ErrorCode code, int offset, String detail) {
    return new FilterException(FilterError.of(code, offset, detail), src);
  }
}
