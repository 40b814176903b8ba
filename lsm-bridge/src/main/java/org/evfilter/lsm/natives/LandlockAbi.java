package org.evfilter.lsm.natives;

import com.sun.jna.LastErrorException;

/** The Landlock ABI version of the running kernel, as {@code landlock_create_ruleset} reports it. */
public final class LandlockAbi {
  private static final long SYS_LANDLOCK_CREATE_RULESET = 444;
  private static final long LANDLOCK_CREATE_RULESET_VERSION = 1;

  private LandlockAbi() {}

  /** The version (1 and up), or 0 when the kernel has no Landlock or it is not enabled. */
  public static int version() {
    try {
      return (int) Libc.syscall(SYS_LANDLOCK_CREATE_RULESET, 0, 0, LANDLOCK_CREATE_RULESET_VERSION);
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      return 0; // ENOSYS: not built; EOPNOTSUPP: not among the active LSMs
    }
  }
}
