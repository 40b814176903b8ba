package org.evfilter.tests.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Whether the real-kernel tests can run here: Linux, root, tracefs, unshare(1). */
public final class KernelAccess {
  private KernelAccess() {}

  /** Why the kernel cannot be used here, or empty when it can. */
  public static Optional<String> unavailable() {
    if (!System.getProperty("os.name").equals("Linux")) {
      return Optional.of("not Linux");
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("not root: mounting tracefs needs CAP_SYS_ADMIN");
    }
    try {
      if (!Files.readString(Path.of("/proc/filesystems")).contains("tracefs")) {
        return Optional.of("this kernel has no tracefs (/proc/filesystems)");
      }
    } catch (IOException e) {
      return Optional.of("cannot read /proc/filesystems: " + e.getMessage());
    }
    if (!Files.isExecutable(Path.of("/usr/bin/unshare")) && !Files.isExecutable(Path.of("/bin/unshare"))) {
      return Optional.of("no unshare(1)");
    }
    return Optional.empty();
  }

  /**
   * Skips the calling test, loudly (a skipped kernel test is not a passed one), where the kernel
   * cannot be used here; {@code what} says what goes unchecked.
   */
  public static void assumeAvailable(String what) {
    Optional<String> why = unavailable();
    if (why.isPresent()) {
      System.err.println("\n*** SKIPPED: " + what + " not checked against the kernel: " + why.get() + " ***\n");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(why.isEmpty(), () -> what + " not checked: " + why.get());
  }
}
