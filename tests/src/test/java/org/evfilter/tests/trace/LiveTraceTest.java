package org.evfilter.tests.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.evfilter.tests.kernel.KernelAccess;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code evfilter trace} on the live kernel: kernel-side filtering, scoping, teardown. */
@Tag("kernel")
class LiveTraceTest {
  @TempDir Path work;
  private String before;

  @BeforeEach
  void needsTheKernel() throws Exception {
    KernelAccess.assumeAvailable("live tracing");
    before = instances();
  }

  @Test
  void onlyTheCreatingOpenatFilteredInTheKernel() throws Exception {
    Path file = work.resolve("created");
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "trace", "--filter", "flags & O_CREAT",
        "--", "sh", "-c", "cat /etc/hostname > /dev/null; touch " + file);
    assertEquals(0, r.code(), r.err());
    List<String> lines = Arrays.stream(r.out().split("\n")).filter(l -> !l.isBlank()).toList();
    // The shell's redirection to /dev/null opens with O_CREAT too: both, and nothing else.
    assertTrue(lines.size() >= 1 && lines.size() <= 2, r.out());
    assertTrue(lines.stream().allMatch(l -> l.contains("sys_openat(") && hasCreat(l)), r.out());
    // touch's own open (O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK). The flags identify it, not the name: the
    // kernel prints a comm from its saved_cmdlines, "<...>" when that missed the short-lived process, or
    // the comm of an earlier task that had the same pid (seen: "ForkJoinPool.co-18526").
    assertTrue(lines.stream().anyMatch(l -> l.contains("flags: 0x941")), r.out());
    assertTrue(r.err().contains("in user space for 0"), r.err());
    assertTrue(r.err().matches("(?s).*filter in the kernel for [1-9][0-9]*,.*"), r.err());
    assertNoInstanceLeft();
  }

  @Test
  void filtersFtraceCannotSayAreEvaluatedHere() throws Exception {
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "trace", "--json", "--event", "syscalls/sys_enter_openat",
        "--filter", "(flags & O_ACCMODE) > O_RDONLY", "--", "sh", "-c", "echo x > " + work.resolve("w") + "; cat /etc/hostname >/dev/null");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("filter in the kernel for 0, in user space for 1"), r.err());
    List<String> lines = Arrays.stream(r.out().split("\n")).filter(l -> !l.isBlank()).toList();
    assertTrue(!lines.isEmpty(), r.err());
    for (String l : lines) {
      assertTrue(l.contains("\"name\":\"openat\""), l);
      long flags = Long.parseLong(l.replaceAll(".*\"args\":\\[[^,]*,[^,]*,([0-9]+),.*", "$1"));
      assertTrue((flags & 3) > 0, l);
    }
    assertNoInstanceLeft();
  }

  @Test
  void badFiltersAreInputErrorsWithTheirPosition() throws Exception {
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "trace", "--event", "syscalls/sys_enter_openat",
        "--filter", "flags & O_CRAT", "--", "true");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("<filter>:1:9: Unknown name: no constant, errno or syscall is called 'O_CRAT'"), r.err());
    assertNoInstanceLeft();
  }

  private static boolean hasCreat(String line) {
    String flags = line.replaceAll(".*flags: 0x([0-9a-f]+).*", "$1");
    return (Long.parseLong(flags, 16) & 0100) != 0;
  }

  // Other tracers may run meanwhile: only instances that were not there before count.
  private void assertNoInstanceLeft() throws Exception {
    List<String> left = instances().lines().filter(l -> !before.lines().toList().contains(l)).toList();
    assertEquals(List.of(), left, "instances left behind");
  }

  private static String instances() throws Exception {
    return ChildJvm.sh("d=$(mktemp -d); unshare -m sh -c \"mount -t tracefs nodev $d && ls $d/instances\"; rmdir $d");
  }
}
