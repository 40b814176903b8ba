package org.evfilter.lsm.natives;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.ebpf.EbpfError;
import org.evfilter.lsm.ebpf.EbpfException;

/**
 * {@code bpf(2)} and the {@code perf_event_open(2)} calls that attach a program to a tracepoint:
 * the one home of their syscall numbers, commands, attribute layouts and ioctls. {@code union
 * bpf_attr} is passed as the structure of the one member a command reads, zeroed, with its own
 * size: the kernel zero-fills the rest of the union. Failures throw {@link EbpfException} with
 * {@link EbpfError.CallFailed} naming the command.
 */
public final class BpfSyscall {
  private static final long SYS_BPF = number("bpf");
  private static final long SYS_PERF_EVENT_OPEN = number("perf_event_open");

  /** The {@code bpf(2)} commands evfilter uses ({@code enum bpf_cmd}). */
  public enum Command {
    BPF_MAP_CREATE(0),
    BPF_MAP_LOOKUP_ELEM(1),
    BPF_MAP_UPDATE_ELEM(2),
    BPF_MAP_DELETE_ELEM(3),
    BPF_PROG_LOAD(5),
    BPF_PROG_ATTACH(8),
    BPF_PROG_DETACH(9),
    BPF_OBJ_GET_INFO_BY_FD(15),
    BPF_LINK_CREATE(28),
    BPF_LINK_DETACH(34);

    final int value;

    Command(int value) {
      this.value = value;
    }
  }

  private static final int PERF_TYPE_TRACEPOINT = 2;
  private static final int PERF_FLAG_FD_CLOEXEC = 8;
  private static final long PERF_EVENT_IOC_ENABLE = 0x2400;
  private static final long PERF_EVENT_IOC_DISABLE = 0x2401;
  private static final long PERF_EVENT_IOC_SET_BPF = 0x40042408L;
  private static final int OBJ_NAME_LEN = 16;

  private BpfSyscall() {}

  /** The {@code map_create} member of {@code union bpf_attr}, up to the map's name. */
  @FieldOrder({"map_type", "key_size", "value_size", "max_entries", "map_flags", "inner_map_fd", "numa_node", "map_name"})
  public static final class MapCreateAttr extends Structure {
    public int map_type;
    public int key_size;
    public int value_size;
    public int max_entries;
    public int map_flags;
    public int inner_map_fd;
    public int numa_node;
    public byte[] map_name = new byte[OBJ_NAME_LEN];
  }

  /** The member of the map element commands: the map, pointers to key and value, flags. */
  @FieldOrder({"map_fd", "pad", "key", "value", "flags"})
  public static final class MapElemAttr extends Structure {
    public int map_fd;
    public int pad;
    public long key;
    public long value;
    public long flags;
  }

  /** The {@code prog_load} member, up to {@code expected_attach_type}. */
  @FieldOrder({"prog_type", "insn_cnt", "insns", "license", "log_level", "log_size", "log_buf", "kern_version", "prog_flags",
      "prog_name", "prog_ifindex", "expected_attach_type"})
  public static final class ProgLoadAttr extends Structure {
    public int prog_type;
    public int insn_cnt;
    public long insns;
    public long license;
    public int log_level;
    public int log_size;
    public long log_buf;
    public int kern_version;
    public int prog_flags;
    public byte[] prog_name = new byte[OBJ_NAME_LEN];
    public int prog_ifindex;
    public int expected_attach_type;
  }

  /** The member of {@code BPF_PROG_ATTACH} and {@code BPF_PROG_DETACH}. */
  @FieldOrder({"target_fd", "attach_bpf_fd", "attach_type", "attach_flags", "replace_bpf_fd"})
  public static final class ProgAttachAttr extends Structure {
    public int target_fd;
    public int attach_bpf_fd;
    public int attach_type;
    public int attach_flags;
    public int replace_bpf_fd;
  }

  /** The {@code link_create} member, without the per-type extensions. */
  @FieldOrder({"prog_fd", "target_fd", "attach_type", "flags"})
  public static final class LinkCreateAttr extends Structure {
    public int prog_fd;
    public int target_fd;
    public int attach_type;
    public int flags;
  }

  /** The {@code info} member of {@code BPF_OBJ_GET_INFO_BY_FD}. */
  @FieldOrder({"bpf_fd", "info_len", "info"})
  public static final class InfoAttr extends Structure {
    public int bpf_fd;
    public int info_len;
    public long info;
  }

  /** {@code struct bpf_prog_info}, up to the name. */
  @FieldOrder({"type", "id", "tag", "jited_prog_len", "xlated_prog_len", "jited_prog_insns", "xlated_prog_insns", "load_time",
      "created_by_uid", "nr_map_ids", "map_ids", "name"})
  public static final class ProgInfo extends Structure {
    public int type;
    public int id;
    public byte[] tag = new byte[8];
    public int jited_prog_len;
    public int xlated_prog_len;
    public long jited_prog_insns;
    public long xlated_prog_insns;
    public long load_time;
    public int created_by_uid;
    public int nr_map_ids;
    public long map_ids;
    public byte[] name = new byte[OBJ_NAME_LEN];
  }

  /** {@code struct bpf_map_info}, up to the name. */
  @FieldOrder({"type", "id", "key_size", "value_size", "max_entries", "map_flags", "name"})
  public static final class MapInfo extends Structure {
    public int type;
    public int id;
    public int key_size;
    public int value_size;
    public int max_entries;
    public int map_flags;
    public byte[] name = new byte[OBJ_NAME_LEN];
  }

  /** {@code struct perf_event_attr} in its first published size ({@code PERF_ATTR_SIZE_VER0}, 64 bytes). */
  @FieldOrder({"type", "size", "config", "sample_period", "sample_type", "read_format", "flags", "wakeup_events", "bp_type",
      "config1"})
  public static final class PerfEventAttr extends Structure {
    public int type;
    public int size;
    public long config;
    public long sample_period;
    public long sample_type;
    public long read_format;
    public long flags;
    public int wakeup_events;
    public int bp_type;
    public long config1;
  }

  /** {@code bpf(cmd, attr, sizeof attr)}: the attribute written, the call made, the attribute read back. */
  public static int bpf(Command cmd, Structure attr) {
    attr.write();
    try {
      return (int) Libc.syscall(SYS_BPF, cmd.value, Pointer.nativeValue(attr.getPointer()), attr.size());
    } catch (LastErrorException e) {
      throw new EbpfException(new EbpfError.CallFailed(cmd.name(), e.getErrorCode()));
    } finally {
      attr.read();
    }
  }

  /** The errno of a failed call that may fail in an expected way (a lookup of a missing key: ENOENT). */
  public static int errno(EbpfException e) {
    return e.error() instanceof EbpfError.CallFailed f ? f.errno() : -1;
  }

  /**
   * A name as the kernel takes an object name: at most 15 bytes of letters, digits, {@code _} and
   * {@code .} (anything else is refused with EINVAL, so it becomes {@code _}).
   */
  public static byte[] objectName(String name) {
    byte[] bytes = name.replaceAll("[^A-Za-z0-9_.]", "_").getBytes(StandardCharsets.US_ASCII);
    return Arrays.copyOf(bytes, Math.min(bytes.length, OBJ_NAME_LEN - 1));
  }

  private static void setName(byte[] field, String name) {
    byte[] n = objectName(name);
    System.arraycopy(n, 0, field, 0, n.length);
  }

  /** A new map; its descriptor. */
  public static int mapCreate(int type, int keySize, int valueSize, int maxEntries, int flags, String name) {
    MapCreateAttr a = new MapCreateAttr();
    a.map_type = type;
    a.key_size = keySize;
    a.value_size = valueSize;
    a.max_entries = maxEntries;
    a.map_flags = flags;
    setName(a.map_name, name);
    return bpf(Command.BPF_MAP_CREATE, a);
  }

  /** A map element command on {@code key} and {@code value} (null where the command takes none). */
  public static void mapElem(Command cmd, int fd, Memory key, Memory value, long flags) {
    MapElemAttr a = new MapElemAttr();
    a.map_fd = fd;
    a.key = Pointer.nativeValue(key);
    a.value = value == null ? 0 : Pointer.nativeValue(value);
    a.flags = flags;
    bpf(cmd, a);
  }

  /**
   * Loads a program; its descriptor.
   *
   * @param log where the verifier writes its log, or null for no log (level 0)
   */
  public static int progLoad(int type, byte[] insns, int expectedAttachType, String name, Memory log) {
    Memory code = new Memory(insns.length);
    code.write(0, insns, 0, insns.length);
    Memory license = new Memory(4);
    license.setString(0, "GPL", "US-ASCII");
    ProgLoadAttr a = new ProgLoadAttr();
    a.prog_type = type;
    a.insn_cnt = insns.length / 8;
    a.insns = Pointer.nativeValue(code);
    a.license = Pointer.nativeValue(license);
    a.expected_attach_type = expectedAttachType;
    setName(a.prog_name, name);
    if (log != null) {
      log.clear();
      a.log_level = 1;
      a.log_size = (int) Math.min(log.size(), Integer.MAX_VALUE);
      a.log_buf = Pointer.nativeValue(log);
    }
    try {
      return bpf(Command.BPF_PROG_LOAD, a);
    } finally {
      Reference.reachabilityFence(code);
      Reference.reachabilityFence(license);
    }
  }

  /** {@code BPF_PROG_ATTACH} or {@code BPF_PROG_DETACH} of a program to a cgroup. */
  public static void progAttach(Command cmd, int targetFd, int progFd, int attachType, int flags) {
    ProgAttachAttr a = new ProgAttachAttr();
    a.target_fd = targetFd;
    a.attach_bpf_fd = progFd;
    a.attach_type = attachType;
    a.attach_flags = flags;
    bpf(cmd, a);
  }

  /** A link of a program to a target; its descriptor (closing the last one detaches). */
  public static int linkCreate(int progFd, int targetFd, int attachType) {
    LinkCreateAttr a = new LinkCreateAttr();
    a.prog_fd = progFd;
    a.target_fd = targetFd;
    a.attach_type = attachType;
    return bpf(Command.BPF_LINK_CREATE, a);
  }

  /** Fills {@code info} ({@link ProgInfo} or {@link MapInfo}, its pointers set by the caller) for a descriptor. */
  public static void objInfo(int fd, Structure info) {
    info.write();
    InfoAttr a = new InfoAttr();
    a.bpf_fd = fd;
    a.info_len = info.size();
    a.info = Pointer.nativeValue(info.getPointer());
    bpf(Command.BPF_OBJ_GET_INFO_BY_FD, a);
    info.read();
  }

  /** A perf event on the tracepoint with id {@code id} (any process, CPU 0: a tracepoint's program runs on every CPU). */
  public static int perfEventOpenTracepoint(long id) {
    PerfEventAttr a = new PerfEventAttr();
    a.type = PERF_TYPE_TRACEPOINT;
    a.size = a.size();
    a.config = id;
    a.sample_period = 1;
    a.wakeup_events = 1;
    a.write();
    try {
      return (int) Libc.syscall(SYS_PERF_EVENT_OPEN, Pointer.nativeValue(a.getPointer()), -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
    } catch (LastErrorException e) {
      throw new EbpfException(new EbpfError.CallFailed("perf_event_open", e.getErrorCode()));
    }
  }

  /** Runs {@code progFd} on every hit of the perf event, then enables it. */
  public static void perfAttachBpf(int perfFd, int progFd) {
    ioctl(perfFd, PERF_EVENT_IOC_SET_BPF, progFd, "PERF_EVENT_IOC_SET_BPF");
    ioctl(perfFd, PERF_EVENT_IOC_ENABLE, 0, "PERF_EVENT_IOC_ENABLE");
  }

  /** Stops the perf event (its program runs no more). */
  public static void perfDisable(int perfFd) {
    ioctl(perfFd, PERF_EVENT_IOC_DISABLE, 0, "PERF_EVENT_IOC_DISABLE");
  }

  /** Closes a descriptor this class returned. */
  public static void close(int fd) {
    try {
      Libc.close(fd);
    } catch (LastErrorException e) {
      throw new EbpfException(new EbpfError.CallFailed("close", e.getErrorCode()));
    }
  }

  private static void ioctl(int fd, long request, long arg, String name) {
    try {
      Libc.ioctl(fd, request, arg);
    } catch (LastErrorException e) {
      throw new EbpfException(new EbpfError.CallFailed(name, e.getErrorCode()));
    }
  }

  private static long number(String name) {
    return SyscallTable.of(Arch.X86_64).byName(name).orElseThrow(() -> new IllegalStateException("no syscall " + name)).nr();
  }
}
