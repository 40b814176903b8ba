package org.evfilter.tests.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code evfilter compare --kernel} on the real kernel: the report, the teardown, the refusal without root. */
@Tag("kernel")
class KernelCompareTest {
  private static final Path SAMPLES = Path.of("../samples/policies/valid").toAbsolutePath().normalize();
  @TempDir Path work;

  @BeforeAll
  static void needsTheKernel() throws Exception {
    boolean ok = System.getProperty("os.arch").equals("amd64") && Files.exists(Path.of("/proc/sys/kernel/seccomp/actions_avail"))
        && Files.readString(Path.of("/proc/filesystems")).contains("tracefs") && ChildJvm.isRoot();
    if (!ok) {
      System.err.println("\n*** SKIPPED: compare --kernel not tested: needs root on x86_64 Linux with seccomp and tracefs ***\n");
    }
    Assumptions.assumeTrue(ok, "needs root on x86_64 Linux with seccomp and tracefs");
  }

  @Test
  void theLabelPolicyIsMeasuredUnderEveryConfigurationAndTheReportSaysWhatFtraceCouldNotCarry() throws Exception {
    Path out = work.resolve("report");
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "compare", "--kernel", "--policy", SAMPLES.resolve("workspace.evf").toString(),
        "--syscall", "openat:-100,@/etc/hostname,0", "--repeat", "2", "--calls", "3000", "--rules", "1,10", "--out", out.toString(),
        "--", "/usr/bin/cat", "/etc/hostname");
    assertEquals(0, r.code(), r.err());
    for (String config : List.of("nothing", "seccomp BPF", "ftrace event, empty filter", "ftrace event filters", "seccomp BPF + ftrace",
        "eBPF program, no rules", "eBPF tracepoint program", "seccomp BPF + Landlock")) {
      assertTrue(r.out().contains(config), r.out());
    }
    String md = Files.readString(out.resolve("report.md"));
    // The third engine: a row per configuration with a sane figure, a column in the growth, its slope, what it carried.
    for (String config : List.of("eBPF program, no rules", "eBPF tracepoint program")) {
      java.util.regex.Matcher row = java.util.regex.Pattern.compile("\\| " + java.util.regex.Pattern.quote(config)
          + " \\| ([0-9.]+) \\|").matcher(md);
      assertTrue(row.find(), config + " row: " + md);
      double ns = Double.parseDouble(row.group(1));
      assertTrue(ns > 10 && ns < 1_000_000, config + ": " + ns + " ns per call");
    }
    assertTrue(md.contains("| rules added | predicates | nothing | seccomp BPF | ftrace event filters | eBPF tracepoint program |"), md);
    java.util.regex.Matcher ten = java.util.regex.Pattern.compile("\\| 10 \\| \\d+ \\|( [0-9.]+ \\|){4}").matcher(md);
    assertTrue(ten.find(), "every engine measured with 10 rules added: " + md);
    assertTrue(md.matches("(?s).*eBPF tracepoint program: [-+][0-9.]+ ns per rule added, [-+][0-9.]+ ns per predicate.*"), md);
    // Labels are not in the tracepoint's context: the eBPF side replaces those atoms and says so; its programs ran.
    assertTrue(md.contains("## What eBPF carried") && md.contains("replaced: ") && md.contains("label is not in this program's context"), md);
    java.util.regex.Matcher events = java.util.regex.Pattern.compile("evaluated (\\d+) events").matcher(md);
    assertTrue(events.find() && Long.parseLong(events.group(1)) >= 2 * 3000 * 3, "the programs saw every call of the loop: " + md);
    // Labels are not ftrace's: the rules reading them are approximated, and the report says so.
    assertTrue(md.contains("approximated: ") && md.contains("label & usr_t") && md.contains("ftrace has no labels"), md);
    assertTrue(md.contains("`sys_enter_openat`: ") && md.contains("&& common_pid < 0`"), md);
    assertTrue(md.contains("is notified by the policy's program"), md);
    assertTrue(md.contains("## `/usr/bin/cat /etc/hostname`"), md);
    assertTrue(md.contains("| 10 |"), md);
    for (String f : List.of("report.html", "kernel-configurations.svg", "kernel-configurations.png", "kernel-growth.png")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
  }

  @Test
  void nothingStaysInTracefsWhenItIsStoppedAndItRefusesWithoutRoot() throws Exception {
    // In a mount namespace of its own with tracefs mounted, so what stays behind can be looked at.
    List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "org.evfilter.cli.Main", "compare", "--kernel", "--policy",
        SAMPLES.resolve("cat.evf").toString(), "--repeat", "1000", "--calls", "200000", "--out", work.resolve("r").toString()));
    String script = "mount -t tracefs nodev /sys/kernel/tracing || exit 9; \"$@\" & pid=$!; "
        + "for i in $(seq 1 100); do ls /sys/kernel/tracing/instances | grep -q evfilter-kernel && break; sleep 0.1; done; "
        + "sleep 1; echo during: $(ls /sys/kernel/tracing/instances); kill -TERM $pid; wait $pid; "
        + "echo after: $(ls /sys/kernel/tracing/instances) end";
    List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"));
    argv.addAll(java);
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), text);
    assertTrue(text.matches("(?s).*during: [^\\n]*evfilter-kernel-\\d+.*"), text);
    assertTrue(text.matches("(?s).*after: +end\\s*"), text); // the instance, its filters and events: gone
    // The eBPF engine's programs and counters went with the process.
    String left = "";
    for (int tries = 0; tries < 50; tries++) {
      left = bpftool("prog") + bpftool("map");
      if (!left.contains("evfk_")) {
        break;
      }
      Thread.sleep(100);
    }
    assertTrue(!left.contains("evfk_"), left);
    // In a user namespace of its own, root is nobody: refused, and said why.
    List<String> nobody = new ArrayList<>(List.of("unshare", "--user"));
    nobody.addAll(java);
    Process q = new ProcessBuilder(nobody).redirectErrorStream(true).start();
    String refusal = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, q.waitFor(), refusal);
    assertTrue(refusal.contains("must run as root"), refusal);
  }

  private static String bpftool(String what) throws Exception {
    Process p = new ProcessBuilder("bpftool", what, "show").redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return text;
  }
}
