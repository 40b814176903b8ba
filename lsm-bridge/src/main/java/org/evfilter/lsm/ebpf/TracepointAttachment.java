package org.evfilter.lsm.ebpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.evfilter.lsm.natives.BpfSyscall;

/**
 * A {@link ProgramType#TRACEPOINT} program running on every hit of one tracepoint, through a perf
 * event ({@code perf_event_open(PERF_TYPE_TRACEPOINT)}, {@code PERF_EVENT_IOC_SET_BPF}, enable).
 * It runs in every task on every CPU; the program filters (by {@code bpf_get_current_pid_tgid}).
 * Closing disables the event and closes it, which detaches the program; so does the process's death.
 */
public final class TracepointAttachment implements AutoCloseable {
  private final int perfFd;
  private boolean closed;

  private TracepointAttachment(int perfFd) {
    this.perfFd = perfFd;
  }

  /**
   * The id of a tracepoint, from {@code events/SYSTEM/EVENT/id} of a mounted tracefs. Ids are
   * global: a tracefs mounted in a private mount namespace gives the same ones.
   */
  public static long eventId(Path tracefs, String system, String event) {
    try {
      return Long.parseLong(Files.readString(tracefs.resolve("events").resolve(system).resolve(event).resolve("id")).strip());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code program} on every hit of the tracepoint {@code eventId}. */
  public static TracepointAttachment attach(LoadedProgram program, long eventId) {
    if (program.type() != ProgramType.TRACEPOINT) {
      throw new IllegalArgumentException(program.name() + " is a " + program.type() + " program, not a tracepoint one");
    }
    int fd = BpfSyscall.perfEventOpenTracepoint(eventId);
    try {
      BpfSyscall.perfAttachBpf(fd, program.fd());
    } catch (EbpfException e) {
      BpfSyscall.close(fd);
      throw e;
    }
    return new TracepointAttachment(fd);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      BpfSyscall.perfDisable(perfFd);
    } finally {
      BpfSyscall.close(perfFd);
    }
  }
}
