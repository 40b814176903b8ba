package org.evfilter.events.syscalls;

/**
 * The errno numbers evfilter's own code answers or tests for, read by name from the one generated
 * table ({@link Constants}, from the C headers): no other file writes their numbers.
 */
public final class Errno {
  public static final int EPERM = of("EPERM");
  public static final int ENOENT = of("ENOENT");
  public static final int E2BIG = of("E2BIG");
  public static final int ESRCH = of("ESRCH");
  public static final int EINTR = of("EINTR");
  public static final int EBADF = of("EBADF");
  public static final int EACCES = of("EACCES");
  public static final int EFAULT = of("EFAULT");
  public static final int EEXIST = of("EEXIST");
  public static final int EXDEV = of("EXDEV");
  public static final int ENOTDIR = of("ENOTDIR");
  public static final int EISDIR = of("EISDIR");
  public static final int EINVAL = of("EINVAL");
  public static final int ERANGE = of("ERANGE");
  public static final int ENOSYS = of("ENOSYS");
  public static final int ELOOP = of("ELOOP");
  public static final int ENXIO = of("ENXIO");
  public static final int EPIPE = of("EPIPE");
  public static final int EMSGSIZE = of("EMSGSIZE");
  public static final int ENAMETOOLONG = of("ENAMETOOLONG");
  public static final int EAFNOSUPPORT = of("EAFNOSUPPORT");

  private Errno() {}

  private static int of(String name) {
    return Constants.linux().require(name);
  }
}
