package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Whole outputs pinned in files under {@code src/test/resources/golden}, compared to the byte. After
 * a deliberate change of output, rewrite them with {@code mvn test -pl cli -am
 * -Dtest=BpfCommandsTest -Dsurefire.failIfNoSpecifiedTests=false -Devfilter.golden.update=true} and review the diff before committing.
 */
final class Golden {
  // Surefire runs tests in the module's directory: the files are read and rewritten in the source tree.
  private static final Path DIR = Path.of("src/test/resources/golden");
  private static final boolean UPDATE = Boolean.getBoolean("evfilter.golden.update");

  private Golden() {}

  /** Asserts that {@code actual} is the golden file {@code name}, or rewrites it in update mode. */
  static void assertMatches(String name, String actual) {
    Path file = DIR.resolve(name);
    try {
      if (UPDATE) {
        Files.createDirectories(file.getParent());
        Files.writeString(file, actual, StandardCharsets.UTF_8);
        System.err.println("*** golden file rewritten: " + file + " ***");
        return;
      }
      assertTrue(Files.isRegularFile(file), () -> "no golden file " + file.toAbsolutePath()
          + "; write it with -Devfilter.golden.update=true");
      assertEquals(Files.readString(file, StandardCharsets.UTF_8), actual,
          () -> "output differs from " + file + " (if the change is meant, -Devfilter.golden.update=true rewrites it)");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A profile of the steering repository's {@code shared/profiles} (beside the checkout, or above a
   * worktree), as the lsm-bridge profile tests find it; a loud skip where there is none.
   */
  static Path sharedProfile(String name) {
    Optional<Path> found = Stream.iterate(Path.of("").toAbsolutePath(), Objects::nonNull, Path::getParent)
        .map(dir -> dir.resolve("shared/profiles").resolve(name)).filter(Files::isRegularFile).findFirst();
    if (found.isEmpty()) {
      System.err.println("\n*** SKIPPED: no shared/profiles/" + name + " above " + Path.of("").toAbsolutePath() + " ***\n");
    }
    Assumptions.assumeTrue(found.isPresent(), "no shared/profiles/" + name);
    return found.get();
  }
}
