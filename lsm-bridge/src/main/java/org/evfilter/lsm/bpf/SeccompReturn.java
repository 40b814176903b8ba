package org.evfilter.lsm.bpf;

/**
 * The return values of a seccomp program ({@code SECCOMP_RET_*} of {@code <linux/seccomp.h>}): the
 * one place their numbers are written. The compiler emits them, the action cache and the
 * disassembler read them, {@code SeccompActions} maps them to a policy's verdicts.
 */
public final class SeccompReturn {
  public static final int KILL_PROCESS = 0x80000000;
  public static final int KILL_THREAD = 0x00000000;
  public static final int TRAP = 0x00030000;
  public static final int ERRNO = 0x00050000;
  public static final int USER_NOTIF = 0x7fc00000;
  public static final int TRACE = 0x7ff00000;
  public static final int LOG = 0x7ffc0000;
  public static final int ALLOW = 0x7fff0000;
  /** The action part of a return value ({@code SECCOMP_RET_ACTION_FULL}). */
  public static final int ACTION = 0xffff0000;
  /** Its data ({@code SECCOMP_RET_DATA}): the errno of {@link #ERRNO}, the value of {@link #TRACE}. */
  public static final int DATA = 0x0000ffff;

  private SeccompReturn() {}
}
