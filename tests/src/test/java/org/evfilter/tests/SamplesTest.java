package org.evfilter.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.evfilter.grammar.FilterException;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every sample policy: the valid ones bind, each broken one fails with exactly its expected message. */
class SamplesTest {
  private static final Path POLICIES = Path.of("..", "samples", "policies");
  private static final KernelFacts FACTS = KernelFacts.of(2, java.util.Map.of());

  static Stream<Path> valid() throws IOException {
    return list(POLICIES.resolve("valid"));
  }

  static Stream<Path> broken() throws IOException {
    return list(POLICIES.resolve("broken"));
  }

  private static Stream<Path> list(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".evf")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no samples in " + dir);
    return files.stream();
  }

  @ParameterizedTest
  @MethodSource("valid")
  void validPoliciesBind(Path file) throws IOException {
    BoundPolicy p = PolicyBinder.load(file, FACTS);
    assertTrue(p.rules().size() > 0, file + " has no rules");
  }

  @ParameterizedTest
  @MethodSource("broken")
  void brokenPoliciesFailWithTheirExpectedMessage(Path file) throws IOException {
    Path expectedFile = file.resolveSibling(file.getFileName().toString().replace(".evf", ".expected"));
    assertTrue(Files.exists(expectedFile), "missing " + expectedFile);
    String expected = Files.readString(expectedFile, StandardCharsets.UTF_8).strip();
    FilterException e = assertThrows(FilterException.class, () -> PolicyBinder.load(file, FACTS));
    String message = e.getMessage();
    String name = e.source().name();
    String prefix = name.endsWith(file.getFileName().toString()) ? name + ":" : "";
    assertTrue(message.startsWith(prefix), message);
    assertEquals(expected, message.substring(prefix.length()));
  }
}
