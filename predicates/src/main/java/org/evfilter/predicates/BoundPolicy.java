package org.evfilter.predicates;

import java.util.List;
import org.evfilter.events.syscalls.Arch;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.labels.FileContexts;
import org.evfilter.predicates.labels.LabelResolver;
import org.evfilter.predicates.labels.NetworkLabels;
import org.evfilter.events.net.Endpoint;

/**
 * A policy file and its includes, checked and bound: the default action, the rules with their
 * syscall numbers and typed filters (one rule per syscall, since a named argument's index depends
 * on the syscall; a rule with no syscall applies to all), and the declared labels (bit {@code i}
 * is {@code labels[i]}), the file_contexts rules and the network labels that give objects and
 * endpoints their labels; syscall numbers and argument layouts are those of {@code arch}.
 */
public record BoundPolicy(Arch arch, Verdict defaultAction, List<Rule> rules, List<String> labels, FileContexts fileContexts,
    NetworkLabels networkLabels) {
  /** A policy whose labels files give no network labels. */
  public BoundPolicy(Arch arch, Verdict defaultAction, List<Rule> rules, List<String> labels, FileContexts fileContexts) {
    this(arch, defaultAction, rules, labels, fileContexts, NetworkLabels.none());
  }

  /** An action with its data: the errno for {@code errno}, the value for {@code trace}. */
  public record Verdict(ActionKind kind, int data) {
    @Override
    public String toString() {
      return switch (kind) {
        case ERRNO -> "errno(" + data + ")";
        case TRACE -> "trace(" + data + ")";
        default -> kind.keyword();
      };
    }
  }

  /**
   * One rule: where it is written, its action, its syscalls (empty: all), its filter bound and as
   * canonical text.
   */
  public record Rule(String origin, Verdict action, Set<Integer> syscalls, Optional<BoundExpression> filter, Optional<String> filterText) {
    public Rule {
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(action, "action");
      syscalls = Set.copyOf(syscalls);
      Objects.requireNonNull(filter, "filter");
      Objects.requireNonNull(filterText, "filterText");
    }

    /**
     * Whether its filter reads a field of the address the call names ({@link SocketFields}), or the
     * label of a socket call: what only a supervisor or a cgroup hook can decide.
     */
    public boolean readsSocketFields() {
      return filter.map(f -> f.anyAtom(a -> PolicySchemas.socketField(a.field()))).orElse(false);
    }

    /** Whether its filter reads {@code label} or {@code new_label}: a label rule. */
    public boolean readsLabels() {
      return reads(PolicySchemas.LABEL_FIELD) || reads(PolicySchemas.NEW_LABEL_FIELD);
    }

    /**
     * Whether its filter reads {@code new_label}: only such a rule allows relabelling (writing or
     * removing a label xattr); one that allows the syscall without reading it does not.
     */
    public boolean readsNewLabel() {
      return reads(PolicySchemas.NEW_LABEL_FIELD);
    }

    private boolean reads(String field) {
      return filter.map(f -> f.anyAtom(a -> a instanceof Atom.Numeric n && n.field().name().equals(field)
          || a instanceof Atom.Member m && m.field().name().equals(field))).orElse(false);
    }
  }

  /** Whether some rule reads labels: then labels must belong to objects (no relabelling by a move or an xattr). */
  public boolean readsLabels() {
    return rules.stream().anyMatch(Rule::readsLabels);
  }

  /** The rules that allow relabelling: those reading {@code new_label} whose action lets the call through. */
  public List<Rule> relabellingRules() {
    return rules.stream().filter(r -> r.readsNewLabel() && r.action().kind().permits()).toList();
  }

  /** Whether a supervisor deciding a call with this action performs it: {@link ActionKind#permits}. */
  public static boolean permits(ActionKind kind) {
    return kind.permits();
  }

  public BoundPolicy {
    Objects.requireNonNull(arch, "arch");
    Objects.requireNonNull(defaultAction, "defaultAction");
    rules = List.copyOf(rules);
    labels = List.copyOf(labels);
    Objects.requireNonNull(fileContexts, "fileContexts");
    Objects.requireNonNull(networkLabels, "networkLabels");
  }

  /**
   * The label set of the endpoint a socket call names: an IP endpoint's network labels, a unix
   * socket path's file labels (by {@code files}: the socket file's, as a file rule would see it);
   * an abstract unix name has none.
   */
  public long labelsOf(Endpoint e, LabelResolver files) {
    if (e.path().isPresent()) {
      return e.path().get().startsWith("@") ? 0 : files.labels(e.path().get());
    }
    java.util.Map<String, Long> bits = labelBits();
    return networkLabels.labels(e).stream().mapToLong(l -> bits.getOrDefault(l, 0L)).reduce(0, (a, b) -> a | b);
  }

  /** Whether some rule reads a socket field (family, type, protocol, port, addr, path) of an address the call names. */
  public boolean readsSocketFields() {
    return rules.stream().anyMatch(Rule::readsSocketFields);
  }

  /** Each declared label's bit. */
  public java.util.Map<String, Long> labelBits() {
    java.util.Map<String, Long> bits = new java.util.LinkedHashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      bits.put(labels.get(i), 1L << i);
    }
    return bits;
  }

  /** The names of the labels in {@code set}, in declaration order. */
  public List<String> labelNames(long set) {
    List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      if ((set & (1L << i)) != 0) {
        out.add(labels.get(i));
      }
    }
    return out;
  }

  /** A resolver of object labels by this policy's xattrs and file_contexts rules. */
  public LabelResolver labelResolver(long cacheSize) {
    return new LabelResolver(labelBits(), fileContexts, cacheSize);
  }

  /** As above, with an xattr reader for every namespace. */
  public LabelResolver labelResolver(long cacheSize, org.evfilter.predicates.labels.XattrReader xattrs) {
    return new LabelResolver(labelBits(), fileContexts, cacheSize, xattrs);
  }
}
