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

  /**
   * This program without the slots no path from the first reaches: the verifier refuses such code
   * ("unreachable insn"), which lowering leaves behind where an atom turns out constant (an address
   * test at a hook whose sockaddr has none). Jumps are re-aimed; origins kept.
   */
  public Program withoutUnreachable() {
    int n = instructions.size();
    boolean[] live = new boolean[n];
    java.util.ArrayDeque<Integer> work = new java.util.ArrayDeque<>(List.of(0));
    while (!work.isEmpty()) {
      int pc = work.pop();
      if (pc >= n || live[pc]) {
        continue;
      }
      live[pc] = true;
      Instruction i = instructions.get(pc);
      if (i.wide()) {
        live[pc + 1] = true;
        work.push(pc + 2);
        continue;
      }
      JumpKind k = JumpKind.of(i);
      if (k == JumpKind.NONE || k == JumpKind.CONDITIONAL) {
        work.push(pc + 1);
      }
      if (k == JumpKind.ALWAYS || k == JumpKind.CONDITIONAL) {
        work.push(pc + 1 + i.off());
      }
    }
    int[] at = new int[n + 1];
    for (int pc = 0; pc < n; pc++) {
      at[pc + 1] = at[pc] + (live[pc] ? 1 : 0);
    }
    List<Instruction> kept = new ArrayList<>();
    List<Object> keptOrigins = new ArrayList<>();
    for (int pc = 0; pc < n; pc++) {
      if (!live[pc]) {
        continue;
      }
      Instruction i = instructions.get(pc);
      JumpKind k = JumpKind.of(i);
      if (k == JumpKind.ALWAYS || k == JumpKind.CONDITIONAL) {
        i = new Instruction(i.code(), i.dst(), i.src(), at[pc + 1 + i.off()] - at[pc] - 1, i.imm());
      }
      kept.add(i);
      keptOrigins.add(origins.get(pc));
    }
    return new Program(kept, keptOrigins);
  }

  // How a slot passes control on (the second slot of a wide load is never asked).
  private enum JumpKind {
    NONE, ALWAYS, CONDITIONAL, END;

    static JumpKind of(Instruction i) {
      if (i.cls() != Opcodes.JMP && i.cls() != Opcodes.JMP32) {
        return NONE;
      }
      int op = i.code() & 0xf0;
      if (op == JumpOp.EXIT.bits()) {
        return END;
      }
      if (op == JumpOp.CALL.bits()) {
        return NONE;
      }
      return op == JumpOp.JA.bits() && i.cls() == Opcodes.JMP ? ALWAYS : CONDITIONAL;
    }
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
