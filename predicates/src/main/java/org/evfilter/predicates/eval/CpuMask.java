package org.evfilter.predicates.eval;

import java.util.BitSet;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.predicates.CpuList;

/**
 * The kernel's three comparisons of CPU sets ({@code do_filter_cpumask()},
 * {@code do_filter_scalar_cpumask()}, {@code do_filter_cpumask_scalar()}), for {@code CPUS{...}}
 * predicates evaluated in user space.
 */
final class CpuMask {
  private CpuMask() {}

  /** A cpumask field's value, written as a cpulist ({@code 0-1,3}), or null when it is none. */
  static BitSet of(String cpulist, int nrCpuIds) {
    return cpulist == null ? null : CpuList.parse(cpulist, nrCpuIds).orElse(null);
  }

  /** A scalar against a set of two or more CPUs: never equal to it, in it for {@code &}. */
  static boolean scalarMask(Operator op, int cpu, BitSet set, int nrCpuIds) {
    if (Integer.compareUnsigned(cpu, nrCpuIds) >= 0) {
      return false;
    }
    return switch (op) {
      case EQ -> false;
      case NE -> true;
      case BAND -> set.get(cpu);
      default -> false;
    };
  }

  /** A cpumask field against one CPU: equal when it is that CPU alone. */
  static boolean maskScalar(Operator op, BitSet mask, int cpu) {
    if (mask == null) {
      return false;
    }
    boolean alone = mask.get(cpu) && mask.cardinality() == 1;
    return switch (op) {
      case EQ -> alone;
      case NE -> !alone;
      case BAND -> mask.get(cpu);
      default -> false;
    };
  }

  /** A cpumask field against a set: equal, different, or intersecting. */
  static boolean maskMask(Operator op, BitSet mask, BitSet set) {
    if (mask == null) {
      return false;
    }
    return switch (op) {
      case EQ -> mask.equals(set);
      case NE -> !mask.equals(set);
      case BAND -> mask.intersects(set);
      default -> false;
    };
  }
}
