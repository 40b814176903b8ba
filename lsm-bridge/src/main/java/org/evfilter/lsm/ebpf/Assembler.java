package org.evfilter.lsm.ebpf;

import static org.evfilter.lsm.ebpf.Opcodes.*;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds an eBPF program with labels instead of offsets, the sibling of the classic {@link
 * org.evfilter.lsm.bpf.Assembler}. Jumps go forward or backward (the verifier bounds loops); each
 * distance must fit the 16-bit offset, or {@link #assemble()} reports {@link EbpfError.JumpTooFar}.
 * Every instruction added carries the current {@link #origin origin}, so the verifier's refusal of
 * a slot can name what produced it.
 *
 * <pre>{@code
 * Assembler a = new Assembler();
 * Label deny = a.label("deny");
 * a.origin(rule).ldx(Size.W, R2, R1, 24).jump(JumpOp.JEQ, R2, port, deny)
 *  .mov(R0, 1).exit()
 *  .bind(deny).mov(R0, 0).exit();
 * Program p = a.assemble();
 * }</pre>
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

  private record Node(Instruction insn, Label target, Object origin) {}

  private final List<Node> nodes = new ArrayList<>();
  private final Map<Label, Integer> bound = new IdentityHashMap<>();
  private final List<Label> pending = new ArrayList<>();
  private final List<EbpfError> errors = new ArrayList<>();
  private Object origin;
  private int labels;

  /** A new, unbound label named {@code L0}, {@code L1}... */
  public Label label() {
    return label("L" + labels++);
  }

  /** A new, unbound label with a name for error messages. */
  public Label label(String name) {
    return new Label(Objects.requireNonNull(name));
  }

  /** Binds {@code l} to the next instruction added. */
  public Assembler bind(Label l) {
    if (bound.containsKey(l) || pending.contains(l)) {
      errors.add(new EbpfError.LabelBoundTwice(l.name, nodes.size()));
    } else {
      pending.add(l);
    }
    return this;
  }

  /** Tags the instructions added from now on with {@code origin} (until the next call). */
  public Assembler origin(Object origin) {
    this.origin = Objects.requireNonNull(origin, "origin (use noOrigin())");
    return this;
  }

  /** The instructions added from now on carry no origin. */
  public Assembler noOrigin() {
    this.origin = null;
    return this;
  }

  /** The slot the next instruction goes to. */
  public int position() {
    return nodes.size();
  }

  /** {@code dst = imm} (64-bit, the immediate sign-extended). */
  public Assembler mov(Register dst, int imm) {
    return alu64(AluOp.MOV, dst, imm);
  }

  /** {@code dst = src} (64-bit). */
  public Assembler mov(Register dst, Register src) {
    return alu64(AluOp.MOV, dst, src);
  }

  /** A 64-bit operation with an immediate: {@code dst op= imm}. */
  public Assembler alu64(AluOp op, Register dst, int imm) {
    return add(new Instruction(ALU64 | op.bits() | K, dst.index(), 0, 0, imm), null);
  }

  /** A 64-bit operation between registers: {@code dst op= src}. */
  public Assembler alu64(AluOp op, Register dst, Register src) {
    return add(new Instruction(ALU64 | op.bits() | X, dst.index(), src.index(), 0, 0), null);
  }

  /** A 32-bit operation with an immediate ({@code wN op= imm}; the upper half of dst becomes zero). */
  public Assembler alu32(AluOp op, Register dst, int imm) {
    return add(new Instruction(ALU | op.bits() | K, dst.index(), 0, 0, imm), null);
  }

  /** A 32-bit operation between registers ({@code wDst op= wSrc}). */
  public Assembler alu32(AluOp op, Register dst, Register src) {
    return add(new Instruction(ALU | op.bits() | X, dst.index(), src.index(), 0, 0), null);
  }

  /** Converts the low {@code bits} (16, 32, 64) of {@code dst} from host order to big-endian (network) order. */
  public Assembler toBigEndian(Register dst, int bits) {
    return add(new Instruction(ALU | AluOp.END.bits() | TO_BE, dst.index(), 0, 0, bits), null);
  }

  /** {@code dst = value}: a 64-bit immediate, two slots. */
  public Assembler ldImm64(Register dst, long value) {
    return wide(Instruction.ldImm64(dst.index(), 0, value));
  }

  /** {@code dst = the map with descriptor fd}: two slots the kernel rewrites to the map's address. */
  public Assembler ldMapFd(Register dst, int fd) {
    return wide(Instruction.ldImm64(dst.index(), PSEUDO_MAP_FD, fd & 0xffffffffL));
  }

  /** {@code dst = *(size *)(src + off)}. */
  public Assembler ldx(Size size, Register dst, Register src, int off) {
    return add(new Instruction(LDX | size.bits() | MEM, dst.index(), src.index(), off, 0), null);
  }

  /** {@code *(size *)(dst + off) = src}. */
  public Assembler stx(Size size, Register dst, int off, Register src) {
    return add(new Instruction(STX | size.bits() | MEM, dst.index(), src.index(), off, 0), null);
  }

  /** {@code *(size *)(dst + off) = imm}. */
  public Assembler st(Size size, Register dst, int off, int imm) {
    return add(new Instruction(ST | size.bits() | MEM, dst.index(), 0, off, imm), null);
  }

  /** {@code lock *(size *)(dst + off) += src}: an atomic add ({@link Size#W} or {@link Size#DW}). */
  public Assembler atomicAdd(Size size, Register dst, int off, Register src) {
    return add(new Instruction(STX | size.bits() | ATOMIC, dst.index(), src.index(), off, AluOp.ADD.bits()), null);
  }

  /** {@code if dst op imm goto target} (64-bit comparison). */
  public Assembler jump(JumpOp op, Register dst, int imm, Label target) {
    return conditional(JMP, op, K, dst, 0, imm, target);
  }

  /** {@code if dst op src goto target} (64-bit comparison). */
  public Assembler jump(JumpOp op, Register dst, Register src, Label target) {
    return conditional(JMP, op, X, dst, src.index(), 0, target);
  }

  /** {@code if wDst op imm goto target} (32-bit comparison). */
  public Assembler jump32(JumpOp op, Register dst, int imm, Label target) {
    return conditional(JMP32, op, K, dst, 0, imm, target);
  }

  /** {@code if wDst op wSrc goto target} (32-bit comparison). */
  public Assembler jump32(JumpOp op, Register dst, Register src, Label target) {
    return conditional(JMP32, op, X, dst, src.index(), 0, target);
  }

  /** {@code goto target}. */
  public Assembler ja(Label target) {
    return add(new Instruction(JMP | JumpOp.JA.bits(), 0, 0, 0, 0), target);
  }

  /** A call of the helper {@code id} ({@link Helper}): arguments in R1-R5, result in R0, R1-R5 clobbered. */
  public Assembler call(int helper) {
    return add(new Instruction(JMP | JumpOp.CALL.bits(), 0, 0, 0, helper), null);
  }

  /** {@code exit}: the program returns R0. */
  public Assembler exit() {
    return add(new Instruction(JMP | JumpOp.EXIT.bits(), 0, 0, 0, 0), null);
  }

  /** Any instruction slot, as is (no label). */
  public Assembler raw(Instruction i) {
    return add(i, null);
  }

  private Assembler conditional(int cls, JumpOp op, int source, Register dst, int src, int imm, Label target) {
    if (!op.conditional()) {
      throw new IllegalArgumentException(op + " is not a comparison");
    }
    return add(new Instruction(cls | op.bits() | source, dst.index(), src, 0, imm), Objects.requireNonNull(target));
  }

  private Assembler wide(List<Instruction> slots) {
    add(slots.get(0), null);
    nodes.add(new Node(slots.get(1), null, origin));
    return this;
  }

  private Assembler add(Instruction i, Label target) {
    for (Label l : pending) {
      bound.put(l, nodes.size());
    }
    pending.clear();
    nodes.add(new Node(i, target, origin));
    return this;
  }

  /**
   * The program, jump offsets resolved.
   *
   * @throws EbpfException with the first {@link EbpfError.LabelNotBound}, {@link
   *     EbpfError.LabelBoundTwice}, {@link EbpfError.LabelAtEnd} or {@link EbpfError.JumpTooFar}
   */
  public Program assemble() {
    List<EbpfError> found = new ArrayList<>(errors);
    for (Label l : pending) {
      found.add(new EbpfError.LabelAtEnd(l.name));
    }
    List<Instruction> out = new ArrayList<>(nodes.size());
    List<Object> origins = new ArrayList<>(nodes.size());
    for (int pc = 0; pc < nodes.size(); pc++) {
      Node n = nodes.get(pc);
      origins.add(n.origin);
      if (n.target == null) {
        out.add(n.insn);
        continue;
      }
      Integer to = bound.get(n.target);
      Optional<Object> from = Optional.ofNullable(n.origin);
      if (to == null) {
        found.add(new EbpfError.LabelNotBound(n.target.name, pc, from));
        out.add(n.insn);
        continue;
      }
      int distance = to - pc - 1;
      if (distance < Short.MIN_VALUE || distance > Short.MAX_VALUE) {
        found.add(new EbpfError.JumpTooFar(n.target.name, pc, distance, from));
        out.add(n.insn);
        continue;
      }
      Instruction i = n.insn;
      out.add(new Instruction(i.code(), i.dst(), i.src(), distance, i.imm()));
    }
    if (!found.isEmpty()) {
      throw new EbpfException(found.get(0));
    }
    return new Program(out, origins);
  }
}
