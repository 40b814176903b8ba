package org.evfilter.tests.compile;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * Random policies over syscalls with arguments of every width and signedness, and the boundary
 * values that make their comparisons flip: what the compiler's differential tests run.
 */
final class RandomPolicies {
  static final List<String> SYSCALLS = List.of(
      "read", "write", "openat", "lseek", "mmap", "kill", "socket", "clone", "prctl", "fcntl", "ioctl", "getpid",
      "close", "futex", "mprotect", "personality", "setuid");
  private static final long[] INTERESTING = {
      0, 1, 2, 3, 0x40, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000L, 0xffffffffL,
      0x100000000L, 0x100000001L, 0x1ffffffffL, 0x7fffffffffffffffL, 0x8000000000000000L, -1, -2, -0x80000000L,
      0xffffffff00000000L, 0xffffffff7fffffffL};
  private static final String[] ACTIONS = {"allow", "errno(EPERM)", "errno(EACCES)", "kill_process", "trap", "log",
      "trace(7)", "kill_thread", "user_notif"};

  private final Random random;
  private final boolean withLabels;
  private final Arch arch;
  private final SyscallTable table;
  private final String[] syscalls;
  // i386 probes cannot choose ebp (arg5): policies for it never read it.
  private final int arguments;
  final Set<Long> constants = new LinkedHashSet<>();
  final Set<Integer> numbers = new LinkedHashSet<>();

  RandomPolicies(long seed, boolean withLabels) {
    this(seed, withLabels, Arch.X86_64);
  }

  RandomPolicies(long seed, boolean withLabels, Arch arch) {
    this(new Random(seed), withLabels, arch);
  }

  /** Policies whose every choice {@code random} makes (a fuzzer's data, for one). */
  RandomPolicies(Random random, boolean withLabels, Arch arch) {
    this.random = random;
    this.withLabels = withLabels;
    this.arch = arch;
    this.table = SyscallTable.of(arch);
    this.syscalls = SYSCALLS.stream().filter(n -> table.byName(n).isPresent()).toArray(String[]::new);
    this.arguments = arch == Arch.I386 ? 5 : 6;
  }

  /** A policy of a few rules; records the syscalls and constants it uses. */
  String policy() {
    constants.clear();
    numbers.clear();
    StringBuilder b = new StringBuilder();
    if (withLabels) {
      b.append("label tmp_t, etc_t\n");
    }
    b.append("default ").append(pick(ACTIONS)).append('\n');
    int rules = 1 + random.nextInt(6);
    for (int r = 0; r < rules; r++) {
      b.append(pick(ACTIONS)).append(' ');
      if (random.nextInt(6) == 0) {
        // A rule on every syscall, testing the number.
        int a = number();
        int c = number();
        b.append(": nr ").append(pick(new String[] {"==", "!=", "<", ">=", ">"})).append(' ').append(a);
        if (random.nextBoolean()) {
          b.append(" || nr in {").append(Math.min(a, c)).append("..").append(Math.max(a, c)).append('}');
        }
        b.append('\n');
        continue;
      }
      String name = pick(syscalls);
      Syscall s = table.byName(name).orElseThrow();
      numbers.add(s.nr());
      b.append(name);
      if (random.nextInt(4) != 0) {
        b.append(": ").append(expression(s, 2));
      }
      b.append('\n');
    }
    return b.toString();
  }

  private int number() {
    int n = random.nextInt(3) == 0 ? random.nextInt(500) : table.byName(pick(syscalls)).orElseThrow().nr();
    numbers.add(n);
    constants.add((long) n);
    return n;
  }

  private String expression(Syscall s, int depth) {
    if (depth > 0 && random.nextInt(3) == 0) {
      String op = random.nextBoolean() ? " && " : " || ";
      String e = "(" + expression(s, depth - 1) + op + expression(s, depth - 1) + ")";
      return random.nextInt(4) == 0 ? "!" + e : e;
    }
    return atom(s);
  }

  private String atom(Syscall s) {
    List<String> fields = new ArrayList<>();
    Set<String> signed = new java.util.HashSet<>();
    for (SyscallArg a : s.arguments()) {
      if (a.kind() != SyscallArg.Kind.STRING && !Set.of("nr", "arch", "label").contains(a.name()) && a.index() < arguments) {
        fields.add(a.name());
        if (a.signed()) {
          signed.add(a.name());
        }
      }
    }
    fields.add("arg" + random.nextInt(arguments));
    if (withLabels && random.nextInt(5) == 0) {
      return "label & " + (random.nextBoolean() ? "tmp_t" : "etc_t");
    }
    String field = fields.get(random.nextInt(fields.size()));
    boolean sign = signed.contains(field);
    java.util.function.LongFunction<String> hex = x -> sign ? Long.toString(x) : "0x" + Long.toHexString(x);
    java.util.Comparator<Long> order = sign ? Long::compare : Long::compareUnsigned;
    long v = value();
    constants.add(v);
    switch (random.nextInt(8)) {
      case 0:
        return field + " & " + hex.apply(v == 0 ? 1 : v);
      case 1: {
        long m = value();
        constants.add(m);
        return "(" + field + " & " + hex.apply(m) + ") " + (random.nextBoolean() ? "==" : "!=") + " " + hex.apply(v & m);
      }
      case 2: {
        long w = value();
        constants.add(w);
        boolean ascending = order.compare(v, w) <= 0;
        return field + " in {" + hex.apply(v) + ", " + hex.apply(ascending ? v : w) + ".." + hex.apply(ascending ? w : v) + "}";
      }
      default:
        return field + " " + pick(new String[] {"==", "!=", "<", "<=", ">", ">="}) + " " + hex.apply(v);
    }
  }

  private long value() {
    long v = INTERESTING[random.nextInt(INTERESTING.length)];
    return switch (random.nextInt(4)) {
      case 0 -> v + random.nextInt(3) - 1;
      case 1 -> random.nextLong();
      default -> v;
    };
  }

  private String pick(String[] options) {
    return options[random.nextInt(options.length)];
  }

  /** Values around every constant: each side of it, and with the other half of the word changed. */
  long argument() {
    List<Long> pool = new ArrayList<>(constants);
    if (pool.isEmpty() || random.nextInt(8) == 0) {
      return random.nextInt(2) == 0 ? INTERESTING[random.nextInt(INTERESTING.length)] : random.nextLong();
    }
    long c = pool.get(random.nextInt(pool.size()));
    return switch (random.nextInt(6)) {
      case 0 -> c - 1;
      case 1 -> c + 1;
      case 2 -> c ^ 0xffffffff00000000L;
      case 3 -> (c & 0xffffffffL) | ((long) random.nextInt() << 32);
      default -> c;
    };
  }

  /** A syscall number: one the policy names, one near them, or an odd one. */
  int syscallNumber() {
    List<Integer> pool = new ArrayList<>(numbers);
    return switch (random.nextInt(10)) {
      case 0 -> random.nextInt(600);
      case 1 -> 0x40000000 | random.nextInt(600);
      case 2 -> -1 - random.nextInt(2);
      case 3 -> 0x80000000 | random.nextInt(3);
      default -> pool.isEmpty() ? random.nextInt(400) : pool.get(random.nextInt(pool.size())) + random.nextInt(3) - 1;
    };
  }

  Random random() {
    return random;
  }
}
