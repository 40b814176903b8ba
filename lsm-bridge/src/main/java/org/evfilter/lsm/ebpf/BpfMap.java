package org.evfilter.lsm.ebpf;

import com.sun.jna.Memory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.evfilter.events.syscalls.Errno;
import org.evfilter.lsm.natives.BpfSyscall;
import org.evfilter.lsm.natives.BpfSyscall.Command;

/**
 * An eBPF map held by its descriptor: created here, read and written from user space with byte
 * arrays of the map's key and value sizes (host order, as the program sees them). A program refers
 * to it by {@link #fd()} through {@link Assembler#ldMapFd}.
 */
public final class BpfMap implements AutoCloseable {
  private static final long ANY = 0;

  private final int fd;
  private final MapType type;
  private final int keySize;
  private final int valueSize;
  private final int maxEntries;
  private boolean closed;

  private BpfMap(int fd, MapType type, int keySize, int valueSize, int maxEntries) {
    this.fd = fd;
    this.type = type;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.maxEntries = maxEntries;
  }

  /**
   * A new map.
   *
   * @param name shown by {@code bpftool map}; cut to 15 characters of {@code [A-Za-z0-9_.]}
   * @throws EbpfException with {@link EbpfError.CallFailed} when the kernel refuses it
   */
  public static BpfMap create(MapType type, int keySize, int valueSize, int maxEntries, String name) {
    int fd = BpfSyscall.mapCreate(type.value(), keySize, valueSize, maxEntries, 0, name);
    return new BpfMap(fd, type, keySize, valueSize, maxEntries);
  }

  /** An array of {@code entries} 64-bit counters (key: a u32 index), zeroed. */
  public static BpfMap counters(MapType type, int entries, String name) {
    if (type != MapType.ARRAY && type != MapType.PERCPU_ARRAY) {
      throw new IllegalArgumentException("counters live in an array, not a " + type);
    }
    return create(type, 4, 8, entries, name);
  }

  /**
   * Why this process cannot use {@code bpf(2)} here (not root, or the kernel refuses a map), or
   * empty when it can: what a caller says before it does without eBPF.
   */
  public static Optional<String> unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("not root");
    }
    try (BpfMap probe = counters(MapType.ARRAY, 1, "evf_probe")) {
      probe.counter(0);
      return Optional.empty();
    } catch (EbpfException e) {
      return Optional.of("bpf(2) refused: " + e.getMessage());
    }
  }

  public int fd() {
    return fd;
  }

  public MapType type() {
    return type;
  }

  public int keySize() {
    return keySize;
  }

  /** The size of one value (of one CPU's value in a per-CPU map). */
  public int valueSize() {
    return valueSize;
  }

  public int maxEntries() {
    return maxEntries;
  }

  /** The kernel's id for it, as {@code bpftool map show id N} takes it and xlated programs name it. */
  public int id() {
    BpfSyscall.MapInfo info = new BpfSyscall.MapInfo();
    BpfSyscall.objInfo(fd, info);
    return info.id;
  }

  /** Sets {@code key} to {@code value} (in a per-CPU map: every CPU's values, one after another, each padded to 8 bytes). */
  public void update(byte[] key, byte[] value) {
    BpfSyscall.mapElem(Command.BPF_MAP_UPDATE_ELEM, fd, memory(key, keySize), memory(value, lookupSize()), ANY);
  }

  /** The value of {@code key}; empty when the map has no such key. */
  public Optional<byte[]> lookup(byte[] key) {
    Memory value = new Memory(lookupSize());
    try {
      BpfSyscall.mapElem(Command.BPF_MAP_LOOKUP_ELEM, fd, memory(key, keySize), value, ANY);
    } catch (EbpfException e) {
      if (BpfSyscall.errno(e) == Errno.ENOENT) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.of(value.getByteArray(0, lookupSize()));
  }

  /** Removes {@code key}; false when there was none. Arrays cannot remove (EINVAL). */
  public boolean delete(byte[] key) {
    try {
      BpfSyscall.mapElem(Command.BPF_MAP_DELETE_ELEM, fd, memory(key, keySize), null, ANY);
      return true;
    } catch (EbpfException e) {
      if (BpfSyscall.errno(e) == Errno.ENOENT) {
        return false;
      }
      throw e;
    }
  }

  /**
   * The 64-bit counter at {@code index} of an array (summed over the CPUs of a per-CPU array).
   */
  public long counter(int index) {
    if (valueSize != 8 || keySize != 4) {
      throw new IllegalStateException("not a map of counters: key " + keySize + " bytes, value " + valueSize);
    }
    byte[] value = lookup(key(index)).orElseThrow(() -> new IllegalArgumentException("no counter " + index));
    ByteBuffer in = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
    long sum = 0;
    while (in.hasRemaining()) {
      sum += in.getLong();
    }
    return sum;
  }

  /** A u32 key in host order. */
  public static byte[] key(int index) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(index).array();
  }

  /** The number of possible CPUs ({@code /sys/devices/system/cpu/possible}): the per-CPU maps' value count. */
  public static int possibleCpus() {
    try {
      String text = Files.readString(Path.of("/sys/devices/system/cpu/possible")).strip();
      int count = 0;
      for (String range : text.split(",")) {
        String[] ends = range.split("-");
        count += ends.length == 1 ? 1 : Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
      }
      return count;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private int lookupSize() {
    return type.perCpu() ? ((valueSize + 7) & ~7) * possibleCpus() : valueSize;
  }

  private static Memory memory(byte[] bytes, int size) {
    if (bytes.length != size) {
      throw new IllegalArgumentException(bytes.length + " bytes where the map takes " + size);
    }
    Memory m = new Memory(size);
    m.write(0, bytes, 0, size);
    return m;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      BpfSyscall.close(fd);
    }
  }
}
