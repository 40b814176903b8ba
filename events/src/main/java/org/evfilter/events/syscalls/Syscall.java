package org.evfilter.events.syscalls;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A syscall of one ABI: number, name and arguments. {@code argumentsKnown} is false where the
 * table's source had no signature for it (an empty list then means "unknown", not "none").
 */
public record Syscall(Arch arch, int nr, String name, List<SyscallArg> arguments, boolean argumentsKnown) {
  public Syscall {
    Objects.requireNonNull(arch, "arch");
    Objects.requireNonNull(name, "name");
    arguments = List.copyOf(arguments);
  }

  /** The argument called {@code name}. */
  public Optional<SyscallArg> argument(String argName) {
    return arguments.stream().filter(a -> a.name().equals(argName)).findFirst();
  }
}
