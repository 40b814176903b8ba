package org.evfilter.tests.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.tests.run.CPrograms;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares the x86_64 syscall table with the running kernel: every syscall the kernel has a
 * tracefs event for must be in the table, with the same argument names and types, and the numbers
 * of the newer syscalls must be the ones the kernel dispatches.
 */
@Tag("kernel")
class SyscallTableKernelTest {
  private static final String REFRESH = "the tables are numbered from pinned copies of the kernel's syscall tables"
      + " (events/src/main/kernel-tables); refresh them from this kernel's source tree with"
      + " `events/scripts/gen-syscall-tables.sh --from LINUX_SRC`, take this kernel's tracefs formats with"
      + " `events/scripts/snapshot-tracefs-formats.sh` (root) and run `events/scripts/gen-syscall-tables.sh` again";
  // Numbers after rseq (334): the ones called by numbersMatchTheKernel. All of them check their
  // flags or file descriptor before doing anything, so a call with every argument -1 is refused.
  private static final int FIRST_PROBED = 335;
  private static final int X32_RANGE = 512;

  @Test
  void x86_64TableMatchesTheLiveKernel(@TempDir Path work) throws Exception {
    skipWithoutKernel();
    Path snapshot = work.resolve("live.format");
    Process p = new ProcessBuilder("bash", Path.of("..", "events", "scripts", "snapshot-tracefs-formats.sh").toString(),
        snapshot.toString()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0, "snapshot failed: " + log);
    SchemaCatalog live = SchemaCatalog.parseSnapshot(Files.readString(snapshot, StandardCharsets.ISO_8859_1), "live");

    SyscallTable table = SyscallTable.of(Arch.X86_64);
    List<String> onlyKernel = new ArrayList<>();
    List<String> argumentMismatches = new ArrayList<>();
    TreeSet<String> seen = new TreeSet<>();
    for (String event : live.events()) {
      if (!event.startsWith("syscalls/sys_enter_")) {
        continue;
      }
      String traced = event.substring("syscalls/sys_enter_".length());
      Optional<Syscall> s = table.byTracefsName(traced);
      if (s.isEmpty()) {
        onlyKernel.add(traced);
        continue;
      }
      seen.add(s.get().name());
      EventSchema schema = live.find(event).orElseThrow();
      List<String> kernelArgs = schema.fields().stream()
          .filter(f -> !f.isCommon() && !f.name().equals("__syscall_nr"))
          .map(f -> f.cType() + " " + f.name()).collect(Collectors.toList());
      List<String> tableArgs = s.get().arguments().stream().map(a -> a.cType() + " " + a.name()).collect(Collectors.toList());
      if (!s.get().argumentsKnown() || !kernelArgs.equals(tableArgs)) {
        argumentMismatches.add(s.get().name() + ": kernel " + kernelArgs + ", table "
            + (s.get().argumentsKnown() ? tableArgs : "unknown"));
      }
    }
    List<String> onlyTable = table.all().stream().map(Syscall::name).filter(n -> !seen.contains(n)).collect(Collectors.toList());
    String report = String.join("\n",
        "x86_64 syscall table (" + table.source() + ") against the live kernel's tracefs:",
        "  in the kernel, not in the table: " + onlyKernel.size() + " " + onlyKernel,
        "  in the table, no tracefs event (not built in, or not implemented): " + onlyTable.size() + " " + onlyTable,
        "  argument differences: " + argumentMismatches.size() + (argumentMismatches.isEmpty() ? "" : "\n    " + String.join("\n    ", argumentMismatches)));
    System.out.println(report);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "syscall-table-vs-kernel.txt"), report + "\n", StandardCharsets.UTF_8);
    assertTrue(seen.size() > 300, "too few syscall events: " + seen.size());
    assertEquals(List.of(), onlyKernel, "the running kernel has syscalls the x86_64 table does not number: "
        + onlyKernel + ";\n" + REFRESH + "\n" + report);
    assertEquals(List.of(), argumentMismatches, report);
    // The table's arguments are the ones seccomp compares: spot-check widths against tracefs types.
    SyscallArg flags = table.byName("openat").orElseThrow().argument("flags").orElseThrow();
    EventField traced = live.find("syscalls/sys_enter_openat").orElseThrow().field("flags").orElseThrow();
    assertEquals("int", traced.cType());
    assertEquals(4, flags.width());
  }

  /**
   * Calls each table syscall numbered after rseq with harmless arguments, in a traced child, and
   * reads which syscall event the kernel fires for the number (tracefs events do not show numbers,
   * but raw_syscalls/sys_enter does, and both fire on the same entry).
   */
  @Test
  void numbersMatchTheKernel(@TempDir Path work) throws Exception {
    skipWithoutKernel();
    SyscallTable table = SyscallTable.of(Arch.X86_64);
    List<Syscall> probed = table.all().stream()
        .filter(s -> s.nr() >= FIRST_PROBED && s.nr() < X32_RANGE).collect(Collectors.toList());
    Path program = CPrograms.build("syscall_numbers", false);
    Path mount = Files.createDirectories(work.resolve("tracefs"));
    List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", TRACE_SCRIPT,
        "trace", mount.toString(), Integer.toString(FIRST_PROBED), program.toString()));
    probed.forEach(s -> argv.add(Long.toString(s.nr())));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String trace = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0, "tracing the calls failed: " + trace);

    Map<Long, Optional<String>> kernel = kernelNames(trace);
    List<String> wrong = new ArrayList<>();
    List<String> noEvent = new ArrayList<>();
    for (Syscall s : probed) {
      Optional<String> traced = kernel.get((long) s.nr());
      if (traced == null) {
        wrong.add(s.nr() + " " + s.name() + ": the call was not traced");
      } else if (traced.isEmpty()) {
        noEvent.add(s.nr() + " " + s.name());
      } else {
        String name = table.byTracefsName(traced.get()).map(Syscall::name).orElse(traced.get());
        if (!name.equals(s.name())) {
          wrong.add(s.nr() + ": table " + s.name() + ", kernel " + traced.get());
        }
      }
    }
    System.out.println("x86_64 numbers " + FIRST_PROBED + ".." + (X32_RANGE - 1) + " called on the live kernel: "
        + probed.size() + " syscalls, " + (probed.size() - wrong.size() - noEvent.size()) + " named by the kernel as in the table, "
        + noEvent.size() + " without a syscall event here " + noEvent);
    assertEquals(List.of(), wrong, "x86_64 syscall numbers the running kernel names otherwise; " + REFRESH);
    assertTrue(probed.size() - noEvent.size() >= 40, "too few calls named by the kernel: " + trace);
  }

  private static void skipWithoutKernel() {
    KernelAccess.assumeAvailable("syscall table");
  }

  // In a private mount namespace: a tracing instance following this shell and its children, with
  // raw_syscalls/sys_enter (the number) and every syscalls/sys_enter_* (the name) from the first
  // probed number up; runs the program, prints the trace, and removes the instance.
  private static final String TRACE_SCRIPT = String.join("\n",
      "set -e",
      "m=$1; first=$2; prog=$3; shift 3",
      "mount -t tracefs nodev \"$m\"",
      "i=\"$m/instances/evfilter-numbers-$$\"",
      "mkdir \"$i\"",
      "trap 'echo 0 > \"$i/tracing_on\"; echo 0 > \"$i/events/enable\"; rmdir \"$i\"; umount \"$m\"' EXIT",
      "echo 1 > \"$i/options/event-fork\"",
      "echo $$ > \"$i/set_event_pid\"",
      "echo \"id >= $first\" > \"$i/events/raw_syscalls/sys_enter/filter\"",
      "echo \"__syscall_nr >= $first\" > \"$i/events/syscalls/filter\"",
      "echo 1 > \"$i/events/raw_syscalls/sys_enter/enable\"",
      "echo 1 > \"$i/events/syscalls/enable\"",
      "\"$prog\" \"$@\"",
      "echo 0 > \"$i/tracing_on\"",
      "grep -v '^#' \"$i/trace\"");

  // "  task-PID [CPU] flags ts: sys_enter: NR 451 (...)" and "  task-PID [CPU] flags ts: sys_cachestat(fd: ...)"
  private static final Pattern LINE = Pattern.compile("-(\\d+)\\s+\\[\\d+\\][^:]*:\\s+(?:sys_enter: NR (\\d+) |sys_(\\w+)\\()");

  /** Number -> the syscall event the kernel fired for it in the same task, or empty when none. */
  private static Map<Long, Optional<String>> kernelNames(String trace) {
    Map<Long, Optional<String>> names = new TreeMap<>();
    Map<String, Long> pendingNumber = new HashMap<>();
    Map<String, String> pendingName = new HashMap<>();
    for (String line : trace.split("\n")) {
      Matcher m = LINE.matcher(line);
      if (!m.find()) {
        continue;
      }
      String pid = m.group(1);
      if (m.group(2) != null) {
        long nr = Long.parseLong(m.group(2));
        String name = pendingName.remove(pid);
        Long earlier = pendingNumber.put(pid, nr);
        if (earlier != null) {
          names.putIfAbsent(earlier, Optional.empty());
        }
        if (name != null) {
          names.put(nr, Optional.of(name));
          pendingNumber.remove(pid);
        }
      } else {
        Long nr = pendingNumber.remove(pid);
        if (nr != null) {
          names.put(nr, Optional.of(m.group(3)));
        } else {
          pendingName.put(pid, m.group(3));
        }
      }
    }
    pendingNumber.values().forEach(nr -> names.putIfAbsent(nr, Optional.empty()));
    return names;
  }
}
