package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.EACCES;

import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.AvcStats;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.DecisionCache;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;

/**
 * Deciding a call through the AVC: the policy's verdict on the labels of the objects it names, and
 * for a label xattr, whether a rule reading new_label allows the labels it would leave.
 */
final class Decider {
  private final BoundPolicy policy;
  private final DecisionCache avc;
  // Only rules reading new_label, default EACCES: what may write or remove a label xattr.
  private final DecisionCache relabelAvc;
  private final boolean ruleAlways;
  private final SeccompView view = new SeccompView();
  private final CompiledFilter.Counter counter = new CompiledFilter.Counter();

  /** {@code ruleAlways}: name the deciding rule of allowed calls too (for the audit log). */
  Decider(BoundPolicy policy, long avcSize, boolean ruleAlways) {
    this.policy = policy;
    this.avc = new DecisionCache(PolicyEngine.compile(policy, Arch.X86_64), avcSize);
    this.relabelAvc = new DecisionCache(PolicyEngine.compile(new BoundPolicy(policy.arch(), new Verdict(ActionKind.ERRNO, EACCES),
        policy.relabellingRules(), policy.labels(), policy.fileContexts()), Arch.X86_64), avcSize);
    this.ruleAlways = ruleAlways;
  }

  AvcStats stats() {
    return avc.stats();
  }

  /** A call on one or two objects (rename, link): each is checked, the more restrictive answer wins. */
  Decision objects(SyscallEvent e, List<PinnedObject> targets) {
    Verdict verdict = null;
    boolean cached = true;
    long labelSet = 0;
    Optional<BoundPolicy.Rule> rule = Optional.empty();
    for (PinnedObject t : targets) {
      DecisionCache.Outcome o = avc.outcome(view.set(e, t.labels()), counter);
      Verdict v = o.verdict();
      cached &= o.cached();
      labelSet |= t.labels();
      if (verdict == null || v.kind().outranks(verdict.kind())) {
        verdict = v;
        rule = ruleAlways || v.kind() != ActionKind.ALLOW ? avc.engine().decidingRule(view) : Optional.empty();
      }
    }
    return new Decision(verdict, rule, labelSet, cached, Optional.empty());
  }

  /**
   * An xattr write or removal on an object labelled {@code labels} that would carry {@code after}
   * once done; {@code relabels}: the xattr {@code xattr} is a label one, allowed only by a rule
   * reading new_label.
   */
  Decision xattr(SyscallEvent e, long labels, long after, boolean relabels, String xattr) {
    DecisionCache.Outcome o = avc.outcome(view.set(e, labels, after), counter);
    Verdict verdict = o.verdict();
    boolean permits = verdict.kind().permits();
    Optional<BoundPolicy.Rule> rule = ruleAlways || !permits ? avc.engine().decidingRule(view) : Optional.empty();
    if (relabels && permits) {
      if (!relabelAvc.outcome(view, counter).verdict().kind().permits()) {
        List<String> names = policy.labelNames(after);
        String why = "writing " + xattr + " relabels the object (to " + (names.isEmpty() ? "no label" : String.join(", ", names))
            + "); only a rule reading new_label allows it";
        return new Decision(verdict, rule, labels, o.cached(), Optional.of(why));
      }
      rule = relabelAvc.engine().decidingRule(view);
    }
    return new Decision(verdict, rule, labels, o.cached(), Optional.empty());
  }

  /** A call naming no object (setgroups, unshare, setns): decided as the policy decides it. */
  Decision plain(SyscallEvent e) {
    return labelled(e, 0);
  }

  /** A call whose event carries what it names (a socket call's endpoint), labelled {@code labels}. */
  Decision labelled(SyscallEvent e, long labels) {
    DecisionCache.Outcome o = avc.outcome(view.set(e, labels), counter);
    return new Decision(o.verdict(), avc.engine().decidingRule(view), labels, o.cached(), Optional.empty());
  }
}
