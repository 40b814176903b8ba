package org.evfilter.predicates;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Constants;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * The names a filter may use for numbers (an evfilter extension): flag and family constants
 * ({@code O_*}, {@code AT_*}, {@code CLONE_*}, {@code PROT_*}, {@code MAP_*}, {@code SOCK_*},
 * {@code AF_*}) and errno names, from {@link Constants} (with the open flags whose values differ
 * by ABI corrected); and the arch's syscall names, from its {@link SyscallTable}.
 */
public final class SymbolTable {
  private static final Map<Arch, SymbolTable> BY_ARCH = new java.util.concurrent.ConcurrentHashMap<>();

  // open(2) flags that are not the generic (x86) values: arch/arm64/include/uapi/asm/fcntl.h, and
  // O_LARGEFILE where glibc does not define it as 0.
  private static final Map<Arch, Map<String, Long>> OVERRIDES = Map.of(
      Arch.I386, Map.of("O_LARGEFILE", 0100000L),
      Arch.AARCH64, Map.of("O_DIRECTORY", 040000L, "O_NOFOLLOW", 0100000L, "O_DIRECT", 0200000L));

  private final Map<String, Long> constants;
  private final SyscallTable syscalls;

  private SymbolTable(Map<String, Long> constants, SyscallTable syscalls) {
    this.constants = Collections.unmodifiableMap(constants);
    this.syscalls = syscalls;
  }

  /** The x86_64 table. */
  public static SymbolTable x86_64() {
    return of(Arch.X86_64);
  }

  /** The table of {@code arch}: its syscall names, and constants with its values. */
  public static SymbolTable of(Arch arch) {
    return BY_ARCH.computeIfAbsent(arch, SymbolTable::load);
  }

  /** The arch whose syscall names this table holds. */
  public Arch arch() {
    return syscalls.arch();
  }

  /** A constant or errno name's value. */
  public OptionalLong constant(String name) {
    Long v = constants.get(name);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /** A syscall's number. */
  public OptionalLong syscall(String name) {
    return syscalls.byName(name).map(s -> OptionalLong.of(s.nr())).orElse(OptionalLong.empty());
  }

  /** A syscall's name. */
  public Optional<String> syscallName(long nr) {
    return syscalls.byNumber(nr).map(Syscall::name);
  }

  public Set<String> constantNames() {
    return constants.keySet();
  }

  public Set<String> syscallNames() {
    return syscalls.all().stream().map(Syscall::name).collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new));
  }

  private static SymbolTable load(Arch arch) {
    Constants c = Constants.linux();
    Map<String, Long> constants = new LinkedHashMap<>();
    c.names().forEach(n -> constants.put(n, c.value(n).getAsLong()));
    constants.putAll(OVERRIDES.getOrDefault(arch, Map.of()));
    return new SymbolTable(constants, SyscallTable.of(arch));
  }
}
