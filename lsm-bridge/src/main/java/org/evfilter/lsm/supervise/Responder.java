package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.EACCES;
import static org.evfilter.events.syscalls.Errno.ENOSYS;
import static org.evfilter.events.syscalls.Errno.EPERM;

import com.sun.jna.LastErrorException;
import java.util.List;
import java.util.function.Consumer;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;

/**
 * Answering a decided call: performing it for the task (wearing its credentials) and returning its
 * result, or refusing it as the verdict says (errno, a signal for trap and kill), and saying every
 * refusal and, when asked, every answer in the audit log.
 */
final class Responder {
  private static final int SIGKILL = 9;
  private static final int SIGSYS = 31;

  private final BoundPolicy policy;
  private final AuditLog audit;
  private final SupervisorNatives natives;
  private final TaskCredentials credentials;
  private Consumer<String> denials = s -> { };
  private long allowed;
  private long denied;

  /** A call the supervisor performs for the task once it is allowed: answers it and returns its result (-1: gone). */
  interface Performer {
    long perform();
  }

  Responder(BoundPolicy policy, AuditLog audit, SupervisorNatives natives, TaskCredentials credentials) {
    this.policy = policy;
    this.audit = audit;
    this.natives = natives;
    this.credentials = credentials;
  }

  void reportDenials(Consumer<String> to) {
    this.denials = to;
  }

  long allowed() {
    return allowed;
  }

  long denied() {
    return denied;
  }

  /** Answers a decided call: performs it ({@code perform} null: it cannot be, as exec) or refuses it as the verdict says. */
  void act(Call c, TaskCredentials.Creds task, Decision d, Performer perform) {
    if (d.refusal().isPresent()) {
      deny(c, d.labels(), d.refusal().get(), EACCES, null, d.cached());
      return;
    }
    Verdict verdict = d.verdict();
    String origin = d.origin();
    switch (verdict.kind()) {
      case ALLOW, LOG, USER_NOTIF -> {
        if (perform == null) {
          deny(c, d.labels(), origin + " (exec cannot be performed for the task without a race: denied)", EACCES, verdict, d.cached());
        } else {
          performed(c, task, d, perform);
        }
      }
      case ERRNO -> deny(c, d.labels(), origin, verdict.data(), verdict, d.cached());
      case TRACE -> deny(c, d.labels(), origin + " (no tracer)", ENOSYS, verdict, d.cached());
      case TRAP -> {
        natives.signal(task.tgid(), c.n().tid(), SIGSYS);
        deny(c, d.labels(), origin, ENOSYS, verdict, d.cached());
      }
      case KILL_THREAD, KILL_PROCESS -> {
        natives.signal(task.tgid(), verdict.kind() == ActionKind.KILL_PROCESS ? 0 : c.n().tid(), SIGKILL);
        deny(c, d.labels(), origin, EPERM, verdict, d.cached());
      }
    }
  }

  // Performs an allowed call with the task's credentials: its errno, if it fails, is the task's answer.
  private void performed(Call c, TaskCredentials.Creds task, Decision d, Performer perform) {
    long result;
    try {
      result = credentials.wearing(task, perform::perform);
    } catch (LastErrorException ex) {
      c.answer(NotificationAnswer.errno(ex.getErrorCode()));
      result = -ex.getErrorCode();
    }
    allowed++;
    record(c, d, result);
  }

  private void record(Call c, Decision d, long result) {
    if (audit.enabled()) {
      audit.record(c.n().tid(), c.name(), paths(c), policy.labelNames(d.labels()), d.origin(), d.verdict().toString(),
          d.cached(), result);
    }
  }

  /** Lets a call run in the kernel as the task asked, and records it. */
  void proceed(Call c, Decision d) {
    allowed++;
    c.answer(NotificationAnswer.CONTINUE);
    audit.record(c.n().tid(), c.name(), List.of(), List.of(), d.origin(), d.verdict().toString(), d.cached(), 0);
  }

  /** Fails a call with {@code errno}, saying why before the task resumes (so the reason comes before whatever it prints). */
  void deny(Call c, long labelSet, String why, int errno, Verdict verdict, boolean cached) {
    denied++;
    List<String> names = policy.labelNames(labelSet);
    String decision = verdict == null ? "errno(" + errno + ")" : verdict.toString();
    denials.accept("denied " + c.name() + " " + String.join(" -> ", paths(c).stream().map(Supervisor::printable).toList())
        + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")") + ": " + why + ": " + decision);
    c.answer(NotificationAnswer.errno(errno));
    audit.record(c.n().tid(), c.name(), paths(c), names, why, decision, cached, -errno);
  }

  /** A refusal the supervisor makes itself (no verdict): an argument it cannot read, a call it does not decide. */
  void refuse(Call c, String why, int errno) {
    deny(c, 0, why, errno, null, false);
  }

  /** Counts a call that failed in the supervisor itself (fails it with EPERM). */
  void failed(Call c, Throwable e) {
    denied++;
    denials.accept("denied syscall " + c.n().nr() + ": supervisor error: " + e);
    c.answer(NotificationAnswer.errno(EPERM));
  }

  private List<String> paths(Call c) {
    List<String> out = new java.util.ArrayList<>(c.targets().stream().map(t -> t.display(natives)).toList());
    out.addAll(c.named());
    return out;
  }
}
