package org.evfilter.lsm.natives;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Optional;

/**
 * Reads strings out of another process with {@code process_vm_readv}: page by page, so a string
 * that ends just before an unmapped page still reads. One instance per supervising thread.
 */
public final class TargetMemory {
  private static final int PAGE = 4096;
  /** PATH_MAX: the kernel refuses longer paths with ENAMETOOLONG. */
  public static final int PATH_MAX = 4096;

  private final Memory buffer = new Memory(PATH_MAX + PAGE);
  // A view for scanning: Memory.getByte is a native call per byte.
  private final java.nio.ByteBuffer view = buffer.getByteBuffer(0, PATH_MAX + PAGE);
  private final Memory iov = new Memory(32);

  /**
   * The NUL-terminated string at {@code address} in {@code pid}, at most {@code max} bytes; empty
   * when the memory cannot be read or the string is longer.
   */
  public Optional<byte[]> string(int pid, long address, int max) {
    int read = 0;
    long at = address;
    while (read < max) {
      int chunk = (int) Math.min(PAGE - (at & (PAGE - 1)), max + 1 - read);
      iov.setPointer(0, buffer.share(read));
      iov.setLong(8, chunk);
      iov.setPointer(16, new Pointer(at));
      iov.setLong(24, chunk);
      long n;
      try {
        n = Libc.process_vm_readv(pid, iov, 1, iov.share(16), 1, 0);
      } catch (LastErrorException e) {
        return Optional.empty();
      }
      if (n <= 0) {
        return Optional.empty();
      }
      for (int i = 0; i < n; i++) {
        if (view.get(read + i) == 0) {
          byte[] out = new byte[read + i];
          view.get(0, out);
          return Optional.of(out);
        }
      }
      read += (int) n;
      at += n;
    }
    return Optional.empty();
  }

  /** {@code length} bytes at {@code address} in {@code pid}, or empty. */
  public Optional<byte[]> bytes(int pid, long address, int length) {
    if (length > buffer.size()) {
      return Optional.empty();
    }
    iov.setPointer(0, buffer);
    iov.setLong(8, length);
    iov.setPointer(16, new Pointer(address));
    iov.setLong(24, length);
    try {
      long n = Libc.process_vm_readv(pid, iov, 1, iov.share(16), 1, 0);
      return n == length ? Optional.of(buffer.getByteArray(0, length)) : Optional.empty();
    } catch (LastErrorException e) {
      return Optional.empty();
    }
  }
}
