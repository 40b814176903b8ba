package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The syscalls numbered since Linux 6.2 (the 6.18 tables) as the commands show them. */
class SyscallNamesTest {
  @Test
  void eventsListsTheNewerSyscalls() {
    CheckCommandTest.Result all = CheckCommandTest.run("events");
    assertEquals(0, all.code(), all.err());
    assertTrue(all.out().matches("(?s).*\\n452 +fchmodat2 +\\(int dfd, const char \\* filename, umode_t mode, unsigned int flags\\).*"), all.out());
    assertTrue(all.out().matches("(?s).*\\n469 +file_setattr .*"), all.out());
    CheckCommandTest.Result arm = CheckCommandTest.run("events", "--arch", "aarch64", "cachestat");
    assertEquals(0, arm.code(), arm.err());
    assertTrue(arm.out().startsWith("cachestat (aarch64 nr 451)"), arm.out());
    CheckCommandTest.Result x32 = CheckCommandTest.run("events", "--arch", "x32", "futex_wait");
    assertTrue(x32.out().startsWith("futex_wait (x32 nr 1073742279)"), x32.out());
  }

  @Test
  void learnAndExplainNameTheNewerSyscalls(@TempDir Path dir) throws Exception {
    Path trace = dir.resolve("t.tsv");
    Files.writeString(trace, "# nr a0 a1 a2 a3 a4 a5\n452 0xffffff9c 0x1000 0x1ed 0 0 0\n455 0x1000 0 0 0 0 0\n");
    Path policy = dir.resolve("learned.evf");
    CheckCommandTest.Result learned = CheckCommandTest.run("learn", trace.toString(), "-o", policy.toString());
    assertEquals(0, learned.code(), learned.err());
    String text = Files.readString(policy);
    assertTrue(text.contains("allow fchmodat2: ") && text.contains("allow futex_wait: "), text);
    CheckCommandTest.Result explained = CheckCommandTest.run("explain", "--policy", policy.toString());
    assertEquals(0, explained.code(), explained.err());
    assertTrue(explained.out().contains("fchmodat2 (452)") && explained.out().contains("futex_wait (455)"), explained.out());
  }
}
