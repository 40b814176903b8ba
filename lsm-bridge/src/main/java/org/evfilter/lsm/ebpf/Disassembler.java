package org.evfilter.lsm.ebpf;

import static org.evfilter.lsm.ebpf.Opcodes.*;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Prints eBPF programs the way {@code bpftool prog dump xlated} and the kernel's verifier log do
 * ({@code kernel/bpf/disasm.c}): {@code    0: (b7) r0 = 1}, one line per instruction, the index
 * right-aligned in four columns, the opcode in hex, jump targets relative ({@code goto pc+2}), a
 * 64-bit load on one line that uses two indices, helpers by name and id.
 */
public final class Disassembler {
  /** How the immediate of a map load is read: a descriptor before loading, a map id in the kernel's dump. */
  public enum MapReference {
    /** A program built here: {@code map[fd:5]}. */
    FD,
    /** A program dumped by the kernel ({@code BPF_OBJ_GET_INFO_BY_FD}): {@code map[id:12]}, as bpftool prints it. */
    ID
  }

  private Disassembler() {}

  /** The program, map loads shown by descriptor. */
  public static String text(Program program) {
    return text(program.instructions(), MapReference.FD);
  }

  /** The instructions, map loads shown as {@code map}. */
  public static String text(List<Instruction> program, MapReference maps) {
    StringBuilder out = new StringBuilder();
    for (int pc = 0; pc < program.size(); pc++) {
      out.append(line(program, pc, maps)).append('\n');
      if (program.get(pc).wide()) {
        pc++;
      }
    }
    return out.toString();
  }

  /**
   * The program with its origins: a {@code ; origin} line before each instruction whose origin
   * differs from the previous one's, the way bpftool prints source lines above their code.
   */
  public static String annotated(Program program) {
    StringBuilder out = new StringBuilder();
    Optional<Object> last = Optional.empty();
    List<Instruction> insns = program.instructions();
    for (int pc = 0; pc < insns.size(); pc++) {
      Optional<Object> origin = program.origin(pc);
      if (origin.isPresent() && !Objects.equals(origin, last)) {
        out.append("; ").append(origin.get()).append('\n');
      }
      last = origin;
      out.append(line(insns, pc, MapReference.FD)).append('\n');
      if (insns.get(pc).wide()) {
        pc++;
      }
    }
    return out.toString();
  }

  /** One line: {@code    4: (85) call bpf_get_current_pid_tgid#14}. */
  public static String line(List<Instruction> program, int pc, MapReference maps) {
    return String.format("%4d: (%02x) %s", pc, program.get(pc).code(), decode(program, pc, maps));
  }

  private static String decode(List<Instruction> program, int pc, MapReference maps) {
    Instruction i = program.get(pc);
    int code = i.code();
    int cls = i.cls();
    return switch (cls) {
      case ALU, ALU64 -> alu(i, cls == ALU ? 'w' : 'r');
      case STX -> stx(i);
      case ST -> (code & 0xe0) == MEM
          ? String.format("*(%s *)(r%d %+d) = %d", Size.of(code).text(), i.dst(), i.off(), i.imm())
          : String.format("BUG_st_%02x", code);
      case LDX -> (code & 0xe0) == MEM
          ? String.format("r%d = *(%s *)(r%d %+d)", i.dst(), Size.of(code).text(), i.src(), i.off())
          : String.format("BUG_ldx_%02x", code);
      case LD -> i.wide() && pc + 1 < program.size()
          ? String.format("r%d = %s", i.dst(), imm64(i, program.get(pc + 1), maps))
          : String.format("BUG_ld_%02x", code);
      default -> jump(i, cls == JMP32 ? 'w' : 'r');
    };
  }

  private static String alu(Instruction i, char width) {
    Optional<AluOp> op = AluOp.of(i.code());
    if (op.isEmpty()) {
      return String.format("BUG_alu_%02x", i.code());
    }
    if (op.get() == AluOp.END) {
      return width == 'r'
          ? String.format("BUG_alu64_%02x", i.code())
          : String.format("r%d = %s%d r%d", i.dst(), (i.code() & X) == TO_BE ? "be" : "le", i.imm(), i.dst());
    }
    if (op.get() == AluOp.NEG) {
      return String.format("%c%d = -%c%d", width, i.dst(), width, i.dst());
    }
    if ((i.code() & X) == X) {
      return String.format("%c%d %s %c%d", width, i.dst(), op.get().text(), width, i.src());
    }
    return String.format("%c%d %s %d", width, i.dst(), op.get().text(), i.imm());
  }

  private static String stx(Instruction i) {
    String size = Size.of(i.code()).text();
    if ((i.code() & 0xe0) == MEM) {
      return String.format("*(%s *)(r%d %+d) = r%d", size, i.dst(), i.off(), i.src());
    }
    Optional<AluOp> op = AluOp.of(i.imm());
    if ((i.code() & 0xe0) == ATOMIC && op.isPresent() && i.imm() == op.get().bits()
        && (op.get() == AluOp.ADD || op.get() == AluOp.AND || op.get() == AluOp.OR || op.get() == AluOp.XOR)) {
      return String.format("lock *(%s *)(r%d %+d) %s r%d", size, i.dst(), i.off(), op.get().text(), i.src());
    }
    return String.format("BUG_%02x", i.code());
  }

  private static String imm64(Instruction first, Instruction second, MapReference maps) {
    long value = Instruction.imm64(first, second);
    return switch (first.src()) {
      case PSEUDO_MAP_FD -> "map[" + (maps == MapReference.FD ? "fd:" : "id:") + first.imm() + "]";
      case PSEUDO_MAP_VALUE -> "map[" + (maps == MapReference.FD ? "fd:" : "id:") + first.imm() + "][0]+" + second.imm();
      default -> "0x" + Long.toHexString(value);
    };
  }

  private static String jump(Instruction i, char width) {
    Optional<JumpOp> op = JumpOp.of(i.code());
    if (op.isEmpty()) {
      return String.format("BUG_jmp_%02x", i.code());
    }
    return switch (op.get()) {
      case CALL -> i.src() == PSEUDO_CALL
          ? String.format("call pc%+d", i.imm())
          : String.format("call %s#%d", Helper.name(i.imm()), i.imm());
      case JA -> String.format("goto pc%+d", i.off());
      case EXIT -> "exit";
      default -> (i.code() & X) == X
          ? String.format("if %c%d %s %c%d goto pc%+d", width, i.dst(), op.get().text(), width, i.src(), i.off())
          : String.format("if %c%d %s 0x%x goto pc%+d", width, i.dst(), op.get().text(), i.imm(), i.off());
    };
  }
}
