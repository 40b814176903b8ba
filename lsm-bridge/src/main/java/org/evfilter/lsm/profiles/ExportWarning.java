package org.evfilter.lsm.profiles;

import java.util.List;
import java.util.Objects;
import org.evfilter.grammar.ast.Operator;

/**
 * What an exported profile says differently from the policy, as data for the CLI to render: the
 * exporter writes the nearest comparison the format has and says where, rather than refuse.
 */
public sealed interface ExportWarning {
  /**
   * A narrow argument compared whole with an ordered or {@code !=} comparison, written as
   * libseccomp's comparison of the whole 64-bit register, as Docker's profile writes it (and as
   * {@code import} reads it back to this rule). The two differ only on a call that sets the
   * register's bits above the argument, which the kernel ignores.
   *
   * @param origin the rule's position ({@code docker.evf:5:1})
   * @param action the rule's action keyword ({@code allow})
   * @param syscall the syscall the entry is for
   * @param index the argument's position, 0..5
   * @param argument the argument's name in the syscall table ({@code family}), or {@code argN}
   * @param bytes the argument's width: the policy compares these low bytes
   * @param operator the policy's comparison
   * @param value the policy's operand, within {@code bytes}
   * @param written the {@code SCMP_CMP_*} operator written on {@code value}
   * @param matchesMore whether the written comparison holds for every call with the high bits
   *     set ({@code >}, {@code >=}, {@code !=}), else it holds for none ({@code <}, {@code <=})
   * @param loosens whether that gives such a call a less restrictive action than the policy
   *     would: more calls match a rule that lets more through than the default, or fewer match
   *     one that lets less through
   */
  record WholeArgumentWidened(String origin, String action, String syscall, int index, String argument, int bytes,
      Operator operator, long value, String written, boolean matchesMore, boolean loosens) implements ExportWarning {
    public WholeArgumentWidened {
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(syscall, "syscall");
      Objects.requireNonNull(argument, "argument");
      Objects.requireNonNull(operator, "operator");
      Objects.requireNonNull(written, "written");
    }
  }

  /**
   * A rule whose filter reads labels or strings, which the format cannot carry: its syscall's
   * entry sends the call to the notification listener instead.
   */
  record SentToListener(String origin, String syscall) implements ExportWarning {
    public SentToListener {
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(syscall, "syscall");
    }
  }

  /**
   * Syscalls with rules of different actions, where libseccomp does not say which wins when they
   * overlap (evfilter: the most restrictive).
   */
  record ActionsOverlap(List<String> syscalls) implements ExportWarning {
    public ActionsOverlap {
      syscalls = List.copyOf(syscalls);
    }
  }

  /**
   * The profile sends {@code syscalls} to a notification listener ({@code SCMP_ACT_NOTIFY}) but
   * names none ({@code listenerPath}): a runtime has no agent to hand the listener to (runc refuses
   * to run it: "listenerPath is not set").
   */
  record NoListener(List<String> syscalls) implements ExportWarning {
    public NoListener {
      syscalls = List.copyOf(syscalls);
    }
  }
}
