package org.evfilter.tests.kernel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The match conformance corpus: per real event, the stimuli that fire it with known values (see
 * {@code src/test/c/match_trigger.c}), the filters set on it, each in a category of field, and the
 * field values each stimulus gives its event.
 */
final class MatchCorpus {
  /** A filter, and the kind of field or construct it exercises. */
  record Filter(String category, String text) {}

  /** An event, the stimuli run for each filter, and the filters. */
  record Group(String event, String idPattern, List<String> stimuli, List<Filter> filters) {}

  /** Every category the corpus must cover. */
  static final Set<String> CATEGORIES = Set.of("u8", "u16", "s16", "s32", "u64", "s64", "array", "char[N]",
      "comm", "dynamic string", "user string", "cpu", "CPUS on cpu", "CPUS on scalar", "expression");

  /** Names of the programs the exec stimuli run (links to /bin/true). */
  static final List<String> EXEC_NAMES = List.of("sh", "bash", "dash", "abcdefghijklmnopsh", "x[1]", "ab?d", "true");

  // Every glob form the kernel's filter_parse_regex() tells apart, and literals.
  private static final List<String> PATTERNS = List.of("sh", "bash", "*sh", "*ash", "ba*", "b*", "*as*", "*a*",
      "*", "**", "!*sh", "!bash", "b?sh", "?ash", "[bd]ash", "[!b]ash", "*[s]h", "[a-c]*", "*\\[*", "1abc",
      "a*h", "*a*h*", "", "abcdefghijklmsh", "*klmsh", "abcdefghijklmno*", "*mno", "*/sh", "*/bash",
      "/nonexistent-evfm/*", "*evfm*", "*[?]*", "x[1]", "ab?d", "*bash*", "!*", "!b*");
  private static final List<String> LITERALS = List.of("sh", "bash", "", "*", "abcdefghijklmno", "x[1]", "!bash");

  private static final String INITIAL_COMM = "match_trigger";
  private static final String FILL = "zzzzzzzzzzzzzzz";
  private static final int TASK_COMM_LEN = 16;
  private static final long AT_FDCWD = -100;

  private MatchCorpus() {}

  static List<Group> groups(Path bin, boolean twoCpus) {
    String cpu1 = twoCpus ? "cpu:1" : "cpu:0";
    List<String> lseeks = List.of("cpu:0", "comm:bash", "lseek:a:0:0", "lseek:a:1:0", "lseek:a:7fffffff:0",
        "comm:abcdefghijklmsh", "lseek:a:80000000:0", "lseek:a:ffffffff:1", "lseek:10000000a:5:0",
        "lseek:a:ffffffffffffffff:0", "lseek:ffffffff:0:0", "lseek:a:0:7fffffff", "lseek:a:0:ffffffff00000001",
        cpu1, "comm:sh", "lseek:a:100000001:0", "lseek:a:2:1", "comm:x[1]", "lseek:a:0:2");
    // A 15-byte name first on each CPU fills the array the kernel reuses for filtered events, so
    // the bytes after each later name's NUL are known (see events()). oom_score_adj only rises
    // here: lowering it below 0 needs CAP_SYS_RESOURCE, which this test does not assume.
    List<String> renames = List.of("cpu:0", "oom:0", "comm:" + FILL, "comm:sh", "oom:1", "comm:bash", "oom:1000",
        "comm:abcdefghijklmsh", "oom:500", "comm:dash", "oom:1", "comm:abcdefghijklmnopqrs", "comm:x[1]",
        cpu1, "comm:" + FILL, "oom:2", "comm:ab?d", "comm:evf-ash", "comm:abcdefghijklmno", "comm:sh", "oom:0");
    List<String> execs = new ArrayList<>(List.of("cpu:0"));
    EXEC_NAMES.forEach(n -> execs.add("exec:" + bin.resolve(n)));
    execs.add(cpu1);
    execs.add("exec:" + bin.resolve("sh"));
    String long300 = "/nonexistent-evfm/" + "a".repeat(300) + "sh";
    List<String> opens = List.of("cpu:0", "open:/nonexistent-evfm/sh", "open:/nonexistent-evfm/bash",
        "open:relative-evfm", "open:", "open:/nonexistent-evfm/x[1]", "open:" + long300, "open:abcdefghijklmsh");

    List<Group> groups = new ArrayList<>();
    groups.add(new Group("syscalls/sys_enter_lseek", "", lseeks, lseekEnterFilters()));
    groups.add(new Group("syscalls/sys_exit_lseek", "", lseeks, lseekExitFilters()));
    groups.add(new Group("raw_syscalls/sys_enter", "NR 8 \\(", lseeks, rawEnterFilters()));
    groups.add(new Group("raw_syscalls/sys_exit", "NR 8 =", lseeks, rawExitFilters()));
    groups.add(new Group("task/task_rename", "", renames, renameFilters()));
    groups.add(new Group("sched/sched_process_exec", "", execs, execFilters(bin)));
    groups.add(new Group("syscalls/sys_enter_openat", "", opens, openFilters()));
    return groups;
  }

  private static List<Filter> common() {
    return filters(
        "u8", "common_flags == 0", "common_flags == 256", "common_flags < 1", "common_flags & 1",
        "common_flags != 0x100", "common_flags > 0", "common_preempt_count <= 0", "common_preempt_count > 0xff",
        "common_preempt_count >= 0x100", "common_preempt_count == 0xffffffffffffff00",
        "u16", "common_type > 0", "common_type < 0x10000", "common_type == 0x10000", "common_type != 0",
        "common_type & 0xffff", "common_type >= 0x8000", "common_type <= 0xffff",
        "s32", "common_pid > 0", "common_pid < 0", "common_pid > 0xffffffff", "common_pid < 0x80000000",
        "common_pid & 1", "common_pid & 0x80000000", "common_pid != 0", "common_pid >= -1",
        "common_pid <= 0x7fffffff", "common_pid == 0x100000000");
  }

  private static List<Filter> cpuFilters() {
    return filters(
        "cpu", "cpu == 0", "cpu != 0", "cpu < 1", "cpu & 1", "cpu & 3", "CPU == 1", "common_cpu >= 1",
        "cpu > -1", "cpu == 0x100000001", "cpu <= 0",
        "CPUS on cpu", "cpu & CPUS{0}", "cpu & CPUS{1}", "cpu & CPUS{0-1}", "cpu == CPUS{0-1}",
        "cpu != CPUS{0-1}", "cpu == CPUS{1}", "cpu != CPUS{0}", "CPU & CPUS{all}", "cpu == CPUS{0}",
        "!(cpu & CPUS{0})");
  }

  private static List<Filter> commFilters() {
    return strings("comm", "comm");
  }

  private static List<Filter> lseekEnterFilters() {
    List<Filter> f = new ArrayList<>(common());
    f.addAll(cpuFilters());
    f.addAll(commFilters());
    f.addAll(filters(
        "s32", "__syscall_nr == 8", "__syscall_nr < 9", "__syscall_nr == 0x100000008", "__syscall_nr >= -1",
        "__syscall_nr & 8",
        "u64", "fd == 10", "fd == 0x10000000a", "fd & 0x100000000", "fd < 0x100000000", "fd >= 0xffffffff",
        "offset == 0xffffffffffffffff", "offset > 0x7fffffffffffffff", "offset < 0x100000000",
        "offset & 0x80000000", "offset != 0", "offset <= 1", "whence >= 0x7fffffff", "whence == 1",
        "whence & 0xffffffff00000000", "whence > 0", "offset == -1" /* refused: see below */,
        "CPUS on scalar", "whence & CPUS{0}", "whence == CPUS{1}", "whence & CPUS{0-1}", "whence != CPUS{0-1}",
        "whence != CPUS{1}", "offset & CPUS{1}", "offset & CPUS{0-1}", "fd & CPUS{0-1}",
        "common_flags & CPUS{0}", "common_preempt_count & CPUS{0-1}", "common_type == CPUS{0}",
        "common_pid & CPUS{0-1}", "__syscall_nr & CPUS{0-1}",
        "expression", "(whence == 0 && offset > 1) || !(fd & 1)", "!(offset < 2 || whence == 1) && cpu == 0",
        "fd == 10 && (offset == 0 || offset == 1) && !(whence & 2)", "!!(whence == 1)",
        "offset == 0 || offset == 1 || offset == 2 && whence == 1",
        "!(comm ~ \"*sh\" && offset < 3) || whence > 1"));
    f.removeIf(x -> x.text().equals("offset == -1"));
    return f;
  }

  private static List<Filter> lseekExitFilters() {
    List<Filter> f = new ArrayList<>(common());
    f.addAll(filters(
        "s64", "ret < 0", "ret == -22", "ret == -9", "ret > 0x7fffffff", "ret >= -9", "ret & 0x100000000",
        "ret <= -10", "ret == 0x100000001", "ret != 0", "ret > 0", "ret & 0x4000000000000000",
        "ret == 0x7fffffffffffffff", "ret < -0x8000000000000000",
        "CPUS on scalar", "ret & CPUS{0}", "ret & CPUS{0-1}", "ret == CPUS{1}", "ret != CPUS{0-1}",
        "ret & CPUS{1}"));
    return f;
  }

  private static List<Filter> rawEnterFilters() {
    return filters(
        "s64", "id == 8", "id < 0", "id > -1", "id != 8", "id & 0x8", "id == 0x8", "id >= 9",
        "array", "args == 0", "args != 0", "args & 1", "!(args == 3)", "args < 5", "args >= 0",
        "args == 10 || id == 8", "args != 1 && id == 8", "args & CPUS{0}", "args == CPUS{0-1}",
        "args != CPUS{0-1}", "!(args != 1)");
  }

  private static List<Filter> rawExitFilters() {
    return filters(
        "s64", "ret < 0", "ret == -22", "id == 8 && ret >= 0", "ret > 0xffffffff", "ret <= -1", "ret & 1",
        "CPUS on scalar", "ret & CPUS{0-1}", "ret == CPUS{0}", "id & CPUS{0-1}");
  }

  private static List<Filter> renameFilters() {
    List<Filter> f = new ArrayList<>(common());
    f.addAll(strings("char[N]", "oldcomm"));
    f.addAll(strings("char[N]", "newcomm"));
    f.addAll(commFilters());
    f.addAll(filters(
        "s16", "oom_score_adj < 0", "oom_score_adj == -1", "oom_score_adj < 0xffff", "oom_score_adj > 0xffff",
        "oom_score_adj >= 0x8000", "oom_score_adj <= 0x7fff", "oom_score_adj == 0x103e8", "oom_score_adj >= 500",
        "oom_score_adj != 0", "oom_score_adj == 0x10000", "oom_score_adj > -1", "oom_score_adj & 0x3e8",
        "oom_score_adj < 0x10001", "oom_score_adj >= -0x8000",
        "s32", "pid > 0", "pid == 0x100000000", "pid < 0x80000000", "pid & 1",
        "CPUS on scalar", "oom_score_adj & CPUS{0-1}", "oom_score_adj == CPUS{1}", "oom_score_adj & CPUS{0}",
        "oom_score_adj != CPUS{0-1}", "pid & CPUS{0-1}",
        "expression", "newcomm ~ \"*sh\" || oldcomm ~ \"*sh\"", "!(newcomm == \"bash\") && oom_score_adj < 0",
        "(oom_score_adj > 0 || newcomm ~ \"?ash\") && !(comm ~ \"[!m]*\")"));
    return f;
  }

  private static List<Filter> execFilters(Path bin) {
    List<Filter> f = new ArrayList<>(strings("dynamic string", "filename"));
    f.addAll(commFilters());
    f.addAll(filters(
        "dynamic string", "filename == \"" + bin.resolve("sh") + "\"", "filename ~ \"" + bin + "/*\"",
        "filename ~ \"*/x[[]1]\"", "filename ~ \"" + bin + "/[bd]ash\"", "filename != \"" + bin.resolve("bash") + "\"",
        "s32", "pid > 0", "old_pid == 0x100000000", "pid < 0", "old_pid & 1",
        "expression", "filename ~ \"*sh\" && !(comm ~ \"*sh\")"));
    return f;
  }

  private static List<Filter> openFilters() {
    List<Filter> f = new ArrayList<>(strings("user string", "filename.ustring"));
    f.addAll(filters(
        "user string", "filename ~ \"*sh\"", "filename != \"x\"", "!(filename ~ \"x\")", "filename ~ \"*\"",
        "filename == \"/nonexistent-evfm/sh\"", "!(filename.ustring == \"\")", "filename.ustring ~ \"*aaaash\"",
        "u64", "dfd == 0xffffffffffffff9c", "dfd == 0xffffff9c", "dfd & 0x80000000", "flags & 0x40",
        "flags == 0", "mode < 1",
        "expression", "filename.ustring ~ \"*sh\" && !(filename.ustring ~ \"*bash\") || flags & 1"));
    return f;
  }

  private static List<Filter> strings(String category, String field) {
    List<Filter> f = new ArrayList<>();
    for (String p : PATTERNS) {
      f.add(new Filter(category, field + " ~ \"" + p + "\""));
    }
    for (String l : LITERALS) {
      f.add(new Filter(category, field + " == \"" + l + "\""));
      f.add(new Filter(category, field + " != \"" + l + "\""));
    }
    return f;
  }

  // "category", filter, filter, ..., "category", ...: a word without spaces or operators starts a category.
  private static List<Filter> filters(String... items) {
    List<Filter> f = new ArrayList<>();
    String category = null;
    for (String s : items) {
      if (CATEGORIES.contains(s)) {
        category = s;
      } else {
        f.add(new Filter(category, s));
      }
    }
    return f;
  }

  // strscpy() into the reused array: the name and its NUL, then what was there (unknown: null).
  private static char[] newcommArea(char[] before, String name) {
    if (name.length() == TASK_COMM_LEN - 1) {
      char[] area = new char[TASK_COMM_LEN];
      name.getChars(0, name.length(), area, 0);
      return area;
    }
    if (before == null) {
      return null;
    }
    char[] area = before.clone();
    name.getChars(0, name.length(), area, 0);
    area[name.length()] = 0;
    return area;
  }

  /**
   * The field values each stimulus gives the group's event (null where it fires none), from the
   * trigger's report: the pid each event is recorded for and what each call returned.
   */
  static List<Map<String, Object>> events(Group g, int[] pids, long[] returned, int formatId) {
    List<Map<String, Object>> events = new ArrayList<>();
    int cpu = 0;
    String comm = INITIAL_COMM;
    long oom = 0;
    // Per CPU, the bytes of newcomm's array as the last rename left them, null where unknown: the
    // kernel builds a filtered event in a per-CPU buffer it reuses, and task_rename's strscpy() of
    // newcomm does not clear what follows the NUL.
    Map<Integer, char[]> stale = new java.util.HashMap<>();
    for (int s = 0; s < g.stimuli().size(); s++) {
      String[] st = g.stimuli().get(s).split(":", 2);
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("common_type", formatId);
      e.put("common_flags", 0);
      e.put("common_preempt_count", 0);
      e.put("common_pid", pids[s]);
      e.put("cpu", cpu);
      e.put("comm", comm);
      boolean fires = false;
      switch (st[0]) {
        case "cpu" -> cpu = returned[s] == 0 ? Integer.parseInt(st[1]) : cpu;
        case "oom" -> oom = returned[s] > 0 ? Long.parseLong(st[1]) : oom;
        case "comm" -> {
          String next = st[1].length() > 15 ? st[1].substring(0, 15) : st[1];
          if (g.event().equals("task/task_rename")) {
            char[] area = newcommArea(stale.get(cpu), next);
            stale.put(cpu, area);
            fires = area != null;
            e.put("pid", pids[s]);
            e.put("oldcomm", comm);
            e.put("newcomm", area == null ? next : new String(area));
            e.put("oom_score_adj", oom);
          }
          comm = next;
        }
        case "lseek" -> {
          String[] a = st[1].split(":");
          fires = g.event().contains("lseek") || g.event().startsWith("raw_syscalls/");
          switch (g.event()) {
            case "syscalls/sys_enter_lseek" -> {
              e.put("__syscall_nr", 8);
              e.put("fd", "0x" + a[0]);
              e.put("offset", "0x" + a[1]);
              e.put("whence", "0x" + a[2]);
            }
            case "syscalls/sys_exit_lseek" -> {
              e.put("__syscall_nr", 8);
              e.put("ret", returned[s]);
            }
            case "raw_syscalls/sys_enter" -> {
              e.put("id", 8);
              e.put("args", List.of("0x" + a[0], "0x" + a[1], "0x" + a[2]));
            }
            case "raw_syscalls/sys_exit" -> {
              e.put("id", 8);
              e.put("ret", returned[s]);
            }
            default -> fires = false;
          }
        }
        case "open" -> {
          fires = g.event().equals("syscalls/sys_enter_openat");
          e.put("__syscall_nr", 257);
          e.put("dfd", Long.toUnsignedString(AT_FDCWD));
          e.put("filename", st[1]);
          e.put("flags", 0);
          e.put("mode", 0);
        }
        case "exec" -> {
          fires = g.event().equals("sched/sched_process_exec");
          String base = st[1].substring(st[1].lastIndexOf('/') + 1);
          // begin_new_exec() names the task after the file before the event fires.
          e.put("comm", base.length() > 15 ? base.substring(0, 15) : base);
          e.put("filename", st[1]);
          e.put("pid", pids[s]);
          e.put("old_pid", pids[s]);
        }
        default -> throw new IllegalArgumentException(g.stimuli().get(s));
      }
      events.add(fires ? e : null);
    }
    return events;
  }
}
