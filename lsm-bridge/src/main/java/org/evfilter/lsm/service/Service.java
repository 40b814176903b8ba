package org.evfilter.lsm.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.lsm.natives.Structs;
import org.evfilter.lsm.natives.UnixSocket;

/**
 * The long-lived object manager: one unix socket on which evfilter's launcher and container
 * runtimes (runc, crun: the OCI seccomp agent protocol) hand over seccomp listeners, each
 * supervised on a thread of its own by a supervisor of its own (policy, labels, AVC, statistics,
 * audit log), so that a sandbox that floods notifications, blocks in an open or dies delays no
 * other. Peers must be root or the service's own user ({@code SO_PEERCRED}). A connection has
 * {@link Options#handshake} to say what it wants, in at most {@link Options#maxMessage} bytes.
 */
public final class Service {
  /**
   * Where and how: the socket, the container policies' directory, the most sandboxes supervised at
   * once, how long a peer may take to say what it wants, the largest opening message.
   */
  public record Options(Path socket, Path policies, int maxSandboxes, Duration handshake, int maxMessage) {}

  private final Options options;
  private final Policies policies;
  private final Consumer<String> log;
  private final UnixSocket socket;
  private final Optional<Path> made;
  private final int ownUid;
  private final Map<Long, SeccompListener> live = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger handshakes = new AtomicInteger();
  private volatile boolean stopping;

  private Service(Options options, Policies policies, Consumer<String> log, UnixSocket socket, Optional<Path> made) throws IOException {
    this.options = options;
    this.policies = policies;
    this.log = log;
    this.socket = socket;
    this.made = made;
    this.ownUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /**
   * The service on the socket systemd passed (socket activation: {@code LISTEN_PID} names this
   * process and {@code LISTEN_FDS} is at least 1: descriptor 3), else on a socket it makes at {@code
   * options.socket()} (mode 0600, its directory made 0700 when missing; a stale socket nobody
   * answers on replaced).
   */
  public static Service open(Options options, Policies policies, Consumer<String> log) throws IOException {
    String pid = System.getenv("LISTEN_PID");
    String fds = System.getenv("LISTEN_FDS");
    if (pid != null && fds != null && pid.equals(String.valueOf(ProcessHandle.current().pid())) && Integer.parseInt(fds) >= 1) {
      return new Service(options, policies, log, UnixSocket.inherited(3), Optional.empty());
    }
    Path path = options.socket().toAbsolutePath();
    Path dir = path.getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      boolean answers;
      try {
        UnixSocket.connected(path).close();
        answers = true;
      } catch (IOException e) {
        answers = false;
      }
      if (answers) {
        throw new IOException("another service listens on " + path);
      }
      Files.delete(path); // nobody answers: a service that died left it
    }
    // Bound under a temporary name, made 0600, then renamed: never reachable with a wider mode.
    Path temporary = dir.resolve("." + path.getFileName() + "." + ProcessHandle.current().pid());
    Files.deleteIfExists(temporary);
    UnixSocket s = UnixSocket.listening(temporary, 64);
    try {
      Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
      Files.move(temporary, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      s.close();
      Files.deleteIfExists(temporary);
      throw e;
    }
    return new Service(options, policies, log, s, Optional.of(path));
  }

  /** Accepts connections until {@link #stop}; each is handled on a thread of its own. */
  public void serve() {
    while (!stopping) {
      UnixSocket peer;
      try {
        peer = socket.accept();
      } catch (IOException e) {
        if (stopping) {
          return;
        }
        log.accept("accept failed: " + e.getMessage());
        continue;
      }
      admit(peer);
    }
  }

  private void admit(UnixSocket peer) {
    Structs.Ucred cred;
    try {
      cred = peer.peer();
    } catch (IOException e) {
      log.accept("refused a client: " + e.getMessage());
      peer.close();
      return;
    }
    String who = "client pid " + cred.pid + " uid " + cred.uid;
    if (cred.uid != 0 && cred.uid != ownUid) {
      log.accept("refused " + who + ": only root" + (ownUid == 0 ? "" : " and uid " + ownUid) + " may hand over sandboxes");
      peer.close();
      return;
    }
    if (handshakes.incrementAndGet() > Math.max(16, options.maxSandboxes())) {
      handshakes.decrementAndGet();
      log.accept("refused " + who + ": too many connections are still saying what they want");
      peer.close();
      return;
    }
    Session session = new Session(this, peer, cred, who);
    Thread t = new Thread(session::run, "evfilter-session-" + cred.pid);
    t.setDaemon(true);
    t.start();
  }

  /**
   * Stops: no more connections, the socket it made removed, every listener closed (the process
   * ends right after, which releases them): the supervised calls of live sandboxes then fail with
   * ENOSYS, as the log says.
   */
  public void stop() {
    stopping = true;
    socket.shutdown();
    socket.close();
    made.ifPresent(p -> {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        log.accept("cannot remove " + p + ": " + e.getMessage());
      }
    });
    int n = live.size();
    live.values().forEach(SeccompListener::close);
    log.accept("stopped: no longer listening; " + (n == 0 ? "no sandbox was live"
        : n + " live sandbox" + (n == 1 ? "" : "es") + " lost " + (n == 1 ? "its" : "their")
            + " supervisor: their supervised calls now fail with ENOSYS"));
  }

  /** How many sandboxes are supervised now. */
  public int live() {
    return live.size();
  }

  Options options() {
    return options;
  }

  Policies policies() {
    return policies;
  }

  void log(String line) {
    log.accept(line);
  }

  void handshakeDone() {
    handshakes.decrementAndGet();
  }

  /** A new sandbox's id, or empty when {@link Options#maxSandboxes} are live. */
  Optional<Long> register(SeccompListener listener) {
    synchronized (live) {
      if (stopping || live.size() >= options.maxSandboxes()) {
        return Optional.empty();
      }
      long id = ids.incrementAndGet();
      live.put(id, listener);
      return Optional.of(id);
    }
  }

  void unregister(long id) {
    live.remove(id);
  }
}
