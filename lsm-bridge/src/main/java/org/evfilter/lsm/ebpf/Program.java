package org.evfilter.lsm.ebpf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An assembled eBPF program: its instruction slots, and for each slot the origin its producer
 * tagged it with (an opaque object, typically the policy rule that produced the code), so a
 * verifier error at a slot can name what produced it.
 */
public final class Program {
  private final List<Instruction> instructions;
  private final List<Object> origins;

  /**
   * @param origins one entry per slot: the origin, or {@code null} for an untagged slot
   */
  Program(List<Instruction> instructions, List<Object> origins) {
    if (instructions.size() != origins.size()) {
      throw new IllegalArgumentException(instructions.size() + " instructions but " + origins.size() + " origins");
    }
    this.instructions = List.copyOf(instructions);
    this.origins = Collections.unmodifiableList(new ArrayList<>(origins));
  }

  /** A program of untagged slots (one decoded from the kernel, say). */
  public static Program of(List<Instruction> instructions) {
    return new Program(instructions, Collections.nCopies(instructions.size(), null));
  }

  public List<Instruction> instructions() {
    return instructions;
  }

  /** The number of slots (a 64-bit load counts two). */
  public int size() {
    return instructions.size();
  }

  /** What slot {@code index} was produced from, if its producer said. */
  public Optional<Object> origin(int index) {
    return index < 0 || index >= origins.size() ? Optional.empty() : Optional.ofNullable(origins.get(index));
  }

  /** The bytes the kernel loads. */
  public byte[] bytes() {
    return Instruction.encode(instructions);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Program p && p.instructions.equals(instructions) && p.origins.equals(origins);
  }

  @Override
  public int hashCode() {
    return Objects.hash(instructions, origins);
  }

  @Override
  public String toString() {
    return Disassembler.text(this);
  }
}
