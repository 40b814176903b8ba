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
  private final long bufferAt = Pointer.nativeValue(buffer);
  // Two struct iovec {base, length}: the local one, then the remote one, written through a view.
  private final Memory iov = new Memory(32);
  private final java.nio.ByteBuffer iovView = iov.getByteBuffer(0, 32).order(java.nio.ByteOrder.nativeOrder());
  private final long iovAt = Pointer.nativeValue(iov);

  /**
   * The NUL-terminated string at {@code address} in {@code pid}, at most {@code max} bytes; empty
   * when the memory cannot be read or the string is longer.
   */
  public Optional<byte[]> string(int pid, long address, int max) {
    int read = 0;
    long at = address;
    while (read < max) {
      int chunk = (int) Math.min(PAGE - (at & (PAGE - 1)), max + 1 - read);
      long n;
      try {
        n = read(pid, bufferAt + read, at, chunk);
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
    try {
      long n = read(pid, bufferAt, address, length);
      return n == length ? Optional.of(buffer.getByteArray(0, length)) : Optional.empty();
    } catch (LastErrorException e) {
      return Optional.empty();
    }
  }

  // process_vm_readv of length bytes at address in pid, to local.
  private long read(int pid, long local, long address, int length) {
    iovView.putLong(0, local);
    iovView.putLong(8, length);
    iovView.putLong(16, address);
    iovView.putLong(24, length);
    return Libc.process_vm_readv(pid, iovAt, 1, iovAt + 16, 1, 0);
  }
}
