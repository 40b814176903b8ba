package org.evfilter.predicates;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.ErrorCode;
import org.evfilter.grammar.FilterError;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.FilterParser;
import org.evfilter.grammar.Spelling;
import org.evfilter.grammar.SourceText;
import org.evfilter.grammar.ast.Position;
import org.evfilter.grammar.policy.Action;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.grammar.policy.Name;
import org.evfilter.grammar.policy.Policy;
import org.evfilter.grammar.policy.Statement;

/**
 * Loads a policy file with its includes and labels files, and binds every rule: syscall names to
 * numbers, action arguments to values, filters to the fields of the syscalls they name. A policy
 * with no {@code default} statement denies with {@code kill_process}.
 */
public final class PolicyBinder {
  /** The default when the file sets none: deny. */
  public static final BoundPolicy.Verdict DEFAULT_DENY = new BoundPolicy.Verdict(ActionKind.KILL_PROCESS, 0);

  private static final int MAX_ERRNO = 4095;

  private final KernelFacts facts;
  private final SymbolTable symbols = SymbolTable.x86_64();
  private final Map<String, Long> labels = new LinkedHashMap<>();
  private final List<BoundPolicy.Rule> rules = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private final Deque<Path> including = new ArrayDeque<>();
  private BoundPolicy.Verdict defaultAction;
  private String defaultOrigin;

  private PolicyBinder(KernelFacts facts) {
    this.facts = facts;
  }

  /**
   * Loads and binds {@code file}.
   *
   * @throws FilterException for any error in the policy or a file it includes, with its position
   * @throws IOException when the top-level file cannot be read
   */
  public static BoundPolicy load(Path file, KernelFacts facts) throws IOException {
    String text = FilterParser.kernelText(Files.readAllBytes(file));
    PolicyBinder binder = new PolicyBinder(facts);
    binder.file(file, text);
    return new BoundPolicy(
        binder.defaultAction == null ? DEFAULT_DENY : binder.defaultAction,
        binder.rules,
        List.copyOf(binder.labels.keySet()),
        binder.warnings);
  }

  /** Binds policy text that includes nothing from disk (relative includes resolve against the working directory). */
  public static BoundPolicy bind(String name, String text, KernelFacts facts) {
    PolicyBinder binder = new PolicyBinder(facts);
    binder.file(Path.of(name), text);
    return new BoundPolicy(
        binder.defaultAction == null ? DEFAULT_DENY : binder.defaultAction,
        binder.rules,
        List.copyOf(binder.labels.keySet()),
        binder.warnings);
  }

  private void file(Path path, String text) {
    including.push(path.toAbsolutePath().normalize());
    Policy policy = FilterParser.parsePolicy(path.toString(), text);
    SourceText src = policy.source();
    // Labels first, wherever they are declared, so rules may use labels declared below them.
    for (Statement s : policy.statements()) {
      if (s instanceof Statement.Labels l) {
        l.names().forEach(n -> declare(n.text(), n.position(), src));
      } else if (s instanceof Statement.LabelsFile f) {
        labelsFile(path, f, src);
      } else if (s instanceof Statement.Include i) {
        include(path, i, src);
      }
    }
    for (Statement s : policy.statements()) {
      if (s instanceof Statement.Default d) {
        if (defaultAction != null) {
          throw fail(src, d.position(), "a second 'default'; the first is at " + defaultOrigin);
        }
        defaultAction = verdict(d.action(), src);
        defaultOrigin = "line " + d.position().line() + (including.size() > 1 ? " of " + path.getFileName() : "");
      } else if (s instanceof Statement.Rule r) {
        rule(r, src);
      }
    }
    including.pop();
  }

  private void rule(Statement.Rule r, SourceText src) {
    BoundPolicy.Verdict verdict = verdict(r.action(), src);
    Set<Integer> numbers = new LinkedHashSet<>();
    for (Name n : r.syscalls()) {
      OptionalLong nr = symbols.syscall(n.text());
      if (nr.isEmpty()) {
        throw new FilterException(FilterError.of(ErrorCode.UNKNOWN_SYMBOL, n.position().offset(),
            "no x86_64 syscall is called '" + n.text() + "'" + Spelling.hint(n.text(), symbols.syscallNames())), src);
      }
      numbers.add((int) nr.getAsLong());
    }
    Optional<BoundExpression> filter = Optional.empty();
    if (r.filter().isPresent()) {
      // A rule's filter must make sense for every syscall it names.
      List<Optional<String>> targets = new ArrayList<>();
      if (r.syscalls().isEmpty()) {
        targets.add(Optional.empty());
      } else {
        r.syscalls().forEach(n -> targets.add(Optional.of(n.text())));
      }
      for (Optional<String> target : targets) {
        FilterBinder binder = FilterBinder.forEvent(PolicySchemas.of(target), Dialect.EVFILTER, facts).withLabels(labels);
        BoundExpression bound = binder.bind(r.filter().get(), src);
        filter = filter.isEmpty() ? Optional.of(bound) : filter;
      }
    }
    rules.add(new BoundPolicy.Rule(src.name() + ":" + r.position(), verdict, numbers, filter));
  }

  private BoundPolicy.Verdict verdict(Action action, SourceText src) {
    if (action.argument().isEmpty()) {
      return new BoundPolicy.Verdict(action.kind(), 0);
    }
    Name arg = action.argument().get();
    OptionalLong value = OptionalLong.empty();
    if (!arg.text().isEmpty() && Character.isDigit(arg.text().charAt(0))) {
      value = KernelNumbers.parseUnsigned(arg.text());
    } else if (action.kind() == ActionKind.ERRNO) {
      value = symbols.constant(arg.text());
      if (value.isEmpty() || !arg.text().startsWith("E")) {
        throw new FilterException(FilterError.of(ErrorCode.UNKNOWN_SYMBOL, arg.position().offset(),
            "no errno is called '" + arg.text() + "'" + Spelling.hint(arg.text(),
                symbols.constantNames().stream().filter(n -> n.startsWith("E")).toList())), src);
      }
    }
    long max = action.kind() == ActionKind.ERRNO ? MAX_ERRNO : 0xffff;
    if (value.isEmpty() || value.getAsLong() < 0 || value.getAsLong() > max) {
      throw new FilterException(FilterError.of(ErrorCode.VALUE_OUT_OF_RANGE, arg.position().offset(),
          action.kind().keyword() + "() takes " + (action.kind() == ActionKind.ERRNO ? "an errno name or " : "")
              + "a number from 0 to " + max), src);
    }
    return new BoundPolicy.Verdict(action.kind(), (int) value.getAsLong());
  }

  private void declare(String label, Position at, SourceText src) {
    if (labels.containsKey(label)) {
      return;
    }
    if (labels.size() == 64) {
      throw fail(src, at, "more than 64 labels; a label set is a 64-bit mask");
    }
    labels.put(label, 1L << labels.size());
  }

  private void include(Path from, Statement.Include i, SourceText src) {
    Path target = resolve(from, i.path());
    if (including.contains(target)) {
      throw fail(src, i.position(), "'" + i.path() + "' includes itself (through " + including.peekLast().getFileName() + ")");
    }
    try {
      file(target, FilterParser.kernelText(Files.readAllBytes(target)));
    } catch (NoSuchFileException e) {
      throw fail(src, i.position(), "no policy file '" + i.path() + "' next to " + from.getFileName());
    } catch (IOException e) {
      throw fail(src, i.position(), "cannot read " + target + ": " + e.getMessage());
    }
  }

  // Labels files are SELinux file_contexts: 'REGEX [-TYPE] CONTEXT'; the label is the context's type.
  private void labelsFile(Path from, Statement.LabelsFile f, SourceText src) {
    Path target = resolve(from, f.path());
    List<String> lines;
    try {
      lines = Files.readAllLines(target, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw fail(src, f.position(), "no labels file '" + f.path() + "' next to " + from.getFileName());
    } catch (IOException e) {
      throw fail(src, f.position(), "cannot read " + target + ": " + e.getMessage());
    }
    for (String line : lines) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] parts = t.split("\\s+");
      String context = parts[parts.length - 1];
      String[] fields = context.split(":");
      declare(fields.length >= 3 ? fields[2] : context, f.position(), src);
    }
  }

  private static Path resolve(Path from, String path) {
    Path parent = from.toAbsolutePath().getParent();
    return (parent == null ? Path.of(path) : parent.resolve(path)).toAbsolutePath().normalize();
  }

  private static FilterException fail(SourceText src, Position at, String detail) {
    return new FilterException(FilterError.of(ErrorCode.POLICY, at.offset(), detail), src);
  }
}
