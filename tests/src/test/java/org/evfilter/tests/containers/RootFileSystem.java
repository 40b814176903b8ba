package org.evfilter.tests.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** A container's root file system made from busybox-static: one binary, a link per applet a test runs. */
public final class RootFileSystem {
  private static final List<Path> BUSYBOX = List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox"));
  private static final List<String> APPLETS = List.of("sh", "cat", "echo", "ls", "sleep", "ln", "cd", "true", "grep", "id");

  private RootFileSystem() {}

  /** The static busybox here, if any (Debian's busybox-static); skips the calling test loudly without one. */
  public static Path busybox(String what) {
    Optional<Path> found = BUSYBOX.stream().filter(Files::isExecutable).findFirst();
    if (found.isEmpty()) {
      System.err.println("\n*** SKIPPED: " + what + " not checked: no busybox (apt-get install busybox-static) ***\n");
    }
    Assumptions.assumeTrue(found.isPresent(), () -> what + " not checked: no busybox");
    return found.get();
  }

  /** Makes {@code root}: bin/busybox and its applets, empty etc, proc, tmp and work directories. */
  public static Path make(Path root, Path busybox) throws IOException {
    Path bin = Files.createDirectories(root.resolve("bin"));
    Files.copy(busybox, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String a : APPLETS) {
      Files.createSymbolicLink(bin.resolve(a), Path.of("busybox"));
    }
    for (String d : List.of("etc", "proc", "tmp", "work", "dev", "sys")) {
      Files.createDirectories(root.resolve(d));
    }
    return root;
  }

  /** Removes {@code dir} and everything beneath it, not following symlinks. */
  public static void remove(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
