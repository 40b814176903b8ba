package org.evfilter.grammar.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.evfilter.grammar.ast.Expression;
import org.evfilter.grammar.ast.Position;

/** One line of a policy file. */
public sealed interface Statement {
  /** Where the statement starts. */
  Position position();

  /** {@code default ACTION}: what happens to an event no rule matches. */
  record Default(Action action, Position position) implements Statement {
    public Default {
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(position, "position");
    }
  }

  /**
   * {@code ACTION [SYSCALL, ...] [: FILTER]}: the action for events of those syscalls (all, when
   * none is named) that match the filter (all, when there is none).
   */
  record Rule(Action action, List<Name> syscalls, Optional<Expression> filter, Position position)
      implements Statement {
    public Rule {
      Objects.requireNonNull(action, "action");
      syscalls = List.copyOf(syscalls);
      Objects.requireNonNull(filter, "filter");
      Objects.requireNonNull(position, "position");
    }
  }

  /** {@code label NAME, ...}: declares labels, each a bit of an object's label set. */
  record Labels(List<Name> names, Position position) implements Statement {
    public Labels {
      names = List.copyOf(names);
      Objects.requireNonNull(position, "position");
    }
  }

  /** {@code labels "FILE"}: label rules in SELinux file_contexts syntax; declares their labels. */
  record LabelsFile(String path, Position position) implements Statement {
    public LabelsFile {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(position, "position");
    }
  }

  /** {@code include "FILE.evf"}: the rules of another policy, relative to this file. */
  record Include(String path, Position position) implements Statement {
    public Include {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(position, "position");
    }
  }
}
