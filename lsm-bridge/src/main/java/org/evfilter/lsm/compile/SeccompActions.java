package org.evfilter.lsm.compile;

import static org.evfilter.lsm.bpf.SeccompReturn.*;

import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.bpf.SeccompReturn;
import org.evfilter.predicates.BoundPolicy.Verdict;

/** A policy's actions as seccomp return values ({@link SeccompReturn} with their 16-bit data), and back. */
public final class SeccompActions {
  private SeccompActions() {}

  /** The return value of a verdict. */
  public static int value(Verdict v) {
    int data = v.data() & DATA;
    return switch (v.kind()) {
      case KILL_PROCESS -> KILL_PROCESS;
      case KILL_THREAD -> KILL_THREAD;
      case TRAP -> TRAP | data;
      case ERRNO -> ERRNO | data;
      case USER_NOTIF -> USER_NOTIF;
      case TRACE -> TRACE | data;
      case LOG -> LOG;
      case ALLOW -> ALLOW;
    };
  }

  /** The verdict of a return value; unknown actions are the kernel's: kill the process. */
  public static Verdict verdict(int value) {
    int data = value & DATA;
    return switch (value & ACTION) {
      case KILL_THREAD -> new Verdict(ActionKind.KILL_THREAD, 0);
      case TRAP -> new Verdict(ActionKind.TRAP, 0);
      case ERRNO -> new Verdict(ActionKind.ERRNO, data);
      case USER_NOTIF -> new Verdict(ActionKind.USER_NOTIF, 0);
      case TRACE -> new Verdict(ActionKind.TRACE, data);
      case LOG -> new Verdict(ActionKind.LOG, 0);
      case ALLOW -> new Verdict(ActionKind.ALLOW, 0);
      default -> new Verdict(ActionKind.KILL_PROCESS, 0);
    };
  }
}
