package org.evfilter.lsm.ebpf.lower;

import static org.evfilter.lsm.ebpf.Register.R0;
import static org.evfilter.lsm.ebpf.Register.R1;
import static org.evfilter.lsm.ebpf.Register.R10;
import static org.evfilter.lsm.ebpf.Register.R2;
import static org.evfilter.lsm.ebpf.Register.R9;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.evfilter.lsm.ebpf.AluOp;
import org.evfilter.lsm.ebpf.Assembler;
import org.evfilter.lsm.ebpf.Assembler.Label;
import org.evfilter.lsm.ebpf.BpfMap;
import org.evfilter.lsm.ebpf.Helper;
import org.evfilter.lsm.ebpf.JumpOp;
import org.evfilter.lsm.ebpf.MapType;
import org.evfilter.lsm.ebpf.Program;
import org.evfilter.lsm.ebpf.Size;
import org.evfilter.predicates.BoundExpression;

/**
 * An observer program: it evaluates rules on each hit of its hook and counts, deciding nothing.
 * Counter 0 counts the events evaluated, counter {@code 1 + i} the events rule {@code i} matched;
 * with {@link Options#events} above zero, each event gets its own row ({@code 1 + event × rules +
 * i}), so a test can tell which event each rule matched (one task, one thread: the row number is
 * read and bumped without a lock). Each rule's code carries the rule as its origin.
 */
public final class CountingProgram {
  /** A rule: what it is (the origin its code is tagged with) and its filter (empty: every event). */
  public record Rule(Object origin, Optional<BoundExpression> filter) {
    public Rule {
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(filter, "filter");
    }
  }

  /**
   * How to evaluate: {@code firstMatch} stops at the first rule that matches (a policy's order, as
   * an event filter of {@code r1 || r2 || ...} does), else every rule is evaluated; {@code tgid}
   * counts one process's events only; {@code events} rows of per-event counts (0: totals).
   */
  public record Options(boolean firstMatch, OptionalInt tgid, int events) {
    public Options {
      Objects.requireNonNull(tgid, "tgid");
      if (events < 0) {
        throw new IllegalArgumentException("events " + events);
      }
    }
  }

  /** The program and the atoms it replaced. */
  public record Built(Program program, List<Replacement> replaced) {
    public Built {
      replaced = List.copyOf(replaced);
    }
  }

  // The u32 key of a map lookup, below the lowering's string buffer.
  private static final int KEY = -FilterLowering.STACK - 8;

  private CountingProgram() {}

  /** The number of counters {@code rules} rules need under {@code options}. */
  public static int counters(int rules, Options options) {
    return 1 + Math.max(1, options.events()) * rules;
  }

  /**
   * The program counting into {@code counters} (an array or per-CPU array of at least {@link
   * #counters} u64 values; per-event rows need a shared array).
   */
  public static Built build(List<Rule> rules, FieldSource source, BpfMap counters, Options options) {
    if (options.events() > 0 && counters.type() != MapType.ARRAY) {
      throw new IllegalArgumentException("per-event rows need a shared array, not a " + counters.type());
    }
    Assembler a = new Assembler();
    Label out = a.label("out");
    a.mov(FilterLowering.CONTEXT, R1);
    if (options.tgid().isPresent()) {
      a.call(Helper.GET_CURRENT_PID_TGID).alu64(AluOp.RSH, R0, 32).jump(JumpOp.JNE, R0, options.tgid().getAsInt(), out);
    }
    // Counter 0: the events; R9 the row of this event's rule counters.
    lookup(a, counters, 0, out);
    if (options.events() > 0) {
      a.ldx(Size.DW, R9, R0, 0);
      increment(a, counters);
      a.jump(JumpOp.JGE, R9, options.events(), out)
          .alu64(AluOp.MUL, R9, rules.size()).alu64(AluOp.ADD, R9, 1);
    } else {
      increment(a, counters);
      a.mov(R9, 1);
    }
    FilterLowering lowering = new FilterLowering(a, source);
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      Label matched = a.label("matched" + i);
      Label next = a.label("next" + i);
      if (r.filter().isPresent()) {
        lowering.branch(r.origin(), r.filter().get(), matched, next, matched);
      } else {
        a.origin(r.origin());
      }
      a.bind(matched).mov(R2, R9).alu64(AluOp.ADD, R2, i);
      a.stx(Size.W, R10, KEY, R2);
      lookupKeyOnStack(a, counters, next);
      increment(a, counters);
      if (options.firstMatch()) {
        a.ja(out);
      }
      a.bind(next);
    }
    a.noOrigin().bind(out).mov(R0, 0).exit();
    return new Built(a.assemble(), lowering.replaced());
  }

  private static void lookup(Assembler a, BpfMap counters, int key, Label missing) {
    a.st(Size.W, R10, KEY, key);
    lookupKeyOnStack(a, counters, missing);
  }

  // R0 = the value of the key at KEY, or to 'missing' when there is none.
  private static void lookupKeyOnStack(Assembler a, BpfMap counters, Label missing) {
    a.mov(R2, R10).alu64(AluOp.ADD, R2, KEY).ldMapFd(R1, counters.fd()).call(Helper.MAP_LOOKUP_ELEM)
        .jump(JumpOp.JEQ, R0, 0, missing);
  }

  // *R0 += 1: a CPU's own counter in a per-CPU array, an atomic add in a shared one.
  private static void increment(Assembler a, BpfMap counters) {
    if (counters.type().perCpu()) {
      a.ldx(Size.DW, R1, R0, 0).alu64(AluOp.ADD, R1, 1).stx(Size.DW, R0, 0, R1);
    } else {
      a.mov(R1, 1).atomicAdd(Size.DW, R0, 0, R1);
    }
  }
}
