package org.evfilter.grammar.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.evfilter.grammar.SourceText;

/**
 * A parsed policy file: its statements in order (order never changes a decision; it only matters
 * for messages), and its source for positions.
 */
public record Policy(List<Statement> statements, SourceText source) {
  public Policy {
    statements = List.copyOf(statements);
    Objects.requireNonNull(source, "source");
  }

  /** The {@code default} statement, if the file has one. */
  public Optional<Statement.Default> defaultAction() {
    return statements.stream()
        .filter(Statement.Default.class::isInstance)
        .map(Statement.Default.class::cast)
        .findFirst();
  }

  /** The rules, in file order. */
  public List<Statement.Rule> rules() {
    return statements.stream()
        .filter(Statement.Rule.class::isInstance)
        .map(Statement.Rule.class::cast)
        .collect(Collectors.toList());
  }

  /** The canonical text: one statement per line, filters canonical. */
  public String toCanonicalString() {
    StringBuilder out = new StringBuilder();
    for (Statement s : statements) {
      if (s instanceof Statement.Default d) {
        out.append("default ").append(d.action());
      } else if (s instanceof Statement.Rule r) {
        out.append(r.action());
        if (!r.syscalls().isEmpty()) {
          out.append(' ')
              .append(r.syscalls().stream().map(Name::text).collect(Collectors.joining(", ")));
        }
        r.filter().ifPresent(f -> out.append(": ").append(f.toCanonicalString()));
      } else if (s instanceof Statement.Labels l) {
        out.append("label ")
            .append(l.names().stream().map(Name::text).collect(Collectors.joining(", ")));
      } else if (s instanceof Statement.LabelsFile l) {
        out.append("labels \"").append(l.path()).append('"');
      } else if (s instanceof Statement.Include i) {
        out.append("include \"").append(i.path()).append('"');
      }
      out.append('\n');
    }
    return out.toString();
  }
}
