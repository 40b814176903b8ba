package org.evfilter.events.syscalls;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The names of syscall argument values on Linux x86_64: {@code O_*}, {@code AT_*}, {@code
 * CLONE_*}, {@code PROT_*}, {@code MAP_*}, {@code SOCK_*}, {@code AF_*}, {@code IPPROTO_*} and errno names, generated
 * from the C headers by {@code events/scripts/gen-constants.sh}. Filters use them as symbolic
 * constants; the strace reader uses them to read strace's symbolic output back into numbers.
 */
public final class Constants {
  private static final Constants INSTANCE = load();

  private final Map<String, Long> values;

  private Constants(Map<String, Long> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  public static Constants linux() {
    return INSTANCE;
  }

  /** The value of a name, as a 64-bit two's complement number. */
  public OptionalLong value(String name) {
    Long v = values.get(name);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /**
   * The value of a name the caller knows the headers define, as an {@code int} (flags, errno
   * numbers): the way {@link Errno} and {@link FileFlags} read their fields from this one table.
   *
   * @throws IllegalStateException when the table lacks the name (a typo, or a table generated from
   *     other headers)
   */
  public int require(String name) {
    Long v = values.get(name);
    if (v == null) {
      throw new IllegalStateException("the constants table has no " + name + " (see events/scripts/gen-constants.sh)");
    }
    return (int) v.longValue();
  }

  /** Every known name. */
  public Set<String> names() {
    return values.keySet();
  }

  private static Constants load() {
    Map<String, Long> values = new LinkedHashMap<>();
    try (InputStream in = Constants.class.getResourceAsStream("constants")) {
      if (in == null) {
        throw new IllegalStateException("missing resource 'constants'");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank() && !line.startsWith("#")) {
          String[] parts = line.trim().split("\\s+");
          values.putIfAbsent(parts[1], Long.parseUnsignedLong(parts[2]));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Constants(values);
  }
}
