package org.evfilter.tests.kernel;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A generated corpus of filters, valid and invalid, over real events: every operator on every
 * field kind, numbers at the boundaries of every width and base, quoting, CPUS lists, suffixes,
 * whitespace (NBSP and newlines included), nesting, trailing and leading operators, lengths at the
 * kernel's limits, the kernel's own self-test filters, and seeded random token soup.
 */
final class FilterCorpus {
  /** The events the corpus uses, with a field of each kind. */
  static final List<String> EVENTS = List.of(
      "syscalls/sys_enter_openat",
      "syscalls/sys_exit_openat",
      "raw_syscalls/sys_enter",
      "sched/sched_switch",
      "sched/sched_process_exec",
      "ipi/ipi_send_cpumask",
      "ipi/ipi_send_cpu");

  private static final String OPENAT = "syscalls/sys_enter_openat";

  private final Set<KernelFilterOracle.Case> cases = new LinkedHashSet<>();

  static List<KernelFilterOracle.Case> generate(long seed) {
    FilterCorpus c = new FilterCorpus();
    c.operatorsOnFields();
    c.numbers();
    c.strings();
    c.cpus();
    c.suffixes();
    c.structure();
    c.selfTests();
    c.lengths();
    c.soup(new Random(seed), 3000);
    return new ArrayList<>(c.cases);
  }

  private void add(String event, String filter) {
    cases.add(new KernelFilterOracle.Case(event, filter));
  }

  private static final String[] OPS = {"==", "!=", "<", "<=", ">", ">=", "&", "~"};
  private static final String[] VALUES = {
    "1", "0", "-1", "0x10", "010", "\"x\"", "'x'", "\"*x*\"", "CPUS{0}", "CPUS{0-1}", "x", "",
    "(1)", "+1", "1x", "&1", "|1", "\"\"", "!1", "-", "0x", "08", "CPUS", "CPUS{}", "$", ")"
  };

  private void operatorsOnFields() {
    String[][] fields = {
      {OPENAT, "flags"}, {OPENAT, "filename"}, {OPENAT, "__syscall_nr"}, {OPENAT, "common_pid"},
      {OPENAT, "common_flags"}, {OPENAT, "common_type"}, {OPENAT, "cpu"}, {OPENAT, "CPU"},
      {OPENAT, "common_cpu"}, {OPENAT, "comm"}, {OPENAT, "COMM"}, {OPENAT, "stacktrace"},
      {OPENAT, "nosuch"}, {OPENAT, "Flags"}, {"syscalls/sys_exit_openat", "ret"},
      {"raw_syscalls/sys_enter", "id"}, {"raw_syscalls/sys_enter", "args"},
      {"sched/sched_switch", "prev_comm"}, {"sched/sched_switch", "prev_state"},
      {"sched/sched_switch", "prev_pid"}, {"sched/sched_process_exec", "filename"},
      {"ipi/ipi_send_cpumask", "cpumask"}, {"ipi/ipi_send_cpu", "callsite"}
    };
    for (String[] f : fields) {
      for (String op : OPS) {
        for (String v : VALUES) {
          add(f[0], f[1] + " " + op + " " + v);
        }
        add(f[0], f[1] + op + "1");
      }
      for (String bad : new String[] {"=", "=~", "!~", "^", "|", "+", "eq", "===", "<>", "&=", "&&", "in", ".", "=<", "! =", "< ="}) {
        add(f[0], f[1] + " " + bad + " 1");
      }
      add(f[0], f[1]);
      add(f[0], f[1] + " ");
      add(f[0], f[1] + " ==");
    }
  }

  private void numbers() {
    String[] fields = {"flags", "__syscall_nr", "common_pid", "common_flags", "common_type", "cpu"};
    String[] numbers = {
      "0", "00", "-0", "7", "08", "0777", "0x0", "0X1f", "0xg", "0x", "1a", "18446744073709551615",
      "18446744073709551616", "0xffffffffffffffff", "0x10000000000000000", "9223372036854775807",
      "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "4294967295",
      "4294967296", "-4294967296", "256", "65536", "-1", "--1", "-", "-x", "1-", "12345678901234567890123",
      "123456789012345678901234", "0x1234567890abcdef12345", "1_000", "1.5", "1e3", "0b101", "1L",
      "\u00e91", "1\u00e9"
    };
    for (String f : fields) {
      for (String n : numbers) {
        add(OPENAT, f + " == " + n);
        add(OPENAT, f + " < " + n);
      }
    }
    add("syscalls/sys_exit_openat", "ret < -1");
    add("syscalls/sys_exit_openat", "ret >= -9223372036854775808");
    add("raw_syscalls/sys_enter", "id == -1");
  }

  private void strings() {
    String[] fields = {"filename", "comm"};
    String[] strings = {
      "\"\"", "\"a\"", "'a'", "\"a'b\"", "'a\"b'", "\"a b\"", "\"*\"", "\"**\"", "\"!x\"", "\"1*\"",
      "\"x*y\"", "\"[a-z]*\"", "\"a\\\\b\"", "\"a\nb\"", "\"" + "a".repeat(255) + "\"",
      "\"" + "a".repeat(256) + "\"", "\"" + "a".repeat(300) + "\"", "\"a", "'a", "a\"", "\"a\"b",
      "\"a\" \"b\"", "\"a\"&&\"b\""
    };
    for (String f : fields) {
      for (String s : strings) {
        for (String op : new String[] {"==", "~", "!=", "<"}) {
          add(OPENAT, f + " " + op + " " + s);
          add("sched/sched_switch", "prev_comm " + op + " " + s);
          add("sched/sched_process_exec", "filename " + op + " " + s);
        }
      }
      add(OPENAT, f + ".ustring ~ \"*passwd*\"");
    }
  }

  private void cpus() {
    String[] lists = {
      "0", "1", "0-1", "0,1", "1-0", "2", "0-2", "all", "ALL", "N", "0-N", "0-1:1/2", "0-1:2/1",
      "0-1:0/1", " 0 ", "0 ,1", "", ",", "0,,1", "x", "-1", "0-", "0--1", "0-1:1", "0-1:1/0",
      "4294967296", "0 1", "1\n"
    };
    String[][] fields = {{OPENAT, "cpu"}, {OPENAT, "flags"}, {OPENAT, "common_flags"},
      {OPENAT, "filename"}, {"ipi/ipi_send_cpumask", "cpumask"}, {OPENAT, "comm"}};
    for (String[] f : fields) {
      for (String l : lists) {
        for (String op : new String[] {"==", "&", "!=", ">"}) {
          add(f[0], f[1] + " " + op + " CPUS{" + l + "}");
        }
      }
      for (String odd : new String[] {"CPUS {0}", "CPUS{0", "CPUS0}", "CPUSx", "cpus{0}", "CPUS{0}}", "CPUS{0} && cpu == 0", "CPUS{0)"}) {
        add(f[0], f[1] + " == " + odd);
      }
    }
  }

  private void suffixes() {
    String[] forms = {
      "filename.ustring ~ \"*x*\"", "filename.ustring == 1", "flags.ustring == 1",
      "filename.function == do_sys_openat2", "flags.function == do_sys_openat2",
      "flags.function != do_sys_openat2", "flags.function < do_sys_openat2",
      "flags.function == nosuchfunction_xyz", "flags.function == 0", "flags.function == 0x10",
      "flags.function == 0xffffffff81000000", "flags.function == 1x", "flags.function == do_sys_openat2)",
      "flags.function == \"do_sys_openat2\"", "flags.function ==", "flags.ustring.function == do_sys_openat2",
      "flags.function.ustring == do_sys_openat2", "flags .ustring == 1", "flags.usting == 1",
      "flags.ustringx == 1", "nosuch.ustring == 1", "comm.ustring == \"x\"", "common_pid.function == x",
      "(flags.function == do_sys_openat2)", "(flags.function == do_sys_openat2 )",
      "flags.function == -1", "flags.function == 123456789012345678901234"
    };
    for (String f : forms) {
      add(OPENAT, f);
    }
    add("ipi/ipi_send_cpu", "callsite.function == do_sys_openat2");
  }

  private void structure() {
    String a = "flags == 1";
    String b = "common_pid != 0";
    String[] shapes = {
      "A", "A && B", "A || B", "A&&B", "A||B", "!A", "!!A", "! A", "!(A)", "!(A && !B)",
      "(A)", "((A))", "(A) && (B)", "A && B || A && B", "A || B && A", "A &&", "A ||", "A && !",
      "A || !!", "A &&&& B", "A & & B", "A | | B", "A &&& B", "A ||| B", "&& A", "|| A", "A B", "A, B",
      "A ! B", "A && (B", "A && B)", "(A", "A)", ")A(", "()", "( )", "(!)", "A && ()", "!", "!!",
      " ", "0", " 0", "0 ", "00", "( A ) && ( B )", "\tA\t&&\tB\t", "A\n&&\nB", "A\u00a0&&\u00a0B",
      "\u00a0A", "A\u000b&&\u000cB", "A && B\r", "(A &&) B", "(A || (B && (A || (B))))", "A && (B || A) || B",
      "A # comment", "# x", "A && ! ( B )", "A &&! B", "A &&!B", "!=A", "!~A", "A != 1 && !B", "A ||\n", "A\u0000garbage",
      "A && B && A && B && A && B && A && B && A && B", "A'", "A && 'x", "A && \"x\" == 1", "A && ( \")\" )",
      "A && x\u00e9y == 1", "A && \u00e9 == 1", "\u00c0 == 1", "A && \u00d7 == 1", "A && _x == 1", "A && 9 == 1"
    };
    for (String s : shapes) {
      add(OPENAT, s.replace("A", a).replace("B", b));
    }
    for (int depth : new int[] {1, 2, 10, 100, 500, 1000, 2040}) {
      add(OPENAT, "(".repeat(depth) + a + ")".repeat(depth));
      add(OPENAT, "(".repeat(depth) + a + ")".repeat(depth - 1));
      add(OPENAT, "!".repeat(depth) + a);
    }
    StringBuilder many = new StringBuilder(a);
    for (int i = 0; i < 300; i++) {
      many.append(i % 2 == 0 ? " && " : " || ").append(i % 3 == 0 ? b : a);
    }
    add(OPENAT, many.toString());
  }

  // trace_events_filter.c's self-test filters, with a..h as fields of sys_enter_openat.
  private void selfTests() {
    String[] filters = {
      "a == 1 && b == 1 && c == 1 && d == 1 && e == 1 && f == 1 && g == 1 && h == 1",
      "a == 1 || b == 1 || c == 1 || d == 1 || e == 1 || f == 1 || g == 1 || h == 1",
      "(a == 1 || b == 1) && (c == 1 || d == 1) && (e == 1 || f == 1) && (g == 1 || h == 1)",
      "(a == 1 && b == 1) || (c == 1 && d == 1) || (e == 1 && f == 1) || (g == 1 && h == 1)",
      "(a == 1 && b == 1) && (c == 1 && d == 1) && (e == 1 && f == 1) || (g == 1 && h == 1)",
      "((a == 1 || b == 1) || (c == 1 || d == 1) || (e == 1 || f == 1)) && (g == 1 || h == 1)",
      "((((((((a == 1) && (b == 1)) || (c == 1)) && (d == 1)) || (e == 1)) && (f == 1)) || (g == 1)) && (h == 1))",
      "((((((((a == 1) || (b == 1)) && (c == 1)) || (d == 1)) && (e == 1)) || (f == 1)) && (g == 1)) || (h == 1))"
    };
    String[] names = {"flags", "mode", "dfd", "__syscall_nr", "common_pid", "common_flags", "common_type", "filename"};
    for (String f : filters) {
      String s = f;
      for (int i = 0; i < 8; i++) {
        s = s.replace((char) ('a' + i) + " == 1", names[i] + (i == 7 ? " == \"1\"" : " == 1"));
      }
      add(OPENAT, s);
    }
  }

  // Valid filters of exactly N bytes around the kernel's page limit (the write must be < 4096).
  private void lengths() {
    for (int target : new int[] {4094, 4095, 4096, 5000}) {
      StringBuilder s = new StringBuilder("flags == 1");
      while (s.length() + " || flags == 1".length() <= target) {
        s.append(" || flags == 1");
      }
      // Pad inside the filter (spaces before the first operator) so the length is exact.
      s.insert("flags".length(), " ".repeat(target - s.length()));
      add(OPENAT, s.toString());
      add(OPENAT, s.substring(0, s.length() - 1) + "x");
    }
  }

  private static final String[] SOUP = {
    "flags", "filename", "comm", "cpu", "common_pid", "nosuch", "__syscall_nr", "==", "!=", "<", "<=",
    ">", ">=", "&", "~", "&&", "||", "!", "(", ")", "1", "-1", "0x1f", "\"a*\"", "'b'", "CPUS{0}",
    " ", " ", " ", "\t", ".ustring", "x", "|", "=", "\"", "'", "{", "}", ",", "0", "in", "O_RDONLY"
  };

  private void soup(Random r, int count) {
    for (int i = 0; i < count; i++) {
      StringBuilder s = new StringBuilder();
      int n = 1 + r.nextInt(9);
      for (int k = 0; k < n; k++) {
        s.append(SOUP[r.nextInt(SOUP.length)]);
        if (r.nextInt(3) > 0) {
          s.append(' ');
        }
      }
      add(OPENAT, s.toString());
    }
    // Mostly-valid soup: a well-formed filter with one token changed.
    String[] good = {"flags == 1 && (filename ~ \"*x*\" || !common_pid < 5)", "cpu & CPUS{0-1} || comm != 'sh'"};
    for (int i = 0; i < count / 3; i++) {
      String g = good[r.nextInt(good.length)];
      int at = r.nextInt(g.length());
      String piece = SOUP[r.nextInt(SOUP.length)];
      String mutated = r.nextBoolean()
          ? g.substring(0, at) + piece + g.substring(at)
          : g.substring(0, at) + g.substring(Math.min(g.length(), at + 1 + r.nextInt(3)));
      add(OPENAT, mutated);
    }
  }
}
