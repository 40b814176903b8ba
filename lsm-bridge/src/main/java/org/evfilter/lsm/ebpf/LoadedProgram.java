package org.evfilter.lsm.ebpf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.evfilter.lsm.natives.BpfSyscall;

/**
 * A program the kernel has verified and holds, by its descriptor. Closing the descriptor frees the
 * program unless it is still attached somewhere ({@link CgroupAttachment#attach} keeps it).
 */
public final class LoadedProgram implements AutoCloseable {
  /** The verifier log buffer of a refused load: large, because the log of a long program is. */
  private static final long LOG_BYTES = 16L << 20;

  private final int fd;
  private final String name;
  private final ProgramType type;
  private final Optional<AttachType> attachType;
  private final Program program;
  private boolean closed;

  private LoadedProgram(int fd, String name, ProgramType type, Optional<AttachType> attachType, Program program) {
    this.fd = fd;
    this.name = name;
    this.type = type;
    this.attachType = attachType;
    this.program = program;
  }

  /** Loads a program for a cgroup hook (its program type is the hook's). */
  public static LoadedProgram load(Program program, AttachType hook, String name) {
    return load(program, hook.programType(), Optional.of(hook), name);
  }

  /** Loads a program of a type that needs no hook at load time (a tracepoint program). */
  public static LoadedProgram load(Program program, ProgramType type, String name) {
    return load(program, type, Optional.empty(), name);
  }

  /**
   * Loads a program under the license "GPL" (some helpers need it). It is loaded once without a
   * log, which is the fast path; when refused it is loaded again with the verifier's log, which is
   * read into the error.
   *
   * @param name shown by {@code bpftool prog}; cut to 15 characters of {@code [A-Za-z0-9_.]}
   * @throws EbpfException with {@link EbpfError.VerifierRefused} naming the refused instruction and
   *     its origin, or {@link EbpfError.CallFailed} when the load failed before verification
   */
  public static LoadedProgram load(Program program, ProgramType type, Optional<AttachType> hook, String name) {
    Objects.requireNonNull(name);
    int expected = hook.map(AttachType::value).orElse(0);
    byte[] code = program.bytes();
    try {
      return new LoadedProgram(BpfSyscall.progLoad(type.value(), code, expected, name, null), name, type, hook, program);
    } catch (EbpfException refused) {
      int errno = BpfSyscall.errno(refused);
      Memory log = new Memory(LOG_BYTES);
      try {
        int fd = BpfSyscall.progLoad(type.value(), code, expected, name, log);
        return new LoadedProgram(fd, name, type, hook, program);
      } catch (EbpfException again) {
        String text = log.getString(0, "US-ASCII");
        if (text.isBlank()) {
          throw refused; // refused before the verifier ran: EPERM, E2BIG, a bad attach type
        }
        throw new EbpfException(VerifierLog.refusal(name, program, errno, text));
      }
    }
  }

  public int fd() {
    return fd;
  }

  public String name() {
    return name;
  }

  public ProgramType type() {
    return type;
  }

  /** The hook it was loaded for, if any. */
  public Optional<AttachType> attachType() {
    return attachType;
  }

  /** The program as it was handed to the kernel, with its origins. */
  public Program program() {
    return program;
  }

  /** The kernel's id for it, as {@code bpftool prog show id N} takes it. */
  public int id() {
    BpfSyscall.ProgInfo info = new BpfSyscall.ProgInfo();
    BpfSyscall.objInfo(fd, info);
    return info.id;
  }

  /**
   * The program as the kernel runs it after verification ({@code bpftool prog dump xlated}): context
   * accesses rewritten, map descriptors replaced by map ids, helper calls by addresses.
   */
  public List<Instruction> xlated() {
    BpfSyscall.ProgInfo size = new BpfSyscall.ProgInfo();
    BpfSyscall.objInfo(fd, size);
    Memory buf = new Memory(Math.max(size.xlated_prog_len, 8));
    BpfSyscall.ProgInfo info = new BpfSyscall.ProgInfo();
    info.xlated_prog_len = size.xlated_prog_len;
    info.xlated_prog_insns = Pointer.nativeValue(buf);
    BpfSyscall.objInfo(fd, info);
    return Instruction.decode(buf.getByteArray(0, info.xlated_prog_len));
  }

  /** Releases this descriptor; the program stays in the kernel while something is attached. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      BpfSyscall.close(fd);
    }
  }
}
