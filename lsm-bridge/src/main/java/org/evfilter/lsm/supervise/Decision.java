package org.evfilter.lsm.supervise;

import java.util.Optional;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;

/**
 * What the policy says of a call: its verdict, the rule that decided it (when asked for), the labels
 * of the objects it names, whether the AVC had it cached, and a refusal that overrides the verdict
 * (a label xattr written without a rule reading new_label).
 */
record Decision(Verdict verdict, Optional<BoundPolicy.Rule> rule, long labels, boolean cached, Optional<String> refusal) {
  String origin() {
    return rule.map(BoundPolicy.Rule::origin).orElse("default");
  }
}
