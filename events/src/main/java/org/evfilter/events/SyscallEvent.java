package org.evfilter.events;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * One syscall as seccomp sees it ({@code struct seccomp_data}: nr, arch, instruction pointer,
 * six unsigned 64-bit arguments) plus what a tracer knows: pid, tid, comm, timestamp, the return
 * value for exits, the strings a tracer read from the caller's memory (argument index to text), and
 * for the calls that name a socket address, the {@link Endpoint} read from it.
 *
 * <p>Unknown tracer facts are 0 (pid, tid), "" (comm) and -1 (timestamp).
 */
public final class SyscallEvent {
  private final int nr;
  private final long auditArch;
  private final long instructionPointer;
  private final long[] args;
  private final int pid;
  private final int tid;
  private final String comm;
  private final long timestampNanos;
  private final OptionalLong ret;
  private final Map<Integer, String> strings;
  private final Optional<Endpoint> endpoint;

  private SyscallEvent(Builder b) {
    this.nr = b.nr;
    this.auditArch = b.auditArch & 0xffffffffL;
    this.instructionPointer = b.instructionPointer;
    this.args = b.args.clone();
    this.pid = b.pid;
    this.tid = b.tid;
    this.comm = Objects.requireNonNull(b.comm, "comm");
    this.timestampNanos = b.timestampNanos;
    this.ret = Objects.requireNonNull(b.ret, "ret");
    this.strings = Map.copyOf(b.strings);
    this.endpoint = Objects.requireNonNull(b.endpoint, "endpoint");
  }

  /** An event of {@code arch} with syscall {@code nr} and the given arguments (missing ones are 0). */
  public static Builder builder(Arch arch, int nr, long... args) {
    return new Builder().arch(arch).nr(nr).args(args);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.nr = nr;
    b.auditArch = auditArch;
    b.instructionPointer = instructionPointer;
    b.args = args.clone();
    b.pid = pid;
    b.tid = tid;
    b.comm = comm;
    b.timestampNanos = timestampNanos;
    b.ret = ret;
    b.strings = strings;
    b.endpoint = endpoint;
    return b;
  }

  /** seccomp_data.nr. */
  public int nr() {
    return nr;
  }

  /** seccomp_data.arch: an {@code AUDIT_ARCH_*} value (unsigned 32-bit). */
  public long auditArch() {
    return auditArch;
  }

  /** The ABI, when the audit arch is one evfilter knows (x32 by bit 30 of nr). */
  public Optional<Arch> arch() {
    return Arch.ofAudit(auditArch, nr);
  }

  /** The syscall in its ABI's table, if known. */
  public Optional<Syscall> syscall() {
    return arch().flatMap(a -> SyscallTable.of(a).byNumber(nr));
  }

  /** seccomp_data.instruction_pointer. */
  public long instructionPointer() {
    return instructionPointer;
  }

  /** seccomp_data.args[i], unsigned 64-bit as the kernel hands it over. */
  public long arg(int i) {
    return args[i];
  }

  /** A copy of the six arguments. */
  public long[] args() {
    return args.clone();
  }

  public int pid() {
    return pid;
  }

  public int tid() {
    return tid;
  }

  public String comm() {
    return comm;
  }

  /** When the event happened, in nanoseconds since the epoch (or the trace clock); -1 unknown. */
  public long timestampNanos() {
    return timestampNanos;
  }

  /** The return value, for syscall exits and traces that recorded it. */
  public OptionalLong ret() {
    return ret;
  }

  /** Strings read from the caller's memory for pointer arguments, by argument index. */
  public Map<Integer, String> strings() {
    return strings;
  }

  /** The string a tracer read for argument {@code i}. */
  public Optional<String> string(int i) {
    return Optional.ofNullable(strings.get(i));
  }

  /** The socket and address the call names, when a tracer or supervisor read it (connect, bind, sendto, sendmsg). */
  public Optional<Endpoint> endpoint() {
    return endpoint;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SyscallEvent e
        && e.nr == nr
        && e.auditArch == auditArch
        && e.instructionPointer == instructionPointer
        && Arrays.equals(e.args, args)
        && e.pid == pid
        && e.tid == tid
        && e.comm.equals(comm)
        && e.timestampNanos == timestampNanos
        && e.ret.equals(ret)
        && e.strings.equals(strings)
        && e.endpoint.equals(endpoint);
  }

  @Override
  public int hashCode() {
    return Objects.hash(nr, auditArch, instructionPointer, Arrays.hashCode(args), pid, tid, comm, timestampNanos, ret, strings, endpoint);
  }

  @Override
  public String toString() {
    String name = syscall().map(Syscall::name).orElse("syscall_" + nr);
    StringBuilder s = new StringBuilder();
    if (pid != 0) {
      s.append(pid).append(' ');
    }
    s.append(name).append('(');
    for (int i = 0; i < 6; i++) {
      s.append(i == 0 ? "" : ", ");
      String str = strings.get(i);
      s.append(str != null ? '"' + str + '"' : "0x" + Long.toHexString(args[i]));
    }
    s.append(')');
    endpoint.ifPresent(a -> s.append(" -> ").append(a));
    ret.ifPresent(r -> s.append(" = ").append(r));
    return s.toString();
  }

  /** Builds events; the arch defaults to x86_64. */
  public static final class Builder {
    private int nr;
    private long auditArch = Arch.X86_64.auditArch();
    private long instructionPointer;
    private long[] args = new long[6];
    private int pid;
    private int tid;
    private String comm = "";
    private long timestampNanos = -1;
    private OptionalLong ret = OptionalLong.empty();
    private Map<Integer, String> strings = Map.of();
    private Optional<Endpoint> endpoint = Optional.empty();

    private Builder() {}

    public Builder nr(int value) {
      this.nr = value;
      return this;
    }

    public Builder arch(Arch arch) {
      this.auditArch = arch.auditArch();
      return this;
    }

    public Builder auditArch(long value) {
      this.auditArch = value;
      return this;
    }

    public Builder instructionPointer(long value) {
      this.instructionPointer = value;
      return this;
    }

    /** Up to six arguments; the rest are 0. */
    public Builder args(long... values) {
      if (values.length > 6) {
        throw new IllegalArgumentException("a syscall has at most 6 arguments, not " + values.length);
      }
      this.args = Arrays.copyOf(values, 6);
      return this;
    }

    public Builder arg(int i, long value) {
      this.args[i] = value;
      return this;
    }

    public Builder pid(int value) {
      this.pid = value;
      return this;
    }

    public Builder tid(int value) {
      this.tid = value;
      return this;
    }

    public Builder comm(String value) {
      this.comm = Objects.requireNonNull(value, "comm");
      return this;
    }

    public Builder timestampNanos(long value) {
      this.timestampNanos = value;
      return this;
    }

    public Builder ret(long value) {
      this.ret = OptionalLong.of(value);
      return this;
    }

    public Builder strings(Map<Integer, String> value) {
      this.strings = value;
      return this;
    }

    public Builder endpoint(Endpoint value) {
      this.endpoint = Optional.of(value);
      return this;
    }

    public SyscallEvent build() {
      return new SyscallEvent(this);
    }
  }
}
