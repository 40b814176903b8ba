package org.evfilter.lsm.ebpf.lower;

import java.util.Optional;
import org.evfilter.events.schema.EventField;
import org.evfilter.lsm.ebpf.Assembler;
import org.evfilter.lsm.ebpf.Register;

/**
 * Where a program's context keeps the fields a filter names: the one part of lowering that knows
 * the context (a trace event's record, a {@code struct bpf_sock_addr}). {@link FilterLowering}
 * asks it for each field an atom reads and does the rest (width, sign, masks, comparisons, jumps)
 * the same for every program type.
 *
 * <p>Register contract: the context pointer is in {@link FilterLowering#CONTEXT} (R6) for the
 * whole program; emitted code may call helpers (R0-R5 are then clobbered) and must leave R6-R9
 * alone except for the register it is asked to fill.
 */
public interface FieldSource {
  /** Emits the load of a numeric field. */
  @FunctionalInterface
  interface NumberLoad {
    /**
     * Leaves the field's value in {@code dst}, zero-extended from the field's width (the lowering
     * sign-extends a signed field itself), in host order.
     */
    void emit(Assembler a, Register context, Register dst);
  }

  /** Emits the copy of a string field into a stack buffer. */
  @FunctionalInterface
  interface TextLoad {
    /**
     * Copies the string, NUL-terminated, into the {@code bytes} bytes at {@code R10 + stackOffset}
     * and leaves in R0 a negative number when it could not be read (a string that cannot be read
     * makes the atom false, as the kernel's filter does), else zero or more.
     */
    void emit(Assembler a, Register context, int stackOffset, int bytes);
  }

  /**
   * Emits the words of an IP address field, for {@link org.evfilter.predicates.Atom.Network}
   * ({@link AddressMatch} compares them with a network).
   */
  interface AddressLoad {
    /**
     * How many 32-bit words the address has here: 1 (an IPv4 address {@code w}, which is {@code
     * ::ffff:w} in the one 128-bit space), 4 (IPv6), or 0 when this context has none (an atom on it
     * is then false both ways, as the engine has it for an absent address).
     */
    int words();

    /** Leaves word {@code index} in {@code dst} as a number (its four bytes big-endian), zero-extended. */
    void emit(Assembler a, Register context, Register dst, int index);
  }

  /** How this context gives the numeric field {@code field}, or empty when it does not carry it. */
  Optional<NumberLoad> number(EventField field);

  /**
   * How this context gives the string field {@code field} ({@code user}: the field is a pointer to
   * user memory, {@code .ustring}), or empty when it cannot.
   */
  Optional<TextLoad> text(EventField field, boolean user);

  /**
   * The size of the buffer a string is compared in: the kernel filter's own bound for it (256 for
   * strings it copies, 16 for {@code comm}); at most {@link FilterLowering#MAX_STRING}.
   */
  int textArea(EventField field, boolean user);

  /** How this context gives the IP address field {@code field}, or empty when it does not carry it. */
  default Optional<AddressLoad> address(EventField field) {
    return Optional.empty();
  }
}
