package org.evfilter.predicates;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The names a filter may use for numbers (an evfilter extension): flag and family constants
 * ({@code O_*}, {@code AT_*}, {@code CLONE_*}, {@code PROT_*}, {@code MAP_*}, {@code SOCK_*},
 * {@code AF_*}), errno names, and x86_64 syscall names for syscall-number fields. Generated from
 * the C headers by {@code predicates/scripts/gen-constants.sh}.
 */
public final class SymbolTable {
  private static final SymbolTable X86_64 = load();

  private final Map<String, Long> constants;
  private final Map<String, Long> syscalls;

  private SymbolTable(Map<String, Long> constants, Map<String, Long> syscalls) {
    this.constants = Collections.unmodifiableMap(constants);
    this.syscalls = Collections.unmodifiableMap(syscalls);
  }

  /** The x86_64 table. */
  public static SymbolTable x86_64() {
    return X86_64;
  }

  /** A constant or errno name's value. */
  public OptionalLong constant(String name) {
    Long v = constants.get(name);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /** A syscall's number. */
  public OptionalLong syscall(String name) {
    Long v = syscalls.get(name);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /** A syscall's name. */
  public Optional<String> syscallName(long nr) {
    return syscalls.entrySet().stream().filter(e -> e.getValue() == nr).map(Map.Entry::getKey).findFirst();
  }

  public Set<String> constantNames() {
    return constants.keySet();
  }

  public Set<String> syscallNames() {
    return syscalls.keySet();
  }

  private static SymbolTable load() {
    Map<String, Long> constants = new LinkedHashMap<>();
    read("constants", parts -> constants.putIfAbsent(parts[1], Long.parseUnsignedLong(parts[2])));
    Map<String, Long> syscalls = new LinkedHashMap<>();
    read("x86_64.syscalls", parts -> syscalls.put(parts[1], Long.parseLong(parts[0])));
    return new SymbolTable(constants, syscalls);
  }

  private static void read(String resource, java.util.function.Consumer<String[]> line) {
    try (InputStream in = SymbolTable.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
      String s;
      while ((s = r.readLine()) != null) {
        if (!s.isBlank() && !s.startsWith("#")) {
          line.accept(s.trim().split("\\s+"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
