package org.evfilter.lsm.bpf;

import static org.evfilter.lsm.bpf.Opcodes.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Shrinks and shortens a {@link BranchProgram} with small semantics-preserving passes (jump
 * threading, redundant loads, shared returns, dead code) run to a fixed point. No pass adds a load
 * or an instruction the kernel's action cache cannot follow to a path that had none.
 */
public final class Optimizer {
  /** The passes, in the order each round runs them. */
  public static final List<Pass<BranchProgram>> PASSES = List.of(
      new Pass<>("thread-jumps", Optimizer::threadJumps),
      new Pass<>("redundant-loads", Optimizer::removeRedundantLoads),
      new Pass<>("shared-returns", Optimizer::shareReturns),
      new Pass<>("dead-code", Optimizer::removeDeadCode));

  private static final int ROUNDS = 64;

  private Optimizer() {}

  /** Runs every pass until none changes the program. */
  public static BranchProgram optimise(BranchProgram p) {
    return Pass.fixedPoint(p, PASSES, ROUNDS);
  }

  /**
   * A jump to a {@code JA} goes straight to the JA's target; a conditional jump whose two targets
   * are the same becomes a {@code JA}; a {@code JA} to a return becomes that return.
   */
  static BranchProgram threadJumps(BranchProgram p) {
    List<BranchProgram.Op> ops = new ArrayList<>(p.ops());
    for (int pc = ops.size() - 1; pc >= 0; pc--) {
      BranchProgram.Op o = ops.get(pc);
      if (!o.isJump()) {
        continue;
      }
      if (o.isJa()) {
        int t = follow(ops, o.jt());
        BranchProgram.Op target = ops.get(t);
        ops.set(pc, target.isReturn() ? target : new BranchProgram.Op(o.code(), 0, t, -1));
        continue;
      }
      int t = follow(ops, o.jt());
      int f = follow(ops, o.jf());
      ops.set(pc, t == f ? new BranchProgram.Op(JMP | JA, 0, t, -1) : o.retarget(t, f));
    }
    return new BranchProgram(ops);
  }

  private static int follow(List<BranchProgram.Op> ops, int t) {
    while (ops.get(t).isJa()) {
      t = ops.get(t).jt();
    }
    return t;
  }

  private static final int UNVISITED = -2;
  private static final int UNKNOWN = -1;

  /** Drops {@code ld [k]} where every path to it leaves word {@code k} in the accumulator already. */
  static BranchProgram removeRedundantLoads(BranchProgram p) {
    int n = p.size();
    int[] in = new int[n];
    Arrays.fill(in, UNVISITED);
    in[0] = UNKNOWN;
    boolean[] drop = new boolean[n];
    for (int pc = 0; pc < n; pc++) {
      if (in[pc] == UNVISITED) {
        continue;
      }
      BranchProgram.Op o = p.op(pc);
      int out;
      if (o.code() == (LD | W | ABS)) {
        drop[pc] = in[pc] == o.k();
        out = o.k();
      } else if (o.isJump() || o.isReturn() || o.code() == ST || o.code() == STX || o.code() == (MISC | TAX)
          || (o.cls() == LDX)) {
        out = in[pc];
      } else {
        out = UNKNOWN;
      }
      if (o.isJump()) {
        in[o.jt()] = meet(in[o.jt()], out);
        if (!o.isJa()) {
          in[o.jf()] = meet(in[o.jf()], out);
        }
      } else if (o.fallsThrough() && pc + 1 < n) {
        in[pc + 1] = meet(in[pc + 1], out);
      }
    }
    return remove(p, drop);
  }

  private static int meet(int a, int b) {
    return a == UNVISITED ? b : a == b ? a : UNKNOWN;
  }

  /**
   * Jumps to a return go to the last identical return the jump can reach (a conditional jump at
   * most 255 ahead), so the earlier copies become dead code.
   */
  static BranchProgram shareReturns(BranchProgram p) {
    Map<Integer, Integer> last = new HashMap<>();
    int[] lastSame = new int[p.size()];
    for (int pc = p.size() - 1; pc >= 0; pc--) {
      BranchProgram.Op o = p.op(pc);
      if (o.code() == (RET | K)) {
        lastSame[pc] = last.computeIfAbsent(o.k(), k -> -1);
        if (lastSame[pc] == -1) {
          last.put(o.k(), pc);
          lastSame[pc] = pc;
        }
      }
    }
    List<BranchProgram.Op> ops = new ArrayList<>(p.ops());
    for (int pc = 0; pc < ops.size(); pc++) {
      BranchProgram.Op o = ops.get(pc);
      if (o.isJa()) {
        ops.set(pc, new BranchProgram.Op(o.code(), 0, shared(p, lastSame, pc, o.jt(), Integer.MAX_VALUE), -1));
      } else if (o.isJump()) {
        ops.set(pc, o.retarget(shared(p, lastSame, pc, o.jt(), 255), shared(p, lastSame, pc, o.jf(), 255)));
      }
    }
    return new BranchProgram(ops);
  }

  private static int shared(BranchProgram p, int[] lastSame, int pc, int target, int reach) {
    if (p.op(target).code() != (RET | K)) {
      return target;
    }
    int to = lastSame[target];
    return to - pc - 1 <= reach ? to : target;
  }

  /** Drops instructions nothing reaches, and jumps to the next instruction. */
  static BranchProgram removeDeadCode(BranchProgram p) {
    int n = p.size();
    boolean[] reached = new boolean[n];
    reached[0] = true;
    boolean[] drop = new boolean[n];
    for (int pc = 0; pc < n; pc++) {
      if (!reached[pc]) {
        drop[pc] = true;
        continue;
      }
      BranchProgram.Op o = p.op(pc);
      if (o.isJump()) {
        reached[o.jt()] = true;
        if (!o.isJa()) {
          reached[o.jf()] = true;
        }
        drop[pc] = o.isJa() && o.jt() == pc + 1;
      } else if (o.fallsThrough() && pc + 1 < n) {
        reached[pc + 1] = true;
      }
    }
    return remove(p, drop);
  }

  // Removes instructions that are dead or fall through to the next one; a jump to a removed
  // instruction goes to the next kept one.
  private static BranchProgram remove(BranchProgram p, boolean[] drop) {
    int n = p.size();
    int[] to = new int[n + 1];
    int kept = 0;
    for (int pc = 0; pc < n; pc++) {
      if (!drop[pc]) {
        kept++;
      }
    }
    if (kept == n) {
      return p;
    }
    to[n] = kept;
    for (int pc = n - 1, next = kept; pc >= 0; pc--) {
      if (!drop[pc]) {
        next--;
      }
      to[pc] = next;
    }
    List<BranchProgram.Op> ops = new ArrayList<>(kept);
    for (int pc = 0; pc < n; pc++) {
      if (drop[pc]) {
        continue;
      }
      BranchProgram.Op o = p.op(pc);
      if (o.isJa()) {
        ops.add(new BranchProgram.Op(o.code(), 0, to[o.jt()], -1));
      } else if (o.isJump()) {
        ops.add(o.retarget(to[o.jt()], to[o.jf()]));
      } else {
        ops.add(o);
      }
    }
    return new BranchProgram(ops);
  }
}
