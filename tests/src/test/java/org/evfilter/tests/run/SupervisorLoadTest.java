package org.evfilter.tests.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor under 8 target threads opening at once: every notification answered exactly once
 * (the supervisor counts exactly the opens made beyond a run that makes none, and every open got
 * the right descriptor). The full load and its figures are bench/scripts/supervisor-load.sh.
 */
@Tag("kernel")
class SupervisorLoadTest {
  private static final int THREADS = 8;
  private static final int OPENS = 2000;
  private static Path load;
  @TempDir Path work;

  @BeforeAll
  static void build() throws Exception {
    CPrograms.needUserNotification("supervisor load");
    load = CPrograms.build("load", false);
  }

  private long supervised(Path policy, Path file, int opens) throws Exception {
    ChildJvm.Result r = ChildJvm.evfilter(work, List.of(), "run", "--policy", policy.toString(), "--", load.toString(), file.toString(),
        String.valueOf(THREADS), String.valueOf(opens));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("opens " + THREADS * opens + " ok " + THREADS * opens + " failed 0 wrong 0"), r.out());
    Matcher m = Pattern.compile("(\\d+) supervised syscalls: (\\d+) allowed, 0 denied").matcher(r.err());
    assertTrue(m.find(), r.err());
    assertEquals(m.group(1), m.group(2), r.err());
    return Long.parseLong(m.group(1));
  }

  @Test
  void everyNotificationIsAnsweredExactlyOnce() throws Exception {
    Path file = Files.writeString(work.resolve("file"), "the right content\n");
    Path policy = Files.writeString(work.resolve("sup.evf"), "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n");
    long baseline = supervised(policy, file, 0);
    long loaded = supervised(policy, file, OPENS);
    assertEquals(baseline + (long) THREADS * OPENS, loaded, "notifications lost or counted twice");
  }
}
