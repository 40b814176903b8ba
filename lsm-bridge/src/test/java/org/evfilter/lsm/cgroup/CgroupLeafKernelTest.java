package org.evfilter.lsm.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("kernel")
class CgroupLeafKernelTest {
  @Test
  void aLeafTakesAProcessAndGoesWhenItIsEmpty() throws Exception {
    boolean usable = "root".equals(System.getProperty("user.name")) && CgroupLeaf.mount().isPresent();
    if (!usable) {
      System.err.println("\n*** SKIPPED: cgroup leaves not checked: not root or no cgroup v2 mount ***\n");
    }
    Assumptions.assumeTrue(usable);
    Process child = new ProcessBuilder("sleep", "30").start();
    Path dir;
    try (CgroupLeaf leaf = CgroupLeaf.create()) {
      dir = leaf.path();
      assertEquals(CgroupLeaf.mount().orElseThrow().resolve(CgroupLeaf.PARENT), dir.getParent());
      assertFalse(leaf.populated());
      leaf.moveIn(child.pid());
      assertEquals(List.of(child.pid()), leaf.pids());
      assertTrue(leaf.populated());
      assertTrue(Files.readString(Path.of("/proc", Long.toString(child.pid()), "cgroup")).contains("0::/" + CgroupLeaf.PARENT + "/"
          + dir.getFileName() + "\n"));
      assertFalse(leaf.remove(), "a leaf with a process in it stays");
      assertEquals(CgroupError.Kind.MOVE_REFUSED, assertThrows(CgroupException.class, () -> leaf.moveIn(Integer.MAX_VALUE)).error().kind());
      child.destroyForcibly();
      assertTrue(child.waitFor(10, TimeUnit.SECONDS));
      // The kernel empties cgroup.procs shortly after the exit is reaped.
      for (int i = 0; i < 50 && leaf.populated(); i++) {
        Thread.sleep(20);
      }
    } finally {
      child.destroyForcibly();
    }
    assertFalse(Files.exists(dir));
  }
}
