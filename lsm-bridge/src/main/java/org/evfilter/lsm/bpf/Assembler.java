package org.evfilter.lsm.bpf;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a program with labels instead of offsets. Jumps go forward only, as seccomp requires; a
 * conditional jump whose target is more than 255 instructions away goes through a {@code JA}
 * trampoline placed right after it (a JA's offset is 32 bits).
 */
public final class Assembler {
  /** A position in the program, bound with {@link #bind}. */
  public static final class Label {
    private final String name;

    private Label(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static final class Node {
    final int code;
    final int k;
    Label jt;
    Label jf;
    Label ja;

    Node(int code, int k) {
      this.code = code;
      this.k = k;
    }
  }

  private final List<Node> nodes = new ArrayList<>();
  // A label is bound to the node that follows it.
  private final Map<Label, Node> bound = new IdentityHashMap<>();
  private final List<Label> pending = new ArrayList<>();
  private int labels;

  /** A new, unbound label. */
  public Label label() {
    return new Label("L" + labels++);
  }

  /** Binds {@code l} to the next instruction added. */
  public Assembler bind(Label l) {
    if (bound.containsKey(l) || pending.contains(l)) {
      throw new IllegalStateException("label " + l + " is bound twice");
    }
    pending.add(l);
    return this;
  }

  /** A non-jump instruction. */
  public Assembler stmt(int code, int k) {
    return add(new Node(code, k));
  }

  /** {@code return value}. */
  public Assembler ret(int value) {
    return stmt(Opcodes.RET | Opcodes.K, value);
  }

  /** A conditional jump to {@code whenTrue} or {@code whenFalse} (null: the next instruction). */
  public Assembler jump(int code, int k, Label whenTrue, Label whenFalse) {
    Node n = new Node(code, k);
    n.jt = whenTrue;
    n.jf = whenFalse;
    return add(n);
  }

  /** An unconditional jump. */
  public Assembler ja(Label target) {
    Node n = new Node(Opcodes.JMP | Opcodes.JA, 0);
    n.ja = target;
    return add(n);
  }

  private Assembler add(Node n) {
    for (Label l : pending) {
      bound.put(l, n);
    }
    pending.clear();
    nodes.add(n);
    return this;
  }

  /** The program with absolute targets, before offsets and trampolines: what the optimiser takes. */
  public BranchProgram branchProgram() {
    if (!pending.isEmpty()) {
      throw new IllegalStateException("labels " + pending + " are bound after the last instruction");
    }
    Map<Node, Integer> pos = positions();
    List<BranchProgram.Op> ops = new ArrayList<>(nodes.size());
    for (int pc = 0; pc < nodes.size(); pc++) {
      Node n = nodes.get(pc);
      if (n.ja != null) {
        ops.add(new BranchProgram.Op(n.code, 0, pc + 1 + offset(pos, pc, n.ja), -1));
      } else if ((n.code & 0x07) == Opcodes.JMP) {
        ops.add(new BranchProgram.Op(n.code, n.k, pc + 1 + branch(pos, pc, n.jt), pc + 1 + branch(pos, pc, n.jf)));
      } else {
        ops.add(BranchProgram.Op.stmt(n.code, n.k));
      }
    }
    return new BranchProgram(ops);
  }

  /** The instructions, offsets resolved and trampolines inserted. */
  public List<Instruction> assemble() {
    if (!pending.isEmpty()) {
      throw new IllegalStateException("labels " + pending + " are bound after the last instruction");
    }
    while (insertTrampoline()) {
      // Each insertion moves what follows: look again from the start.
    }
    Map<Node, Integer> pos = positions();
    List<Instruction> out = new ArrayList<>(nodes.size());
    for (int pc = 0; pc < nodes.size(); pc++) {
      Node n = nodes.get(pc);
      if (n.ja != null) {
        out.add(Instruction.stmt(n.code, offset(pos, pc, n.ja)));
      } else if (n.jt != null || n.jf != null || (n.code & 0x07) == Opcodes.JMP) {
        out.add(Instruction.jump(n.code, n.k, branch(pos, pc, n.jt), branch(pos, pc, n.jf)));
      } else {
        out.add(Instruction.stmt(n.code, n.k));
      }
    }
    return out;
  }

  private boolean insertTrampoline() {
    Map<Node, Integer> pos = positions();
    for (int pc = 0; pc < nodes.size(); pc++) {
      Node n = nodes.get(pc);
      boolean farTrue = n.jt != null && offset(pos, pc, n.jt) > 255;
      boolean farFalse = n.jf != null && offset(pos, pc, n.jf) > 255;
      if (!farTrue && !farFalse) {
        continue;
      }
      // Both branches become explicit, so nothing depends on what now follows the jump.
      if (pc + 1 < nodes.size()) {
        Label next = label();
        bound.put(next, nodes.get(pc + 1));
        n.jt = n.jt == null ? next : n.jt;
        n.jf = n.jf == null ? next : n.jf;
      }
      Label far = farTrue ? n.jt : n.jf;
      Node trampoline = new Node(Opcodes.JMP | Opcodes.JA, 0);
      trampoline.ja = far;
      Label to = label();
      bound.put(to, trampoline);
      nodes.add(pc + 1, trampoline);
      if (farTrue) {
        n.jt = to;
      } else {
        n.jf = to;
      }
      return true;
    }
    return false;
  }

  private Map<Node, Integer> positions() {
    Map<Node, Integer> pos = new IdentityHashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      pos.put(nodes.get(i), i);
    }
    return pos;
  }

  private int branch(Map<Node, Integer> pos, int pc, Label l) {
    return l == null ? 0 : offset(pos, pc, l);
  }

  private int offset(Map<Node, Integer> pos, int pc, Label l) {
    Node target = bound.get(l);
    if (target == null) {
      throw new IllegalStateException("label " + l + " is never bound");
    }
    int off = pos.get(target) - pc - 1;
    if (off < 0) {
      throw new IllegalStateException("jump backwards from " + pc + " to " + l + ": seccomp jumps only forward");
    }
    return off;
  }
}
