package org.evfilter.lsm.natives;

import static org.evfilter.events.syscalls.Errno.ERANGE;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.evfilter.predicates.labels.XattrReader;

/**
 * Extended attributes of every namespace through libc's {@code lgetxattr(2)}, so that labels come
 * from {@code security.selinux} too (the JDK reads only {@code user.*}).
 */
public final class LinuxXattrs implements XattrReader {
  private static final boolean AVAILABLE = register();

  private static boolean register() {
    try {
      Native.register("c");
      return true;
    } catch (UnsatisfiedLinkError e) {
      return false;
    }
  }

  // ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size); size_t is 8 bytes
  // on the 64-bit ABIs evfilter runs on.
  private static native long lgetxattr(String path, String name, byte[] value, long size) throws LastErrorException;

  private static native long getxattr(String path, String name, byte[] value, long size) throws LastErrorException;

  private static native long llistxattr(String path, byte[] list, long size) throws LastErrorException;

  /**
   * Whether the object at {@code path} (not following a final symlink) may carry one of {@code
   * names}: one {@code llistxattr} call, so a tree of files without xattrs is scanned without
   * reading any (true when the list cannot be read: the caller reads the attributes themselves).
   */
  public static boolean mayCarry(Path path, java.util.List<String> names) {
    if (!AVAILABLE) {
      return true;
    }
    byte[] buf = new byte[1024];
    try {
      long n = llistxattr(path.toString(), buf, buf.length);
      if (n == 0) {
        return false;
      }
      String list = new String(buf, 0, (int) n, java.nio.charset.StandardCharsets.ISO_8859_1);
      for (String name : names) {
        if (list.startsWith(name + "\0") || list.contains("\0" + name + "\0")) {
          return true;
        }
      }
      return false;
    } catch (LastErrorException e) {
      return e.getErrorCode() == ERANGE; // ENOTSUP, ENOENT: nothing to read; ERANGE: many, read them
    }
  }

  /** A reader, or {@link XattrReader#USER_ONLY} where libc cannot be linked. */
  public static XattrReader reader() {
    return AVAILABLE ? new LinuxXattrs() : XattrReader.USER_ONLY;
  }

  private LinuxXattrs() {}

  @Override
  public Optional<byte[]> read(Path file, String name) {
    return read(buf -> lgetxattr(file.toString(), name, buf, buf.length));
  }

  // fgetxattr refuses O_PATH descriptors (EBADF): follow /proc/self/fd/N to the object instead.
  @Override
  public Optional<byte[]> readOpen(int fd, String name) {
    String link = "/proc/self/fd/" + fd;
    return read(buf -> getxattr(link, name, buf, buf.length));
  }

  private interface Call {
    long into(byte[] buf);
  }

  private static Optional<byte[]> read(Call call) {
    byte[] buf = new byte[256];
    for (int attempt = 0; attempt < 4; attempt++) {
      try {
        long n = call.into(buf);
        return Optional.of(Arrays.copyOf(buf, (int) n));
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ERANGE) {
          buf = new byte[buf.length * 16];
          continue;
        }
        // ENODATA: no such attribute; ENOTSUP, ENOENT, EACCES: nothing to read here either.
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
