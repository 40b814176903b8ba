package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** The C programs the run tests confine, built with gcc into target/run-bin, and the kernel they need. */
public final class CPrograms {
  private CPrograms() {}

  /** Skips the calling test class, loudly, where seccomp user notification on x86_64 is absent. */
  static void needUserNotification(String what) throws Exception {
    Path actions = Path.of("/proc/sys/kernel/seccomp/actions_avail");
    boolean ok = System.getProperty("os.arch").equals("amd64") && Files.exists(actions)
        && Files.readString(actions).contains("user_notif");
    if (!ok) {
      System.err.println("\n*** SKIPPED: " + what + " not tested: needs x86_64 Linux with seccomp user notification ***\n");
    }
    Assumptions.assumeTrue(ok, what + " needs x86_64 Linux with seccomp user notification");
  }

  /** {@code src/test/c/NAME.c} compiled (statically when asked: a static program needs no loader under default deny). */
  public static Path build(String name, boolean statically) throws Exception {
    Path out = Files.createDirectories(Path.of("target/run-bin").toAbsolutePath()).resolve(name);
    List<String> argv = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-Werror", "-pthread"));
    if (statically) {
      argv.add("-static");
    }
    argv.addAll(List.of("-o", out.toString(), Path.of("src/test/c/" + name + ".c").toAbsolutePath().toString()));
    Process gcc = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String messages = new String(gcc.getInputStream().readAllBytes());
    assertEquals(0, gcc.waitFor(), messages);
    return out;
  }
}
