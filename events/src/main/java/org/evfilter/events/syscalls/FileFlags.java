package org.evfilter.events.syscalls;

/**
 * The {@code O_*} and {@code AT_*} flags of the calls on files (x86_64's, which i386 shares), read
 * by name from the one generated table ({@link Constants}): no other file writes their values.
 */
public final class FileFlags {
  public static final int O_ACCMODE = of("O_ACCMODE");
  public static final int O_RDONLY = of("O_RDONLY");
  public static final int O_WRONLY = of("O_WRONLY");
  public static final int O_RDWR = of("O_RDWR");
  public static final int O_CREAT = of("O_CREAT");
  public static final int O_EXCL = of("O_EXCL");
  public static final int O_TRUNC = of("O_TRUNC");
  public static final int O_APPEND = of("O_APPEND");
  public static final int O_NONBLOCK = of("O_NONBLOCK");
  public static final int O_DIRECTORY = of("O_DIRECTORY");
  public static final int O_NOFOLLOW = of("O_NOFOLLOW");
  public static final int O_CLOEXEC = of("O_CLOEXEC");
  public static final int O_PATH = of("O_PATH");
  public static final int O_TMPFILE = of("O_TMPFILE");
  /** {@code O_TMPFILE} without {@code O_DIRECTORY} (the kernel's {@code __O_TMPFILE}): the bit that makes an open a temporary file's. */
  public static final int O_TMPFILE_BIT = O_TMPFILE & ~O_DIRECTORY;
  public static final int AT_FDCWD = of("AT_FDCWD");
  public static final int AT_SYMLINK_NOFOLLOW = of("AT_SYMLINK_NOFOLLOW");
  public static final int AT_REMOVEDIR = of("AT_REMOVEDIR");
  public static final int AT_SYMLINK_FOLLOW = of("AT_SYMLINK_FOLLOW");
  public static final int AT_EMPTY_PATH = of("AT_EMPTY_PATH");

  private FileFlags() {}

  private static int of(String name) {
    return Constants.linux().require(name);
  }
}
