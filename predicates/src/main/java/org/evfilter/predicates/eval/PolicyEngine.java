package org.evfilter.predicates.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy;

/**
 * A bound policy compiled for deciding events: per syscall number, its rules ordered most
 * restrictive first (the kernel's seccomp order), so the first rule that matches decides and the
 * rest need not run; rule order in the file never matters. An event of another ABI than the
 * policy's gets the bad-arch action, never the rules of the wrong syscall table.
 */
public final class PolicyEngine {
  /** What an event of a foreign ABI gets. */
  public static final BoundPolicy.Verdict BAD_ARCH = new BoundPolicy.Verdict(ActionKind.KILL_PROCESS, 0);

  private static final Comparator<CompiledRule> MOST_RESTRICTIVE_FIRST =
      Comparator.comparingInt((CompiledRule r) -> r.rule.action().kind().ordinal()).thenComparingInt(r -> r.rule.action().data());

  private final BoundPolicy policy;
  private final Arch arch;
  private final Map<Integer, CompiledRule[]> byNumber = new HashMap<>();
  private final CompiledRule[] forAll;
  private final Map<Integer, int[]> projections = new java.util.concurrent.ConcurrentHashMap<>();

  /** A rule with its compiled filter (null: matches every event of its syscalls). */
  public record CompiledRule(BoundPolicy.Rule rule, CompiledFilter filter) {}

  private PolicyEngine(BoundPolicy policy, Arch arch) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.arch = arch;
    Map<Integer, List<CompiledRule>> rules = new HashMap<>();
    List<CompiledRule> all = new ArrayList<>();
    for (BoundPolicy.Rule r : policy.rules()) {
      CompiledRule c = new CompiledRule(r, r.filter().map(f -> CompiledFilter.compile(f, SeccompView.LAYOUT)).orElse(null));
      if (r.syscalls().isEmpty()) {
        all.add(c);
      } else {
        r.syscalls().forEach(nr -> rules.computeIfAbsent(nr, k -> new ArrayList<>()).add(c));
      }
    }
    this.forAll = all.stream().sorted(MOST_RESTRICTIVE_FIRST).toArray(CompiledRule[]::new);
    rules.forEach((nr, list) -> {
      list.addAll(all);
      byNumber.put(nr, list.stream().sorted(MOST_RESTRICTIVE_FIRST).toArray(CompiledRule[]::new));
    });
  }

  /** Compiles {@code policy} for events of {@code arch}. */
  public static PolicyEngine compile(BoundPolicy policy, Arch arch) {
    return new PolicyEngine(policy, arch);
  }

  public BoundPolicy policy() {
    return policy;
  }

  public Arch arch() {
    return arch;
  }

  /** The rules that can decide syscall {@code nr}, most restrictive first. */
  public List<CompiledRule> rules(int nr) {
    return Arrays.asList(byNumber.getOrDefault(nr, forAll));
  }

  /** Decides the event in {@code view}; counts the predicates run. */
  public BoundPolicy.Verdict decide(SeccompView view, CompiledFilter.Counter counter) {
    counter.events++;
    if (view.number(SeccompView.ARCH) != arch.auditArch() || !sameAbi(view.number(SeccompView.NR))) {
      return BAD_ARCH;
    }
    for (CompiledRule r : byNumber.getOrDefault((int) view.number(SeccompView.NR), forAll)) {
      if (r.filter == null || r.filter.matches(view, counter)) {
        return r.rule.action();
      }
    }
    return policy.defaultAction();
  }

  /** The rule that decides the event; empty when the default (or the bad-arch action) does. */
  public java.util.Optional<BoundPolicy.Rule> decidingRule(SeccompView view) {
    if (view.number(SeccompView.ARCH) != arch.auditArch() || !sameAbi(view.number(SeccompView.NR))) {
      return java.util.Optional.empty();
    }
    CompiledFilter.Counter counter = new CompiledFilter.Counter();
    for (CompiledRule r : byNumber.getOrDefault((int) view.number(SeccompView.NR), forAll)) {
      if (r.filter == null || r.filter.matches(view, counter)) {
        return java.util.Optional.of(r.rule);
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * The slots that decide syscall {@code nr}: what the decision cache keys on (always nr and
   * arch, then every field any of its rules reads).
   */
  int[] projection(int nr) {
    return slots(nr).clone();
  }

  // The projection without a copy, for the cache's hot path.
  int[] slots(int nr) {
    int[] cached = projections.get(nr);
    if (cached != null) {
      return cached;
    }
    return projections.computeIfAbsent(nr, n -> {
      TreeSet<Integer> slots = new TreeSet<>(List.of(SeccompView.NR, SeccompView.ARCH));
      for (CompiledRule r : byNumber.getOrDefault(n, forAll)) {
        if (r.filter != null) {
          for (int s : r.filter.slotsRead()) {
            slots.add(s);
          }
        }
      }
      return slots.stream().mapToInt(Integer::intValue).toArray();
    });
  }

  // x32 and x86_64 share an audit arch; only bit 30 of the number tells them apart. Elsewhere
  // such a number is merely unknown.
  private boolean sameAbi(long nr) {
    if (arch != Arch.X86_64 && arch != Arch.X32) {
      return true;
    }
    // -1 is a tracer's "skip this syscall", not an x32 number.
    boolean x32 = (nr & Arch.X32_SYSCALL_BIT) != 0 && (int) nr != -1;
    return arch == Arch.X32 ? x32 : !x32;
  }
}
