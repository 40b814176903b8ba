package org.evfilter.lsm.compile;

import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy.Verdict;

/** A policy's actions as seccomp return values ({@code SECCOMP_RET_*} with their 16-bit data), and back. */
public final class SeccompActions {
  public static final int KILL_PROCESS = 0x80000000;
  public static final int KILL_THREAD = 0x00000000;
  public static final int TRAP = 0x00030000;
  public static final int ERRNO = 0x00050000;
  public static final int USER_NOTIF = 0x7fc00000;
  public static final int TRACE = 0x7ff00000;
  public static final int LOG = 0x7ffc0000;
  public static final int ALLOW = 0x7fff0000;

  private SeccompActions() {}

  /** The return value of a verdict. */
  public static int value(Verdict v) {
    int data = v.data() & 0xffff;
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
    int data = value & 0xffff;
    return switch (value & 0xffff0000) {
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
