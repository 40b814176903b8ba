package org.evfilter.predicates.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.evfilter.predicates.BoundPolicy;

/**
 * The policies in force for a task, as seccomp stacks filters: every policy decides every event
 * and the most restrictive decision wins, so a child may add a policy ({@link #push}) but can
 * never remove or relax one. Immutable: pushing returns a new stack.
 */
final class PolicyStack {
  private final List<PolicyEngine> policies;

  private PolicyStack(List<PolicyEngine> policies) {
    this.policies = Collections.unmodifiableList(policies);
  }

  /** A stack with one policy. */
  static PolicyStack of(PolicyEngine first) {
    return new PolicyStack(List.of(first));
  }

  /** This stack with {@code policy} added on top. */
  PolicyStack push(PolicyEngine policy) {
    List<PolicyEngine> more = new ArrayList<>(policies);
    more.add(policy);
    return new PolicyStack(more);
  }

  List<PolicyEngine> policies() {
    return policies;
  }

  /** The most restrictive decision of all policies (ties: the lower data, as for one policy). */
  BoundPolicy.Verdict decide(SeccompView view, CompiledFilter.Counter counter) {
    BoundPolicy.Verdict best = null;
    for (PolicyEngine p : policies) {
      BoundPolicy.Verdict v = p.decide(view, counter);
      if (best == null || v.kind().ordinal() < best.kind().ordinal()
          || v.kind() == best.kind() && v.data() < best.data()) {
        best = v;
      }
    }
    counter.events -= policies.size() - 1;
    return best;
  }
}
