package org.evfilter.lsm.bpf;

import static org.evfilter.lsm.bpf.Opcodes.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A seccomp program whose jumps name absolute targets and have no length limit: what the compiler
 * emits and the {@link Optimizer} rewrites. {@link #encode} turns it into kernel instructions,
 * with {@code JA} trampolines where a conditional jump is more than 255 instructions long.
 */
public record BranchProgram(List<Op> ops) {
  /**
   * One instruction; for a conditional jump {@code jt}/{@code jf} are the absolute indices of its
   * targets, for {@code JA} {@code jt} is, and both are -1 otherwise.
   */
  public record Op(int code, int k, int jt, int jf) {
    public static Op stmt(int code, int k) {
      return new Op(code, k, -1, -1);
    }

    int cls() {
      return code & 0x07;
    }

    public boolean isJump() {
      return (code & 0x07) == JMP;
    }

    public boolean isJa() {
      return code == (JMP | JA);
    }

    public boolean isReturn() {
      return (code & 0x07) == RET;
    }

    /** Whether control can fall through to the next instruction. */
    boolean fallsThrough() {
      return !isJump() && !isReturn();
    }

    Op retarget(int t, int f) {
      return new Op(code, k, t, f);
    }
  }

  public BranchProgram {
    ops = List.copyOf(ops);
    for (int pc = 0; pc < ops.size(); pc++) {
      Op o = Objects.requireNonNull(ops.get(pc));
      if (o.isJump() && (o.jt <= pc || o.jt >= ops.size() || (!o.isJa() && (o.jf <= pc || o.jf >= ops.size())))) {
        throw new IllegalArgumentException("instruction " + pc + " jumps backwards or out of the program");
      }
    }
  }

  public int size() {
    return ops.size();
  }

  public Op op(int pc) {
    return ops.get(pc);
  }

  /** The kernel's instructions, offsets resolved and trampolines inserted. */
  public List<Instruction> encode() {
    Assembler asm = new Assembler();
    List<Assembler.Label> at = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      at.add(asm.label());
    }
    for (int pc = 0; pc < ops.size(); pc++) {
      Op o = ops.get(pc);
      asm.bind(at.get(pc));
      if (o.isJa()) {
        asm.ja(at.get(o.jt));
      } else if (o.isJump()) {
        asm.jump(o.code, o.k, at.get(o.jt), at.get(o.jf));
      } else {
        asm.stmt(o.code, o.k);
      }
    }
    return asm.assemble();
  }

  /** Encodes and validates the program as the kernel would. */
  public BpfProgram toProgram() {
    return BpfProgram.of(encode());
  }
}
