package org.evfilter.tests.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares the x86_64 syscall table with the running kernel's tracefs syscall events: every
 * difference is reported; argument names and types that disagree fail the test.
 */
class SyscallTableKernelTest {
  // tracefs names some syscalls after their SYSCALL_DEFINE, not their table name.
  private static final Map<String, String> TRACEFS_NAMES = Map.of(
      "newstat", "stat", "newfstat", "fstat", "newlstat", "lstat", "newuname", "uname",
      "sendfile64", "sendfile", "umount", "umount2");

  @Test
  void x86_64TableMatchesTheLiveKernel(@TempDir Path work) throws Exception {
    Optional<String> why = KernelFilterOracle.unavailable();
    if (why.isPresent()) {
      System.err.println("\n*** SKIPPED: syscall table not compared with the kernel: " + why.get() + " ***\n");
    }
    Assumptions.assumeTrue(why.isEmpty(), () -> "syscall table not compared: " + why.get());

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
      String name = TRACEFS_NAMES.getOrDefault(traced, traced);
      seen.add(name);
      Optional<Syscall> s = table.byName(name);
      if (s.isEmpty()) {
        onlyKernel.add(name);
        continue;
      }
      EventSchema schema = live.find(event).orElseThrow();
      List<String> kernelArgs = schema.fields().stream()
          .filter(f -> !f.isCommon() && !f.name().equals("__syscall_nr"))
          .map(f -> f.cType() + " " + f.name()).collect(Collectors.toList());
      List<String> tableArgs = s.get().arguments().stream().map(a -> a.cType() + " " + a.name()).collect(Collectors.toList());
      if (!s.get().argumentsKnown() || !kernelArgs.equals(tableArgs)) {
        argumentMismatches.add(name + ": kernel " + kernelArgs + ", table "
            + (s.get().argumentsKnown() ? tableArgs : "unknown"));
      }
    }
    List<String> onlyTable = table.all().stream().map(Syscall::name).filter(n -> !seen.contains(n)).collect(Collectors.toList());
    String report = String.join("\n",
        "x86_64 syscall table (" + table.source() + ") against the live kernel's tracefs:",
        "  in the kernel, not in the table (newer than the pinned headers): " + onlyKernel.size() + " " + onlyKernel,
        "  in the table, no tracefs event (not built in, or not implemented): " + onlyTable.size() + " " + onlyTable,
        "  argument differences: " + argumentMismatches.size() + (argumentMismatches.isEmpty() ? "" : "\n    " + String.join("\n    ", argumentMismatches)));
    System.out.println(report);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "syscall-table-vs-kernel.txt"), report + "\n", StandardCharsets.UTF_8);
    assertTrue(seen.size() > 300, "too few syscall events: " + seen.size());
    assertEquals(List.of(), argumentMismatches, report);
    // The table's arguments are the ones seccomp compares: spot-check widths against tracefs types.
    SyscallArg flags = table.byName("openat").orElseThrow().argument("flags").orElseThrow();
    EventField traced = live.find("syscalls/sys_enter_openat").orElseThrow().field("flags").orElseThrow();
    assertEquals("int", traced.cType());
    assertEquals(4, flags.width());
  }
}
