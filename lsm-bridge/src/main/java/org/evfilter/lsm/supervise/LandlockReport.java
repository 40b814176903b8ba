package org.evfilter.lsm.supervise;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.evfilter.events.syscalls.Errno;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.landlock.FsAccess;
import org.evfilter.lsm.landlock.LandlockLowering;
import org.evfilter.lsm.landlock.LandlockPlan;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Reports Landlock's refusals as the supervisor reports its own: the operation (the syscall when
 * the kernel's records say it, and the rights Landlock found missing), the path, its labels, the
 * policy rule the ruleset enforced and its action, on stderr and in the audit log ({@code
 * "decidedBy": "landlock"}).
 */
public final class LandlockReport implements Consumer<LandlockAudit.Denial> {
  private final BoundPolicy policy;
  private final LandlockPlan plan;
  private final LabelResolver labels;
  private final AuditLog audit;
  private final Optional<Consumer<String>> say;
  private final SyscallTable table;

  /**
   * @param say where the one-line report goes (stderr); empty: only the audit log
   */
  public LandlockReport(BoundPolicy policy, LandlockPlan plan, LabelResolver labels, AuditLog audit, Optional<Consumer<String>> say) {
    this.policy = policy;
    this.plan = plan;
    this.labels = labels;
    this.audit = audit;
    this.say = say;
    this.table = SyscallTable.of(policy.arch());
  }

  @Override
  public void accept(LandlockAudit.Denial d) {
    long rights = 0;
    for (String b : d.blockers()) {
      rights |= FsAccess.ofAuditName(b).map(FsAccess::bit).orElse(0L);
    }
    // The labels the ruleset was built from are the path's (file_contexts): xattr labels keep a
    // syscall with the supervisor. The path is labelled now, as the kernel wrote it then.
    long set = d.path().map(labels::labels).orElse(0L);
    List<String> names = policy.labelNames(set);
    Optional<LandlockLowering.Refusal> why = LandlockLowering.refusing(policy, plan, rights, set);
    String rule = why.map(r -> r.rule().map(BoundPolicy.Rule::origin).orElse("default")).orElse("the Landlock ruleset");
    String decision = why.map(r -> r.action().toString()).orElse("errno(" + Errno.EACCES + ")");
    Optional<String> syscall = d.syscall().isPresent() ? table.byNumber(d.syscall().getAsInt()).map(s -> s.name()) : Optional.empty();
    List<String> paths = d.path().map(List::of).orElse(List.of());
    List<String> op = new ArrayList<>();
    syscall.ifPresent(op::add);
    op.add(String.join(",", d.blockers()));
    say.ifPresent(s -> s.accept("denied " + String.join(" ", op) + " " + d.path().map(Supervisor::printable).orElse("(no path)")
        + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")") + ": " + rule + ": " + decision
        + " (decided by Landlock, in the kernel)"));
    audit.landlock(d.time(), d.pid(), syscall, d.blockers(), paths, names, rule, decision, d.result());
  }
}
