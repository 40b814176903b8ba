package org.evfilter.lsm.ebpf.lower;

import static org.evfilter.lsm.ebpf.Register.R0;
import static org.evfilter.lsm.ebpf.Register.R10;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.evfilter.events.net.Cidr;
import org.evfilter.events.schema.EventField;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.lsm.ebpf.AluOp;
import org.evfilter.lsm.ebpf.Assembler;
import org.evfilter.lsm.ebpf.Assembler.Label;
import org.evfilter.lsm.ebpf.JumpOp;
import org.evfilter.lsm.ebpf.Register;
import org.evfilter.lsm.ebpf.Size;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundExpression;
import org.evfilter.predicates.Glob;
import org.evfilter.predicates.eval.CompiledFilter;

/**
 * Lowers a bound filter to eBPF jumps: short-circuit, left to right, as the predicate engine's
 * {@code CompiledFilter} and the kernel's {@code predicate_parse()} evaluate it; each atom at its
 * field's width and signedness (the value cast as the kernel casts it, a signed field
 * sign-extended), masks applied first, sets as ranges, strings compared in a stack buffer. What a
 * field lives in is the {@link FieldSource}'s business, so the same lowering serves every program
 * type; what it cannot say is replaced and listed ({@link #replaced()}).
 *
 * <p>Registers: R6 holds the context throughout ({@link #CONTEXT}: the caller moves R1 there
 * first), R7 the field being tested, R8 a 64-bit constant; R9 is left to the caller. Strings use
 * the {@link #MAX_STRING} bytes below the frame pointer.
 */
public final class FilterLowering {
  /** Where the program keeps its context pointer. */
  public static final Register CONTEXT = Register.R6;
  /** The longest string compared: the kernel filter's {@code MAX_FILTER_STR_VAL}. */
  public static final int MAX_STRING = 256;
  /** The stack bytes the lowering uses, below R10; a caller's own stack slots go below them. */
  public static final int STACK = MAX_STRING;

  private static final Register VALUE = Register.R7;
  private static final Register CONSTANT = Register.R8;
  private static final int BUFFER = -MAX_STRING;

  private final Assembler a;
  private final FieldSource source;
  private final List<Replacement> replaced = new ArrayList<>();
  private Object origin;

  public FilterLowering(Assembler a, FieldSource source) {
    this.a = Objects.requireNonNull(a, "assembler");
    this.source = Objects.requireNonNull(source, "source");
  }

  /**
   * Emits code that goes to {@code onTrue} when {@code e} holds and to {@code onFalse} when not,
   * every instruction tagged with {@code origin} (the rule, so a verifier refusal names it).
   *
   * @param following the label the caller binds right after this code (one of the two, so the
   *     jump to it is left out), or null
   */
  public void branch(Object origin, BoundExpression e, Label onTrue, Label onFalse, Label following) {
    this.origin = Objects.requireNonNull(origin, "origin");
    a.origin(origin);
    emit(e, onTrue, onFalse, following, false);
  }

  /** The atoms replaced so far, in the order met. */
  public List<Replacement> replaced() {
    return List.copyOf(replaced);
  }

  // Code for e going to t when true, f when false; 'next' is the label bound right after it (a
  // jump there is left out), 'negated' whether an odd number of negations encloses it.
  private void emit(BoundExpression e, Label t, Label f, Label next, boolean negated) {
    if (e instanceof BoundExpression.Negation n) {
      emit(n.operand(), f, t, next, !negated);
    } else if (e instanceof BoundExpression.All all) {
      sequence(all.operands(), t, f, next, negated, true);
    } else if (e instanceof BoundExpression.Any any) {
      sequence(any.operands(), t, f, next, negated, false);
    } else {
      atom((Atom) e, t, f, next, negated);
    }
  }

  private void sequence(List<BoundExpression> operands, Label t, Label f, Label next, boolean negated, boolean all) {
    for (int i = 0; i < operands.size() - 1; i++) {
      Label then = a.label();
      emit(operands.get(i), all ? then : t, all ? f : then, then, negated);
      a.bind(then);
    }
    emit(operands.get(operands.size() - 1), t, f, next, negated);
  }

  private void atom(Atom atom, Label t, Label f, Label next, boolean negated) {
    Optional<String> why;
    if (atom instanceof Atom.Numeric n) {
      why = numeric(n, t, f, next);
    } else if (atom instanceof Atom.Member m) {
      why = member(m, t, f, next);
    } else if (atom instanceof Atom.Text x) {
      why = text(x, t, f, next);
    } else if (atom instanceof Atom.Network n) {
      why = network(n, t, f, next);
    } else if (atom instanceof Atom.Never) {
      constant(f, t, next); // the kernel's no-op predicate: false, even under '!='
      why = Optional.empty();
    } else if (atom instanceof Atom.Cpus) {
      why = Optional.of("CPU sets are not lowered");
    } else {
      why = Optional.of(".function needs the kernel's symbol addresses");
    }
    if (why.isPresent()) {
      replaced.add(new Replacement(origin, atom, why.get()));
      constant(negated ? t : f, negated ? f : t, next);
    }
  }

  private Optional<String> numeric(Atom.Numeric n, Label t, Label f, Label next) {
    EventField field = n.field();
    Optional<String> loaded = load(field);
    if (loaded.isPresent()) {
      return loaded;
    }
    if (n.mask() != -1L) {
      if (fitsImmediate(n.mask())) {
        a.alu64(AluOp.AND, VALUE, (int) n.mask());
      } else {
        a.ldImm64(CONSTANT, n.mask()).alu64(AluOp.AND, VALUE, CONSTANT);
      }
      // The loaded value is zero-extended and AND only clears bits: it stays so.
    }
    signExtend(field);
    long value = CompiledFilter.cast(n.value(), field.size(), field.signed());
    JumpOp op = switch (n.operator()) {
      case EQ -> JumpOp.JEQ;
      case NE -> JumpOp.JNE;
      case BAND -> JumpOp.JSET;
      case LT -> field.signed() ? JumpOp.JSLT : JumpOp.JLT;
      case LE -> field.signed() ? JumpOp.JSLE : JumpOp.JLE;
      case GT -> field.signed() ? JumpOp.JSGT : JumpOp.JGT;
      case GE -> field.signed() ? JumpOp.JSGE : JumpOp.JGE;
      case GLOB -> throw new IllegalStateException("'~' on a number is never bound");
    };
    compare(op, value, t, f, next);
    return Optional.empty();
  }

  private Optional<String> member(Atom.Member m, Label t, Label f, Label next) {
    EventField field = m.field();
    Optional<String> loaded = load(field);
    if (loaded.isPresent()) {
      return loaded;
    }
    signExtend(field);
    boolean signed = field.signed();
    for (long[] r : m.ranges()) {
      long lo = CompiledFilter.cast(r[0], field.size(), signed);
      long hi = CompiledFilter.cast(r[1], field.size(), signed);
      if (lo == hi) {
        jump(JumpOp.JEQ, lo, t);
        continue;
      }
      Label outside = a.label();
      jump(signed ? JumpOp.JSLT : JumpOp.JLT, lo, outside);
      jump(signed ? JumpOp.JSLE : JumpOp.JLE, hi, t);
      a.bind(outside);
    }
    goTo(f, next);
    return Optional.empty();
  }

  private Optional<String> text(Atom.Text x, Label t, Label f, Label next) {
    Glob g = x.pattern();
    if (g.type() != Glob.Type.FULL && g.type() != Glob.Type.FRONT) {
      return Optional.of("only exact and prefix string matches are lowered (this is a " + g.type().name().toLowerCase()
          + " match)");
    }
    Optional<FieldSource.TextLoad> load = source.text(x.field(), x.user());
    if (load.isEmpty()) {
      return Optional.of(x.field().name() + (x.user() ? ".ustring" : "") + " is not in this program's context");
    }
    byte[] literal = g.pattern().getBytes(StandardCharsets.ISO_8859_1);
    int area = Math.min(source.textArea(x.field(), x.user()), MAX_STRING);
    // An exact match compares the terminating NUL too, within the area the kernel compares.
    int length = Math.min(g.type() == Glob.Type.FULL ? literal.length + 1 : literal.length, area);
    byte[] expected = new byte[length];
    System.arraycopy(literal, 0, expected, 0, Math.min(literal.length, length));
    // The compared bytes are zeroed first: a short string leaves them defined (its NUL differs).
    for (int off = 0; off < length; off += 8) {
      a.st(Size.DW, R10, BUFFER + off, 0);
    }
    load.get().emit(a, CONTEXT, BUFFER, area);
    boolean invert = (x.operator() == Operator.NE) != g.negated();
    Label matched = invert ? f : t;
    Label unmatched = invert ? t : f;
    jumpRegister(JumpOp.JSLT, R0, 0, f); // unreadable: false before any inversion
    for (int off = 0; off < length; ) {
      int left = length - off;
      Size size = left >= 8 ? Size.DW : left >= 4 ? Size.W : left >= 2 ? Size.H : Size.B;
      long chunk = 0;
      for (int i = 0; i < size.bytes(); i++) {
        chunk |= (expected[off + i] & 0xffL) << (8 * i);
      }
      a.ldx(size, VALUE, R10, BUFFER + off);
      if (fitsImmediate(chunk)) {
        a.jump(JumpOp.JNE, VALUE, (int) chunk, unmatched);
      } else {
        a.ldImm64(CONSTANT, chunk).jump(JumpOp.JNE, VALUE, CONSTANT, unmatched);
      }
      off += size.bytes();
    }
    goTo(matched, next);
    return Optional.empty();
  }

  private Optional<String> network(Atom.Network n, Label t, Label f, Label next) {
    Optional<FieldSource.AddressLoad> load = source.address(n.field());
    if (load.isEmpty()) {
      return Optional.of(n.field().name() + " is not in this program's context");
    }
    if (load.get().words() == 0) {
      goTo(f, next); // no address: false both ways
      return Optional.empty();
    }
    Label inside = n.in() ? t : f;
    for (Cidr c : n.networks()) {
      AddressMatch.Outcome o = AddressMatch.outcome(load.get(), c);
      if (o == AddressMatch.Outcome.ALWAYS) {
        goTo(inside, next);
        return Optional.empty();
      }
      if (o == AddressMatch.Outcome.DEPENDS) {
        Label miss = a.label();
        AddressMatch.emit(a, load.get(), CONTEXT, VALUE, c, inside, miss);
        a.bind(miss);
      }
    }
    goTo(n.in() ? f : t, next);
    return Optional.empty();
  }

  // The field's value into VALUE, or why it cannot be.
  private Optional<String> load(EventField field) {
    Optional<FieldSource.NumberLoad> load = source.number(field);
    if (load.isEmpty()) {
      return Optional.of(field.name() + " is not in this program's context");
    }
    if (!field.comparableWidth()) {
      return Optional.of(field.name() + " has no comparable width");
    }
    load.get().emit(a, CONTEXT, VALUE);
    return Optional.empty();
  }

  private void signExtend(EventField field) {
    int shift = 64 - 8 * field.size();
    if (field.signed() && shift > 0) {
      a.alu64(AluOp.LSH, VALUE, shift).alu64(AluOp.ARSH, VALUE, shift);
    }
  }

  // if VALUE op value goto t, else f: the jump to whichever label follows is left out.
  private void compare(JumpOp op, long value, Label t, Label f, Label next) {
    Optional<JumpOp> inverse = inverse(op);
    if (next == t && inverse.isPresent()) {
      jump(inverse.get(), value, f);
      return;
    }
    jump(op, value, t);
    goTo(f, next);
  }

  private void jump(JumpOp op, long value, Label to) {
    jumpRegister(op, VALUE, value, to);
  }

  private void jumpRegister(JumpOp op, Register r, long value, Label to) {
    if (fitsImmediate(value)) {
      a.jump(op, r, (int) value, to);
    } else {
      a.ldImm64(CONSTANT, value).jump(op, r, CONSTANT, to);
    }
  }

  // An atom whose answer is known: a test of a known register, so that the code the other answer
  // leads to stays reachable for the verifier's CFG check (which refuses unreachable code), while
  // its value tracking sees the test always go to 'to'.
  private void constant(Label to, Label other, Label next) {
    a.mov(VALUE, 0).jump(JumpOp.JNE, VALUE, 0, other);
    goTo(to, next);
  }

  private void goTo(Label to, Label next) {
    if (to != next) {
      a.ja(to);
    }
  }

  private static Optional<JumpOp> inverse(JumpOp op) {
    return Optional.ofNullable(switch (op) {
      case JEQ -> JumpOp.JNE;
      case JNE -> JumpOp.JEQ;
      case JLT -> JumpOp.JGE;
      case JGE -> JumpOp.JLT;
      case JLE -> JumpOp.JGT;
      case JGT -> JumpOp.JLE;
      case JSLT -> JumpOp.JSGE;
      case JSGE -> JumpOp.JSLT;
      case JSLE -> JumpOp.JSGT;
      case JSGT -> JumpOp.JSLE;
      default -> null;
    });
  }

  // An immediate is sign-extended to 64 bits by the instruction.
  private static boolean fitsImmediate(long v) {
    return v == (int) v;
  }
}
