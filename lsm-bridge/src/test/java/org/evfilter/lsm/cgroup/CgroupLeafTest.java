package org.evfilter.lsm.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CgroupLeafTest {
  @Test
  void findsTheCgroup2MountAfterTheSeparator() {
    List<String> mountinfo = List.of(
        "25 1 0:23 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs ro,mode=755",
        "26 25 0:24 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw");
    assertEquals(Optional.of(Path.of("/sys/fs/cgroup/unified")), CgroupLeaf.mount(mountinfo));
    assertEquals(Optional.empty(), CgroupLeaf.mount(mountinfo.subList(0, 2)));
  }

  @Test
  void aParentThatCannotBeMadeIsATypedError() {
    CgroupException e = assertThrows(CgroupException.class, () -> CgroupLeaf.create(Path.of("/proc/evfilter-cannot-be-here")));
    assertEquals(CgroupError.Kind.NOT_WRITABLE, e.error().kind());
    assertEquals(Path.of("/proc/evfilter-cannot-be-here"), e.error().path());
  }

  @Test
  void leavesOfDeadMakersAreRemovedAndLiveOnesKept(@org.junit.jupiter.api.io.TempDir Path parent) throws Exception {
    // A plain directory stands in for the cgroup parent: removal is rmdir either way.
    long dead = deadPid();
    Path stale = Files.createDirectory(parent.resolve("run-" + dead + "-0"));
    Path live = Files.createDirectory(parent.resolve("run-" + ProcessHandle.current().pid() + "-999"));
    Path other = Files.createDirectory(parent.resolve("someone-else-" + dead));
    try (CgroupLeaf leaf = CgroupLeaf.create(parent)) {
      assertFalse(Files.exists(stale));
      assertTrue(Files.exists(live));
      assertTrue(Files.exists(other));
      assertTrue(leaf.path().getFileName().toString().startsWith("run-" + ProcessHandle.current().pid() + "-"));
    }
  }

  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }
}
