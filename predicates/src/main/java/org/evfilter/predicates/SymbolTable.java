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
 * {@code AF_*}) and errno names, from {@link Constants}; and x86_64 syscall names, from the
 * {@link SyscallTable}.
 */
public final class SymbolTable {
  private static final SymbolTable X86_64 = load();

  private final Map<String, Long> constants;
  private final SyscallTable syscalls;

  private SymbolTable(Map<String, Long> constants, SyscallTable syscalls) {
    this.constants = Collections.unmodifiableMap(constants);
    this.syscalls = syscalls;
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

  private static SymbolTable load() {
    Constants c = Constants.linux();
    Map<String, Long> constants = new LinkedHashMap<>();
    c.names().forEach(n -> constants.put(n, c.value(n).getAsLong()));
    return new SymbolTable(constants, SyscallTable.of(Arch.X86_64));
  }
}
