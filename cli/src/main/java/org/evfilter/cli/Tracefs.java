package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Getting at tracefs from a command: root, and a private mount namespace when it is not mounted. */
final class Tracefs {
  /** Set in the environment of the evfilter re-run inside the private mount namespace. */
  static final String NAMESPACE_MARK = "EVFILTER_TRACEFS_NS";

  private Tracefs() {}

  /**
   * Where tracefs is not mounted: this command line again inside a private mount namespace that
   * mounts it (its exit status), or, already there, the error that it cannot be mounted.
   */
  static int elsewhere(String command, PrintWriter err) throws IOException, InterruptedException {
    if (System.getenv(NAMESPACE_MARK) != null) {
      err.println("evfilter " + command + ": cannot mount tracefs (is CONFIG_TRACING on? 'grep tracefs /proc/filesystems')");
      return Main.ENVIRONMENT_ERROR;
    }
    return inPrivateMountNamespace(command.split(" ")[0], err);
  }

  /**
   * Runs this very command line again inside a private mount namespace where tracefs is mounted
   * (nothing stays mounted on the host); its exit status.
   */
  static int inPrivateMountNamespace(String command, PrintWriter err) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
        "mount -t tracefs nodev /sys/kernel/tracing && exec \"$@\"", "evfilter"));
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    argv.add(Main.class.getName());
    argv.addAll(Main.arguments());
    ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
    pb.environment().put(NAMESPACE_MARK, "1");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      err.println("evfilter " + command + ": tracefs is not mounted and unshare(1) could not run: " + e.getMessage());
      return Main.ENVIRONMENT_ERROR;
    }
    // Ctrl-C reaches the whole foreground group; a signal to this process alone is passed on, so the
    // inner evfilter (exec'd by unshare and sh, so it is this very child) cleans up and exits.
    Thread forward = new Thread(() -> {
      p.destroy();
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "evfilter-tracefs-forward");
    Runtime.getRuntime().addShutdownHook(forward);
    int code = p.waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(forward);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs anyway.
    }
    return code;
  }

  /** Whether this process runs as root (effective uid 0). */
  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

}
