package org.evfilter.events.vfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.junit.jupiter.api.Test;

class VfsEventsTest {
  static VfsEvent vfs(int nr, Map<Integer, String> strings, long... args) {
    return VfsEvents.from(SyscallEvent.builder(Arch.X86_64, nr, args).strings(strings).build()).orElseThrow();
  }

  @Test
  void opensAndCreates() {
    VfsEvent read = vfs(257, Map.of(1, "/etc/passwd"), -100, 0, 0x80000);
    assertEquals(VfsOp.OPEN, read.op());
    assertEquals(VfsEvent.Access.READ, read.access());
    assertEquals("/etc/passwd", read.path());
    VfsEvent create = vfs(257, Map.of(1, "/tmp/x"), -100, 0, 01 | 0100 | 01000, 0644);
    assertEquals(VfsOp.CREATE, create.op());
    assertEquals(VfsEvent.Access.WRITE, create.access());
    assertEquals(VfsOp.CREATE, vfs(85, Map.of(0, "/tmp/y"), 0, 0644).op());
  }

  @Test
  void twoPathOperations() {
    VfsEvent rename = vfs(316, Map.of(1, "/a", 3, "/b"), -100, 0, -100, 0, 0);
    assertEquals(VfsOp.RENAME, rename.op());
    assertEquals(List.of("/a", "/b"), rename.paths());
    VfsEvent symlink = vfs(88, Map.of(0, "target", 1, "/tmp/link"));
    assertEquals(List.of("/tmp/link", "target"), symlink.paths());
    assertEquals(VfsOp.RMDIR, vfs(263, Map.of(1, "/tmp/d"), -100, 0, 0x200).op());
    assertEquals(VfsOp.UNLINK, vfs(263, Map.of(1, "/tmp/f"), -100, 0, 0).op());
    assertEquals(VfsOp.EXEC, vfs(59, Map.of(0, "/bin/sh")).op());
    assertEquals(VfsOp.CONNECT, vfs(42, Map.of(1, "/run/x.sock"), 3, 0, 110).op());
  }

  @Test
  void nothingWithoutAPathOrForOtherSyscalls() {
    assertTrue(VfsEvents.from(SyscallEvent.builder(Arch.X86_64, 257, -100, 0x1000, 0).build()).isEmpty());
    assertTrue(VfsEvents.from(SyscallEvent.builder(Arch.X86_64, 0, 3, 0, 10).build()).isEmpty());
  }
}
