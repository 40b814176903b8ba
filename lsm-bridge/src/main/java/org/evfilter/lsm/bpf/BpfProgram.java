package org.evfilter.lsm.bpf;

import static org.evfilter.lsm.bpf.Opcodes.*;

import java.util.List;

/**
 * A classic BPF program that the kernel would accept as a seccomp filter: {@link #of} validates it
 * exactly as {@code seccomp_check_filter()} and {@code bpf_check_classic()} do (the seccomp opcode
 * whitelist, aligned 32-bit loads inside {@code struct seccomp_data}, 1 to 4096 instructions,
 * jumps inside the program, no division by a constant 0, scratch memory written before it is read,
 * a return at the end). {@link #run} is the interpreter, counting the instructions it executes.
 */
public final class BpfProgram {
  private final Instruction[] insns;

  /** The result of running a program: the 32-bit return value and how many instructions ran. */
  public record Result(int value, int executed) {}

  private BpfProgram(Instruction[] insns) {
    this.insns = insns;
  }

  /**
   * Validates {@code insns} like the kernel.
   *
   * @throws BpfException naming the first instruction the kernel would refuse, and why
   */
  public static BpfProgram of(List<Instruction> insns) {
    Instruction[] p = insns.toArray(new Instruction[0]);
    if (p.length == 0 || p.length > MAX_INSNS) {
      throw new BpfException(-1, "a filter has 1 to " + MAX_INSNS + " instructions, not " + p.length);
    }
    for (int pc = 0; pc < p.length; pc++) {
      check(p, pc);
    }
    int last = p[p.length - 1].code();
    if (last != (RET | K) && last != (RET | A)) {
      throw new BpfException(p.length - 1, "the last instruction must return");
    }
    checkMemory(p);
    return new BpfProgram(p);
  }

  /**
   * The kernel's {@code struct sock_filter} array in host byte order: what {@code bwrap --seccomp FD}
   * and {@code SECCOMP_SET_MODE_FILTER} take.
   */
  public byte[] toRaw() {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(insns.length * 8).order(java.nio.ByteOrder.nativeOrder());
    for (Instruction i : insns) {
      b.putShort((short) i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
    }
    return b.array();
  }

  /** Reads a raw {@code struct sock_filter} array (host byte order) and validates it like the kernel. */
  public static BpfProgram fromRaw(byte[] raw) {
    if (raw.length % 8 != 0) {
      throw new BpfException(-1, "a raw program is a whole number of 8-byte instructions, not " + raw.length + " bytes");
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.nativeOrder());
    java.util.List<Instruction> out = new java.util.ArrayList<>(raw.length / 8);
    while (b.hasRemaining()) {
      out.add(new Instruction(b.getShort() & 0xffff, b.get() & 0xff, b.get() & 0xff, b.getInt()));
    }
    return of(out);
  }

  public List<Instruction> instructions() {
    return List.of(insns);
  }

  public int length() {
    return insns.length;
  }

  /** Runs the program on {@code data} as the kernel's seccomp does. */
  public Result run(SeccompData data) {
    int a = 0;
    int x = 0;
    int[] mem = new int[MEMWORDS];
    int pc = 0;
    int executed = 0;
    while (true) {
      Instruction i = insns[pc];
      executed++;
      int code = i.code();
      int k = i.k();
      switch (code) {
        case LD | W | ABS -> a = data.word(k);
        case LD | W | LEN -> a = SeccompData.SIZE;
        case LDX | W | LEN -> x = SeccompData.SIZE;
        case LD | IMM -> a = k;
        case LDX | IMM -> x = k;
        case LD | MEM -> a = mem[k];
        case LDX | MEM -> x = mem[k];
        case ST -> mem[k] = a;
        case STX -> mem[k] = x;
        case MISC | TAX -> x = a;
        case MISC | TXA -> a = x;
        case RET | K -> {
          return new Result(k, executed);
        }
        case RET | A -> {
          return new Result(a, executed);
        }
        case JMP | JA -> {
          pc += 1 + k;
          continue;
        }
        case ALU | NEG -> a = -a;
        default -> {
          if (i.cls() == ALU) {
            a = alu(code & 0xf0, a, (code & X) != 0 ? x : k);
          } else if (i.cls() == JMP) {
            int operand = (code & X) != 0 ? x : k;
            boolean taken = switch (code & 0xf0) {
              case JEQ -> a == operand;
              case JGT -> Integer.compareUnsigned(a, operand) > 0;
              case JGE -> Integer.compareUnsigned(a, operand) >= 0;
              default -> (a & operand) != 0;
            };
            pc += 1 + (taken ? i.jt() : i.jf());
            continue;
          } else {
            throw new IllegalStateException("validated program holds " + Integer.toHexString(code));
          }
        }
      }
      pc++;
    }
  }

  private static int alu(int op, int a, int v) {
    return switch (op) {
      case ADD -> a + v;
      case SUB -> a - v;
      case MUL -> a * v;
      case DIV -> v == 0 ? 0 : Integer.divideUnsigned(a, v);
      case OR -> a | v;
      case AND -> a & v;
      case LSH -> v >= 32 ? 0 : a << v;
      case RSH -> v >= 32 ? 0 : a >>> v;
      case XOR -> a ^ v;
      default -> throw new IllegalStateException("alu " + op);
    };
  }

  private static void check(Instruction[] p, int pc) {
    Instruction i = p[pc];
    int code = i.code();
    int k = i.k();
    switch (code) {
      case LD | W | ABS -> {
        if (k < 0 || k >= SeccompData.SIZE || (k & 3) != 0) {
          throw new BpfException(pc, "loads read aligned 32-bit words of seccomp_data (0..60), not offset " + k);
        }
      }
      case LD | W | LEN, LDX | W | LEN, RET | K, RET | A, LD | IMM, LDX | IMM, MISC | TAX, MISC | TXA, ALU | NEG -> { }
      case LD | MEM, LDX | MEM, ST, STX -> {
        if (k < 0 || k >= MEMWORDS) {
          throw new BpfException(pc, "scratch memory has " + MEMWORDS + " words, not index " + k);
        }
      }
      case JMP | JA -> {
        if (k < 0 || pc + 1 + (long) k >= p.length) {
          throw new BpfException(pc, "jump beyond the program");
        }
      }
      default -> {
        int op = code & 0xf0;
        boolean aluOk = i.cls() == ALU && (code & ~0xf8) == ALU
            && (op == ADD || op == SUB || op == MUL || op == DIV || op == AND || op == OR || op == XOR || op == LSH || op == RSH);
        boolean jmpOk = i.cls() == JMP && (code & ~0xf8) == JMP && (op == JEQ || op == JGE || op == JGT || op == JSET);
        if (!aluOk && !jmpOk) {
          throw new BpfException(pc, "opcode 0x" + Integer.toHexString(code) + " is not allowed in seccomp filters");
        }
        if (aluOk && op == DIV && (code & X) == 0 && k == 0) {
          throw new BpfException(pc, "division by the constant 0");
        }
        if (aluOk && (op == LSH || op == RSH) && (code & X) == 0 && Integer.compareUnsigned(k, 32) >= 0) {
          throw new BpfException(pc, "a shift by " + Integer.toUnsignedString(k) + " bits (at most 31)");
        }
        if (jmpOk && (pc + 1 + i.jt() >= p.length || pc + 1 + i.jf() >= p.length)) {
          throw new BpfException(pc, "jump beyond the program");
        }
      }
    }
  }

  // The kernel's check_load_and_stores(), step by step: a scratch word is read only after every
  // path to the read wrote it.
  private static void checkMemory(Instruction[] p) {
    int[] masks = new int[p.length];
    java.util.Arrays.fill(masks, 0xffff);
    int memvalid = 0;
    for (int pc = 0; pc < p.length; pc++) {
      memvalid &= masks[pc];
      Instruction i = p[pc];
      switch (i.code()) {
        case ST, STX -> memvalid |= 1 << i.k();
        case LD | MEM, LDX | MEM -> {
          if ((memvalid & (1 << i.k())) == 0) {
            throw new BpfException(pc, "scratch word " + i.k() + " is read before it is written");
          }
        }
        case JMP | JA -> {
          masks[pc + 1 + i.k()] &= memvalid;
          memvalid = 0xffff;
        }
        default -> {
          if (i.cls() == JMP) {
            masks[pc + 1 + i.jt()] &= memvalid;
            masks[pc + 1 + i.jf()] &= memvalid;
            memvalid = 0xffff;
          }
        }
      }
    }
  }
}
