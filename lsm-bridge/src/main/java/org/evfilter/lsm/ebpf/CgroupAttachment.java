package org.evfilter.lsm.ebpf;

import com.sun.jna.LastErrorException;
import java.nio.file.Path;
import org.evfilter.events.syscalls.FileFlags;
import org.evfilter.lsm.natives.BpfSyscall;
import org.evfilter.lsm.natives.BpfSyscall.Command;
import org.evfilter.lsm.natives.Libc;

/**
 * A program attached to a cgroup v2 directory at its hook; it runs for every task in that cgroup
 * and its descendants. {@link #close()} detaches it. Two ways to attach, with different lifetimes:
 * a {@linkplain #link link} lives as long as its descriptor (a killed attacher detaches by dying);
 * a {@linkplain #attach plain attachment} stays until detached or the cgroup is removed (what a
 * launcher that execs needs).
 */
public final class CgroupAttachment implements AutoCloseable {
  private static final int ALLOW_MULTI = 2;

  private final int cgroupFd;
  private final int programFd;
  private final int linkFd;
  private final AttachType hook;
  private boolean closed;

  private CgroupAttachment(int cgroupFd, int programFd, int linkFd, AttachType hook) {
    this.cgroupFd = cgroupFd;
    this.programFd = programFd;
    this.linkFd = linkFd;
    this.hook = hook;
  }

  /**
   * Attaches with {@code BPF_PROG_ATTACH} (multi: other programs at the same hook, a parent's
   * included, run too, and all must allow). The program stays attached after this process exits.
   */
  public static CgroupAttachment attach(Path cgroup, LoadedProgram program, AttachType hook) {
    int dir = open(cgroup);
    try {
      BpfSyscall.progAttach(Command.BPF_PROG_ATTACH, dir, program.fd(), hook.value(), ALLOW_MULTI);
    } catch (EbpfException e) {
      BpfSyscall.close(dir);
      throw e;
    }
    return new CgroupAttachment(dir, program.fd(), -1, hook);
  }

  /** Attaches with {@code BPF_LINK_CREATE}: detached when the link's last descriptor closes. */
  public static CgroupAttachment link(Path cgroup, LoadedProgram program, AttachType hook) {
    int dir = open(cgroup);
    try {
      int link = BpfSyscall.linkCreate(program.fd(), dir, hook.value());
      return new CgroupAttachment(dir, program.fd(), link, hook);
    } catch (EbpfException e) {
      BpfSyscall.close(dir);
      throw e;
    }
  }

  public AttachType hook() {
    return hook;
  }

  /** Whether this is a link (detached by closing) rather than a plain attachment. */
  public boolean isLink() {
    return linkFd >= 0;
  }

  /**
   * Lets go of the attachment without detaching: a plain attachment then stays as long as the
   * cgroup (removing the cgroup detaches it), a link as long as another holder of its descriptor.
   */
  public void release() {
    if (!closed) {
      closed = true;
      BpfSyscall.close(cgroupFd);
      if (linkFd >= 0) {
        BpfSyscall.close(linkFd);
      }
    }
  }

  /** Detaches the program (the program's descriptor, held by the caller, stays open). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (linkFd >= 0) {
        BpfSyscall.close(linkFd);
      } else {
        BpfSyscall.progAttach(Command.BPF_PROG_DETACH, cgroupFd, programFd, hook.value(), 0);
      }
    } finally {
      BpfSyscall.close(cgroupFd);
    }
  }

  private static int open(Path cgroup) {
    try {
      return Libc.openat(FileFlags.AT_FDCWD, Libc.c(cgroup.toString()), FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw new EbpfException(new EbpfError.CallFailed("open " + cgroup, e.getErrorCode()));
    }
  }
}
