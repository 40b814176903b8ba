package org.evfilter.lsm.bpf;

import static org.evfilter.lsm.bpf.Opcodes.*;

import java.util.List;

/**
 * Prints programs the way libseccomp's {@code scmp_bpf_disasm} does: a header, then per instruction
 * its line, raw fields and decoded form, jumps with absolute targets, returns decoded as seccomp
 * actions ({@code ERRNO(1)}, {@code ALLOW}).
 */
public final class Disassembler {
  private Disassembler() {}

  public static String text(List<Instruction> program) {
    StringBuilder out = new StringBuilder(" line  OP   JT   JF   K\n=================================\n");
    for (int pc = 0; pc < program.size(); pc++) {
      Instruction i = program.get(pc);
      out.append(String.format(" %04d: 0x%02x 0x%02x 0x%02x 0x%08x   %s%n", pc, i.code(), i.jt(), i.jf(), i.k(), decode(i, pc)));
    }
    return out.toString();
  }

  /**
   * A Graphviz digraph of the program: one node per instruction, solid edges when a jump is taken,
   * dashed when not, returns as boxes.
   */
  public static String dot(List<Instruction> program) {
    StringBuilder out = new StringBuilder("digraph bpf {\n  node [shape=ellipse, fontname=monospace];\n");
    for (int pc = 0; pc < program.size(); pc++) {
      Instruction i = program.get(pc);
      String text = decode(i, pc).replace("\"", "'");
      boolean ret = i.cls() == RET;
      out.append(String.format("  n%d [label=\"%04d: %s\"%s];%n", pc, pc, text, ret ? ", shape=box" : ""));
      if (i.code() == (JMP | JA)) {
        out.append(String.format("  n%d -> n%d;%n", pc, pc + 1 + i.k()));
      } else if (i.cls() == JMP) {
        out.append(String.format("  n%d -> n%d [label=\"true\"];%n", pc, pc + 1 + i.jt()));
        out.append(String.format("  n%d -> n%d [label=\"false\", style=dashed];%n", pc, pc + 1 + i.jf()));
      } else if (!ret) {
        out.append(String.format("  n%d -> n%d;%n", pc, pc + 1));
      }
    }
    return out.append("}\n").toString();
  }

  /** The program as a C initialiser of {@code struct sock_filter}, each line commented with its disassembly. */
  public static String c(List<Instruction> program, String name) {
    StringBuilder out = new StringBuilder("#include <linux/filter.h>\n\nstatic struct sock_filter " + name + "[] = {\n");
    for (int pc = 0; pc < program.size(); pc++) {
      Instruction i = program.get(pc);
      out.append(String.format("  { 0x%02x, %3d, %3d, 0x%08x }, /* %04d: %s */%n", i.code(), i.jt(), i.jf(), i.k(), pc, decode(i, pc)));
    }
    return out.append("};\n").toString();
  }

  static String decode(Instruction i, int pc) {
    int code = i.code();
    int k = i.k();
    return switch (code) {
      case LD | W | ABS -> "ld  $data[" + k + "]";
      case LD | W | LEN -> "ld  $len";
      case LDX | W | LEN -> "ldx $len";
      case LD | IMM -> "ld  " + Integer.toUnsignedString(k);
      case LDX | IMM -> "ldx " + Integer.toUnsignedString(k);
      case LD | MEM -> "ld  $temp[" + k + "]";
      case LDX | MEM -> "ldx $temp[" + k + "]";
      case ST -> "st  $temp[" + k + "]";
      case STX -> "stx $temp[" + k + "]";
      case MISC | TAX -> "tax";
      case MISC | TXA -> "txa";
      case RET | A -> "ret A";
      case RET | K -> "ret " + action(k);
      case JMP | JA -> "jmp " + String.format("%04d", pc + 1 + k);
      case ALU | NEG -> "neg";
      default -> {
        String operand = (code & X) != 0 ? "X" : Integer.toUnsignedString(k);
        if (i.cls() == ALU) {
          String op = switch (code & 0xf0) {
            case ADD -> "add";
            case SUB -> "sub";
            case MUL -> "mul";
            case DIV -> "div";
            case OR -> "or ";
            case AND -> "and";
            case LSH -> "lsh";
            case RSH -> "rsh";
            case XOR -> "xor";
            default -> "alu?";
          };
          yield op + " " + operand;
        }
        if (i.cls() == JMP) {
          String op = switch (code & 0xf0) {
            case JEQ -> "jeq";
            case JGT -> "jgt";
            case JGE -> "jge";
            case JSET -> "jset";
            default -> "j?";
          };
          yield op + " " + operand + " true:" + String.format("%04d", pc + 1 + i.jt()) + " false:"
              + String.format("%04d", pc + 1 + i.jf());
        }
        yield "???";
      }
    };
  }

  /** A seccomp return value as an action: {@code KILL_PROCESS}, {@code ERRNO(13)}, {@code ALLOW}. */
  public static String action(int value) {
    int data = value & SeccompReturn.DATA;
    return switch (value & SeccompReturn.ACTION) {
      case SeccompReturn.KILL_PROCESS -> "KILL_PROCESS";
      case SeccompReturn.KILL_THREAD -> "KILL";
      case SeccompReturn.TRAP -> "TRAP";
      case SeccompReturn.ERRNO -> "ERRNO(" + data + ")";
      case SeccompReturn.USER_NOTIF -> "NOTIFY";
      case SeccompReturn.TRACE -> "TRACE(" + data + ")";
      case SeccompReturn.LOG -> "LOG";
      case SeccompReturn.ALLOW -> "ALLOW";
      default -> "0x" + Integer.toHexString(value);
    };
  }
}
