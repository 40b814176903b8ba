package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.EBADF;
import static org.evfilter.events.syscalls.Errno.EINTR;
import static org.evfilter.events.syscalls.Errno.ESRCH;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.natives.Libc;
import org.evfilter.lsm.natives.SeccompListener;

/**
 * A command started under a seccomp program. The JVM never installs a filter on itself: it starts
 * {@code evfilter-launch} (a small static C program shipped in this jar), which resets the signal
 * state it inherited, closes every other descriptor, installs the program on itself and execs the
 * command; when the program defers syscalls, the launcher waits until this process has taken the
 * notification listener with {@code pidfd_getfd} before it execs.
 */
public final class Sandbox implements AutoCloseable {
  private static final long HANDOFF_TIMEOUT_NANOS = 10_000_000_000L;

  private final Process process;
  private final int pid;
  private final SeccompListener listener;
  private final Path work;

  private Sandbox(Process process, int pid, SeccompListener listener, Path work) {
    this.process = process;
    this.pid = pid;
    this.listener = listener;
    this.work = work;
  }

  /**
   * A command {@code evfilter-launch --cached} already started under its program, as this
   * process's child (the launcher exec'd this JVM), with its notification listener inherited as
   * descriptor {@code listenerFd}.
   */
  public static Sandbox attach(int listenerFd, int pid) throws IOException {
    SeccompListener listener = SeccompListener.adopt(listenerFd).orElseThrow(() ->
        new IOException("descriptor " + listenerFd + " is " + SeccompListener.describe(listenerFd) + ", not a seccomp listener"));
    listener.syncWakeUp();
    return new Sandbox(null, pid, listener, null);
  }

  /**
   * Lets a command {@code evfilter-launch --cached} holds run: writes the word it waits for on
   * {@code goFd} and closes it. Throws when the launcher is gone (the command then never runs).
   */
  public static void release(int goFd) throws IOException {
    try {
      Libc.write(goFd, new byte[] {'g'}, 1);
      Libc.close(goFd);
    } catch (LastErrorException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Waits for the command: its exit status, 128 + signal when it was killed (as a shell says). */
  public int waitFor() throws InterruptedException {
    if (process != null) {
      return process.waitFor();
    }
    int[] status = new int[1];
    while (true) {
      try {
        Libc.waitpid(pid, status, 0);
        break;
      } catch (LastErrorException e) {
        if (e.getErrorCode() != EINTR) {
          throw new IllegalStateException("waitpid " + pid + ": " + e.getMessage(), e);
        }
      }
    }
    int s = status[0];
    return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
  }

  /** The launcher's pid, which the command keeps (the launcher execs it). */
  public int pid() {
    return pid;
  }

  /** The notification listener, when the program defers syscalls. */
  public Optional<SeccompListener> listener() {
    return Optional.ofNullable(listener);
  }

  /**
   * Starts {@code command} (found on PATH like a shell does) under {@code program}, with this
   * process's standard streams.
   *
   * @param listen whether the program returns USER_NOTIF anywhere, so a listener is needed
   * @throws IOException when the launcher cannot be started or the handoff fails
   */
  public static Sandbox start(BpfProgram program, boolean listen, List<String> command) throws IOException {
    return start(program, listen, Optional.empty(), command);
  }

  /**
   * As {@link #start(BpfProgram, boolean, List)}, restricting the command first with a Landlock
   * ruleset ({@code org.evfilter.lsm.landlock.LandlockRuleset#serialise}), which the launcher
   * builds and checks before it installs the program.
   */
  public static Sandbox start(BpfProgram program, boolean listen, Optional<byte[]> landlock, List<String> command) throws IOException {
    return start(program, listen, landlock, command, null);
  }

  /** As above, the command's standard output written to {@code stdout} (null: this process's). */
  public static Sandbox start(BpfProgram program, boolean listen, Optional<byte[]> landlock, List<String> command, Path stdout)
      throws IOException {
    return start(program, listen, landlock, Optional.empty(), command, stdout);
  }

  /**
   * As above, the command moved first into the cgroup leaf {@code cgroup} (whose programs decide
   * its socket calls), which it cannot leave.
   */
  public static Sandbox start(BpfProgram program, boolean listen, Optional<byte[]> landlock, Optional<Path> cgroup, List<String> command,
      Path stdout) throws IOException {
    Path work = Files.createTempDirectory("evfilter-run", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path socket = work.resolve("control");
    Path prog = work.resolve("program.bpf");
    Files.write(prog, program.toRaw());
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      List<String> argv = new ArrayList<>(List.of(launcher(work).toString(), "--control=" + socket, "--program=" + prog));
      if (listen) {
        argv.add("--listen");
      }
      if (landlock.isPresent()) {
        Path rules = work.resolve("landlock.rules");
        Files.write(rules, landlock.get());
        argv.add("--landlock=" + rules);
      }
      cgroup.ifPresent(c -> argv.add("--cgroup=" + c));
      argv.add("--");
      argv.addAll(command);
      server.configureBlocking(false);
      ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
      if (stdout != null) {
        pb.redirectOutput(stdout.toFile());
      }
      Process p = pb.start();
      SocketChannel control = accept(server, p);
      try (control) {
        String[] hello = readLine(control).trim().split(" ");
        int pid = Integer.parseInt(hello[0]);
        int fd = Integer.parseInt(hello[1]);
        SeccompListener listener = null;
        if (listen) {
          listener = new SeccompListener(takeListener(pid, fd, p));
          listener.syncWakeUp();
          // The launcher waits for this before it execs (without a listener it does not wait).
          control.write(ByteBuffer.wrap(new byte[] {'g'}));
        }
        return new Sandbox(p, (int) p.pid(), listener, work);
      } catch (IOException | RuntimeException e) {
        p.destroyForcibly();
        throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
      }
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  // The launcher's listener, once it exists: pidfd_getfd until its descriptor appears.
  private static int takeListener(int pid, int fd, Process p) throws IOException {
    int pidfd;
    try {
      pidfd = (int) Libc.syscall(Libc.SYS_PIDFD_OPEN, pid, 0, 0);
    } catch (LastErrorException e) {
      throw new IOException("the launcher ended before the handoff (exit status " + waitQuietly(p)
          + "; a policy that denies read stops it): the command did not run");
    }
    try {
      long deadline = System.nanoTime() + HANDOFF_TIMEOUT_NANOS;
      while (true) {
        try {
          int got = (int) Libc.syscall(Libc.SYS_PIDFD_GETFD, pidfd, fd, 0);
          if (SeccompListener.adopt(got).isEmpty()) {
            String what = SeccompListener.describe(got);
            Libc.close(got);
            throw new IOException("descriptor " + fd + " of the launcher is " + what + ", not a seccomp listener");
          }
          return got;
        } catch (LastErrorException e) {
          if (e.getErrorCode() == ESRCH || !p.isAlive()) {
            throw new IOException("the launcher ended before the handoff (exit status " + waitQuietly(p)
                + "; a policy that denies read stops it): the command did not run");
          }
          if (e.getErrorCode() != EBADF) {
            throw new IOException("cannot take the launcher's listener: " + e.getMessage());
          }
        }
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("the launcher never installed its program (exit status " + (p.isAlive() ? "none: still running" : p.exitValue()) + ")");
        }
        Thread.onSpinWait();
      }
    } finally {
      Libc.close(pidfd);
    }
  }

  private static String readLine(SocketChannel c) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(64);
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        break;
      }
      if (b.position() > 0 && b.get(b.position() - 1) == '\n') {
        break;
      }
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
  }

  // The launcher's connection; it may connect and die (a policy that kills at exec) before we look.
  private static SocketChannel accept(ServerSocketChannel server, Process p) throws IOException {
    long deadline = System.nanoTime() + HANDOFF_TIMEOUT_NANOS;
    while (true) {
      boolean alive = p.isAlive();
      SocketChannel c = server.accept();
      if (c != null) {
        c.configureBlocking(true);
        return c;
      }
      if (!alive) {
        throw new IOException("the launcher ended before the handoff (exit status " + waitQuietly(p) + ")");
      }
      if (System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IOException("the launcher did not connect within " + HANDOFF_TIMEOUT_NANOS / 1_000_000_000L + " s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(50_000);
    }
  }

  private static String waitQuietly(Process p) {
    try {
      return String.valueOf(p.waitFor());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /**
   * The launcher binary, written from the jar into {@code work}, a private directory (0700, created
   * by the caller with a random name): a shared cache in /tmp could be planted by another user.
   */
  public static Path launcher(Path work) throws IOException {
    Path exe = work.resolve("evfilter-launch");
    try (InputStream in = Sandbox.class.getResourceAsStream("evfilter-launch")) {
      if (in == null) {
        throw new IOException("this build has no evfilter-launch (it is compiled with gcc when lsm-bridge is built)");
      }
      Files.copy(in, exe);
    }
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("r-x------"));
    return exe;
  }

  @Override
  public void close() throws IOException {
    if (listener != null) {
      listener.close();
    }
    if (work != null) {
      Files.deleteIfExists(work.resolve("program.bpf"));
      Files.deleteIfExists(work.resolve("landlock.rules"));
      Files.deleteIfExists(work.resolve("evfilter-launch"));
      Files.deleteIfExists(work);
    }
  }
}
