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
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
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
import org.evfilter.events.net.Cidr;
import org.evfilter.predicates.labels.FileContexts;
import org.evfilter.predicates.labels.NetworkLabels;

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
  private final SymbolTable symbols;
  private final Map<String, Long> labels = new LinkedHashMap<>();
  private final List<BoundPolicy.Rule> rules = new ArrayList<>();
  private final List<FileContexts.Entry> contexts = new ArrayList<>();
  private final List<NetworkLabels.Node> nodes = new ArrayList<>();
  private final List<NetworkLabels.Port> ports = new ArrayList<>();
  private final Deque<Path> including = new ArrayDeque<>();
  // A file included along two paths (or twice) is read once, like a header with a guard.
  private final Set<Path> loaded = new java.util.HashSet<>();
  // Every file read, in order: what a compiled program depends on.
  private final List<Path> sources = new ArrayList<>();
  // Labels files given with the policy (on the command line): read with the top-level file's labels.
  private final Map<Path, List<String>> givenLabels = new LinkedHashMap<>();
  private BoundPolicy.Verdict defaultAction;
  private String defaultOrigin;

  private PolicyBinder(KernelFacts facts, Arch arch) {
    this.facts = facts;
    this.symbols = SymbolTable.of(arch);
  }

  /**
   * Loads and binds {@code file}.
   *
   * @throws FilterException for any error in the policy or a file it includes, with its position
   * @throws IOException when the top-level file cannot be read
   */
  public static BoundPolicy load(Path file, KernelFacts facts) throws IOException {
    return load(file, List.of(), facts);
  }

  /**
   * Loads and binds {@code file} with more labels files, read as if the top-level policy file ended
   * with a {@code labels "FILE"} statement for each: their labels are declared before any rule is
   * bound (after the policy's own, a label declared twice being one label), and their entries come
   * after the policy's, so by SELinux's precedence they win, like {@code file_contexts.local}.
   *
   * @throws FilterException for any error, with its position
   * @throws IOException when a file cannot be read
   */
  public static BoundPolicy load(Path file, List<Path> labelsFiles, KernelFacts facts) throws IOException {
    return load(file, labelsFiles, facts, Arch.X86_64);
  }

  /** Loads and binds {@code file} for {@code arch}: its syscall names and numbers, and argument layouts. */
  public static BoundPolicy load(Path file, List<Path> labelsFiles, KernelFacts facts, Arch arch) throws IOException {
    return loadWithSources(file, labelsFiles, facts, arch).policy();
  }

  /** A bound policy and every file it was read from (the policy, its includes, labels files). */
  public record Loaded(BoundPolicy policy, List<Path> sources) {
    public Loaded {
      Objects.requireNonNull(policy, "policy");
      sources = List.copyOf(new LinkedHashSet<>(sources));
    }
  }

  /** {@link #load(Path, List, KernelFacts, Arch)}, saying which files it read. */
  public static Loaded loadWithSources(Path file, List<Path> labelsFiles, KernelFacts facts, Arch arch) throws IOException {
    PolicyBinder binder = new PolicyBinder(facts, arch);
    binder.sources.add(file.toAbsolutePath().normalize());
    for (Path labels : labelsFiles) {
      binder.givenLabels.put(labels.toAbsolutePath().normalize(), Files.readAllLines(labels, StandardCharsets.ISO_8859_1));
    }
    String text = FilterParser.kernelText(Files.readAllBytes(file));
    binder.file(file, text);
    return new Loaded(binder.bound(), binder.sources);
  }

  /** Binds policy text that includes nothing from disk (relative includes resolve against the working directory). */
  public static BoundPolicy bind(String name, String text, KernelFacts facts) {
    return bind(name, text, facts, Arch.X86_64);
  }

  /** Binds policy text for {@code arch}. */
  public static BoundPolicy bind(String name, String text, KernelFacts facts, Arch arch) {
    return new PolicyBinder(facts, arch).bindFile(Path.of(name), text);
  }

  private BoundPolicy bindFile(Path path, String text) {
    file(path, text);
    return bound();
  }

  private BoundPolicy bound() {
    return new BoundPolicy(symbols.arch(), defaultAction == null ? DEFAULT_DENY : defaultAction, rules, List.copyOf(labels.keySet()),
        FileContexts.of(contexts), NetworkLabels.of(nodes, ports));
  }

  private void file(Path path, String text) {
    including.push(path.toAbsolutePath().normalize());
    loaded.add(path.toAbsolutePath().normalize());
    Policy policy = FilterParser.parsePolicy(display(path), text);
    SourceText src = policy.source();
    // Labels first, wherever they are declared, so rules may use labels declared below them.
    for (Statement s : policy.statements()) {
      if (s instanceof Statement.Labels l) {
        l.names().forEach(n -> declare(n.text(), n.position().offset(), src));
      } else if (s instanceof Statement.LabelsFile f) {
        labelsFile(path, f, src);
      } else if (s instanceof Statement.Include i) {
        include(path, i, src);
      }
    }
    if (including.size() == 1) {
      givenLabels.forEach(this::contexts);
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
            "no " + symbols.arch().id() + " syscall is called '" + n.text() + "'" + Spelling.hint(n.text(), symbols.syscallNames())), src);
      }
      numbers.add((int) nr.getAsLong());
    }
    String origin = src.name() + ":" + r.position();
    if (r.syscalls().isEmpty()) {
      rules.add(new BoundPolicy.Rule(origin, verdict, Set.of(), bindFilter(r, Optional.empty(), src), text(r)));
      return;
    }
    // One bound rule per syscall: a named argument ('flags') sits at a different index in each.
    int i = 0;
    for (Integer nr : numbers) {
      String name = r.syscalls().get(i++).text();
      rules.add(new BoundPolicy.Rule(origin, verdict, Set.of(nr), bindFilter(r, Optional.of(name), src), text(r)));
    }
  }

  private static Optional<String> text(Statement.Rule r) {
    return r.filter().map(org.evfilter.grammar.ast.Expression::toCanonicalString);
  }

  private Optional<BoundExpression> bindFilter(Statement.Rule r, Optional<String> syscall, SourceText src) {
    return r.filter().map(f -> FilterBinder.forEvent(PolicySchemas.of(syscall, symbols.arch()), Dialect.EVFILTER, facts).withSymbols(symbols)
        .withLabels(labels).bind(f, src));
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

  private void declare(String label, int offset, SourceText src) {
    if (labels.containsKey(label)) {
      return;
    }
    if (labels.size() == 64) {
      throw new FilterException(FilterError.of(ErrorCode.POLICY, offset, "more than 64 labels; a label set is a 64-bit mask"), src);
    }
    labels.put(label, 1L << labels.size());
  }

  private void include(Path from, Statement.Include i, SourceText src) {
    Path target = resolve(from, i.path());
    if (including.contains(target)) {
      throw fail(src, i.position(), "'" + i.path() + "' includes itself (through " + including.peekLast().getFileName() + ")");
    }
    if (loaded.contains(target)) {
      return;
    }
    try {
      sources.add(target.toAbsolutePath().normalize());
      file(target, FilterParser.kernelText(Files.readAllBytes(target)));
    } catch (NoSuchFileException e) {
      throw fail(src, i.position(), "no policy file '" + i.path() + "' next to " + from.getFileName());
    } catch (IOException e) {
      throw fail(src, i.position(), "cannot read " + target + ": " + e.getMessage());
    }
  }

  // Labels files are SELinux file_contexts: 'REGEX [-TYPE] CONTEXT'; the label is the context's type.
  // They may also hold network labels: 'nodecon NETWORK CONTEXT' and 'portcon PROTOCOL PORTS CONTEXT'.
  private void labelsFile(Path from, Statement.LabelsFile f, SourceText src) {
    Path target = resolve(from, f.path());
    try {
      contexts(target, Files.readAllLines(target, StandardCharsets.ISO_8859_1));
    } catch (NoSuchFileException e) {
      throw fail(src, f.position(), "no labels file '" + f.path() + "' next to " + from.getFileName());
    } catch (IOException e) {
      throw fail(src, f.position(), "cannot read " + target + ": " + e.getMessage());
    }
  }

  // The entries of a labels file, declaring their labels; errors point into the file.
  private void contexts(Path target, List<String> lines) {
    sources.add(target);
    SourceText labelsSource = new SourceText(display(target), String.join("\n", lines));
    int offset = 0;
    int number = 0;
    for (String line : lines) {
      number++;
      String origin = display(target) + ":" + number;
      String t = line.strip();
      int at = offset + line.indexOf(t.isEmpty() ? line : t);
      offset += line.length() + 1;
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] parts = t.split("\\s+");
      if (parts[0].equals("nodecon") || parts[0].equals("portcon")) {
        networkEntry(parts, t, at, number, origin, labelsSource);
        continue;
      }
      if (parts.length < 2 || parts.length > 3 || parts.length == 3 && !parts[1].matches("--|-[dcbsplf]")) {
        throw new FilterException(FilterError.of(ErrorCode.POLICY, at,
            "expected 'REGEX [-TYPE] CONTEXT' (TYPE one of -- -d -c -b -s -p -l -f)"), labelsSource);
      }
      java.util.regex.Pattern regex;
      try {
        regex = java.util.regex.Pattern.compile(parts[0]);
      } catch (java.util.regex.PatternSyntaxException e) {
        throw new FilterException(FilterError.of(ErrorCode.POLICY, at + Math.max(0, e.getIndex()),
            "bad regular expression: " + e.getDescription()), labelsSource);
      }
      String context = parts[parts.length - 1];
      java.util.Optional<org.evfilter.events.vfs.VfsEvent.FileType> type =
          parts.length == 3 ? FileContexts.type(parts[1]) : java.util.Optional.empty();
      if (context.equals("<<none>>")) {
        contexts.add(new FileContexts.Entry(contexts.size(), regex, type, java.util.Optional.empty(), FileContexts.literal(parts[0]), origin));
        continue;
      }
      String label = contextLabel(context, at + t.lastIndexOf(context), labelsSource);
      declare(label, at + t.lastIndexOf(context), labelsSource);
      contexts.add(new FileContexts.Entry(contexts.size(), regex, type, java.util.Optional.of(label), FileContexts.literal(parts[0]), origin));
    }
  }

  // A network label: 'nodecon NETWORK CONTEXT' or 'portcon PROTOCOL PORT[-PORT] CONTEXT'.
  private void networkEntry(String[] parts, String line, int at, int number, String origin, SourceText src) {
    boolean node = parts[0].equals("nodecon");
    int words = node ? 3 : 4;
    if (parts.length != words) {
      throw new FilterException(FilterError.of(ErrorCode.POLICY, at, node
          ? "expected 'nodecon NETWORK CONTEXT', e.g. nodecon 10.0.0.0/8 intranet_t"
          : "expected 'portcon PROTOCOL PORT[-PORT] CONTEXT', e.g. portcon tcp 53 dns_t"), src);
    }
    String context = parts[words - 1];
    int contextAt = at + line.lastIndexOf(context);
    String label = contextLabel(context, contextAt, src);
    if (node) {
      int netAt = at + line.indexOf(parts[1], parts[0].length());
      Cidr.Parsed parsed = Cidr.parse(parts[1]);
      Cidr network = parsed.cidr().orElseThrow(() -> new FilterException(FilterError.of(ErrorCode.POLICY, netAt,
          switch (parsed.problem().orElseThrow()) {
            case ADDRESS -> "'" + parts[1] + "' is not an IPv4 or IPv6 network (e.g. 10.0.0.0/8, fd00::/8)";
            case PREFIX -> "the prefix length of " + parts[1] + " must be a number from 0 to " + (parts[1].indexOf(':') < 0 ? 32 : 128);
            case HOST_BITS -> "'" + parts[1] + "' has bits set past its prefix";
          }), src));
      declare(label, contextAt, src);
      nodes.add(new NetworkLabels.Node(network, label, nodes.size() + ports.size(), origin));
      return;
    }
    int protoAt = at + line.indexOf(parts[1], parts[0].length());
    int protocol = NetworkLabels.protocol(parts[1]).orElseThrow(() -> new FilterException(FilterError.of(ErrorCode.POLICY, protoAt,
        "unknown protocol '" + parts[1] + "' (" + String.join(", ", NetworkLabels.PROTOCOLS) + ")"), src));
    int portAt = at + line.indexOf(parts[2], line.indexOf(parts[1], parts[0].length()) + parts[1].length());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,5})(?:-([0-9]{1,5}))?").matcher(parts[2]);
    int low = m.matches() ? Integer.parseInt(m.group(1)) : -1;
    int high = m.matches() ? (m.group(2) == null ? low : Integer.parseInt(m.group(2))) : -1;
    if (low < 0 || high > 0xffff || low > high) {
      throw new FilterException(FilterError.of(ErrorCode.POLICY, portAt,
          "'" + parts[2] + "' is not a port or a range LOW-HIGH of ports 0 to 65535"), src);
    }
    declare(label, contextAt, src);
    ports.add(new NetworkLabels.Port(protocol, low, high, label, nodes.size() + ports.size(), origin));
  }

  // A context's label: its type ('user:role:type[:level]'), or a bare label name.
  private static String contextLabel(String context, int at, SourceText src) {
    String[] fields = context.split(":");
    String label = fields.length >= 3 ? fields[2] : context;
    if (!label.matches("[A-Za-z_][A-Za-z0-9_]*") || fields.length == 2) {
      throw new FilterException(FilterError.of(ErrorCode.POLICY, at,
          "expected a context 'user:role:type[:level]' or a label name, found '" + context + "'"), src);
    }
    return label;
  }

  // Files below the working directory are named relative to it, as the user named the first one.
  private static String display(Path p) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = p.toAbsolutePath().normalize();
    return p.isAbsolute() && abs.startsWith(cwd) ? cwd.relativize(abs).toString() : p.toString();
  }

  private static Path resolve(Path from, String path) {
    Path parent = from.toAbsolutePath().getParent();
    return (parent == null ? Path.of(path) : parent.resolve(path)).toAbsolutePath().normalize();
  }

  private static FilterException fail(SourceText src, Position at, String detail) {
    return new FilterException(FilterError.of(ErrorCode.POLICY, at.offset(), detail), src);
  }
}
