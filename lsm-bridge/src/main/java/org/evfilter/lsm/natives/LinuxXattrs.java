package org.evfilter.lsm.natives;

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
  private static final int ERANGE = 34;
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
