package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.evfilter.lsm.service.Service;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code evfilter serve}: the object manager as a long-lived service for launchers and container runtimes. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the object manager as a service (root, in the foreground, one log line per event on stderr).",
      "On one unix socket (mode 0600; peers must be root or this user, checked with SO_PEERCRED) it supervises,"
          + " each on a thread of its own with its own supervisor (policy, labels, AVC, statistics, audit log):"
          + " `evfilter run`, whose launcher hands over its command's seccomp listener when the socket exists"
          + " (the command then starts without a JVM of its own); and containers, whose runtime (runc, crun)"
          + " sends their listener to the profile's listenerPath with listenerMetadata NAME: the policy is"
          + " DIR/NAME.evf, paths are resolved in the container's root.",
      "SIGTERM stops it: the socket is removed, every listener closed, and the supervised calls of live"
          + " sandboxes then fail with ENOSYS (fail closed). Under systemd socket activation (LISTEN_FDS) it"
          + " serves descriptor 3.",
      ""
    },
    footer = {"", "Examples:",
      "  evfilter serve",
      "  evfilter serve --socket /tmp/ev.sock --policies ./policies --max-sandboxes 16",
      "  EVFILTER_SOCKET=/tmp/ev.sock ./evfilter run --policy P.evf -- cat FILE",
      "", "Exit status: 0 stopped by SIGTERM; 2 not root, or the socket cannot be made."})
final class ServeCommand implements Callable<Integer> {
  /** The socket's default path (the systemd units' too). */
  static final Path DEFAULT_SOCKET = Path.of("/run/evfilter/evfilter.sock");
  private static final Duration HANDSHAKE = Duration.ofSeconds(5);
  private static final int MAX_MESSAGE = 1 << 20;

  @Spec CommandSpec spec;

  @Option(names = "--socket", paramLabel = "PATH", description = "The socket (default: ${DEFAULT-VALUE}).")
  Path socket = DEFAULT_SOCKET;

  @Option(names = "--policies", paramLabel = "DIR", description = "Containers' policies, NAME.evf (default: ${DEFAULT-VALUE}).")
  Path policies = Path.of("/etc/evfilter/policies");

  @Option(names = "--max-sandboxes", paramLabel = "N", defaultValue = "256",
      description = "Sandboxes supervised at once, at most (default: ${DEFAULT-VALUE}); more are turned away.")
  int maxSandboxes;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
      err.println("evfilter serve: must run as root (it opens objects and answers syscalls for every sandbox's tasks)");
      return Main.ENVIRONMENT_ERROR;
    }
    if (maxSandboxes < 1) {
      err.println("evfilter serve: --max-sandboxes must be at least 1");
      return Main.INPUT_ERROR;
    }
    Service service;
    try {
      service = Service.open(new Service.Options(socket, policies, maxSandboxes, HANDSHAKE, MAX_MESSAGE), new ServicePolicies(),
          line -> {
            err.println("evfilter serve: " + line);
            err.flush();
          });
    } catch (IOException e) {
      err.println("evfilter serve: cannot listen on " + socket + ": " + e.getMessage());
      return Main.ENVIRONMENT_ERROR;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.stop();
      err.flush();
      Runtime.getRuntime().halt(0); // stopped as asked: a clean exit, not 143
    }, "evfilter-serve-stop"));
    err.println("evfilter serve: listening on " + socket);
    err.flush();
    service.serve();
    return 0;
  }
}
