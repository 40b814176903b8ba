package org.evfilter.lsm.bpf;

import static org.evfilter.lsm.bpf.Opcodes.*;

import java.util.BitSet;
import java.util.List;

/**
 * The kernel's seccomp action cache (Linux 5.11+, {@code seccomp_cache_prepare_bitmap}): at attach
 * time each syscall number of the native ABI is emulated with only {@code nr} and {@code arch}
 * known; if that path provably returns {@code SECCOMP_RET_ALLOW}, later calls of the number skip
 * the filter entirely. This emulation follows {@code seccomp_is_const_allow} instruction by
 * instruction.
 */
public final class ActionCache {

  private ActionCache() {}

  /** The numbers {@code 0..maxNr} whose decision the kernel caches as ALLOW for {@code auditArch}. */
  public static BitSet allowed(BpfProgram program, int auditArch, int maxNr) {
    BitSet out = new BitSet(maxNr + 1);
    List<Instruction> insns = program.instructions();
    for (int nr = 0; nr <= maxNr; nr++) {
      if (constAllow(insns, nr, auditArch)) {
        out.set(nr);
      }
    }
    return out;
  }

  /** Whether the path for {@code nr} reads only nr and arch and ends in ALLOW. */
  static boolean constAllow(List<Instruction> insns, int nr, int auditArch) {
    int a = 0;
    for (int pc = 0; pc < insns.size(); pc++) {
      Instruction i = insns.get(pc);
      int k = i.k();
      switch (i.code()) {
        case LD | W | ABS -> {
          if (k == SeccompData.NR) {
            a = nr;
          } else if (k == SeccompData.ARCH) {
            a = auditArch;
          } else {
            return false;
          }
        }
        case RET | K -> {
          return k == SeccompReturn.ALLOW;
        }
        case JMP | JA -> pc += k;
        case JMP | JEQ | K -> pc += a == k ? i.jt() : i.jf();
        case JMP | JGE | K -> pc += Integer.compareUnsigned(a, k) >= 0 ? i.jt() : i.jf();
        case JMP | JGT | K -> pc += Integer.compareUnsigned(a, k) > 0 ? i.jt() : i.jf();
        case JMP | JSET | K -> pc += (a & k) != 0 ? i.jt() : i.jf();
        case ALU | AND | K -> a &= k;
        default -> {
          return false;
        }
      }
    }
    return false;
  }
}
