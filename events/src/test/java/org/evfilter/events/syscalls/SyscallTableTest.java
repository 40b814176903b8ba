package org.evfilter.events.syscalls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SyscallTableTest {

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "x86_64, openat, 257", "x86_64, read, 0", "x86_64, execve, 59", "x86_64, clone3, 435",
    "i386, openat, 295", "i386, socketcall, 102", "i386, read, 3", "i386, mmap2, 192",
    "aarch64, openat, 56", "aarch64, clone, 220", "aarch64, execve, 221",
    "x32, openat, 1073742081", "x32, read, 1073741824",
    // Numbered by the kernel's tables since 6.2 (the Debian 6.1 headers lacked them).
    "x86_64, uprobe, 336", "x86_64, cachestat, 451", "x86_64, fchmodat2, 452", "x86_64, futex_wait, 455",
    "x86_64, file_setattr, 469", "i386, map_shadow_stack, 453", "i386, futex_requeue, 456",
    "aarch64, fchmodat2, 452", "aarch64, mseal, 462", "x32, fchmodat2, 1073742276"})
  void numbersMatchTheAbi(String arch, String name, long nr) {
    SyscallTable t = SyscallTable.of(Arch.of(arch).orElseThrow());
    assertEquals(nr, t.byName(name).orElseThrow().nr());
    assertEquals(name, t.byNumber(nr).orElseThrow().name());
  }

  @Test
  void aarch64HasNoLegacyPathSyscalls() {
    SyscallTable t = SyscallTable.of(Arch.AARCH64);
    assertTrue(t.byName("open").isEmpty());
    assertTrue(t.byName("stat").isEmpty());
  }

  @Test
  void argumentsHaveTheirRealWidth() {
    Syscall openat = SyscallTable.of(Arch.X86_64).byName("openat").orElseThrow();
    SyscallArg dfd = openat.argument("dfd").orElseThrow();
    assertEquals(0, dfd.index());
    assertEquals(4, dfd.width());
    assertTrue(dfd.signed());
    SyscallArg filename = openat.argument("filename").orElseThrow();
    assertEquals(SyscallArg.Kind.STRING, filename.kind());
    assertEquals(8, filename.width());
    assertEquals(4, openat.argument("mode").orElseThrow().width());
    assertFalse(openat.argument("mode").orElseThrow().signed());
    Syscall lseek = SyscallTable.of(Arch.X86_64).byName("lseek").orElseThrow();
    assertEquals(8, lseek.argument("offset").orElseThrow().width());
    assertTrue(lseek.argument("offset").orElseThrow().signed());
    Syscall socket = SyscallTable.of(Arch.X86_64).byName("socket").orElseThrow();
    assertEquals(4, socket.argument("family").orElseThrow().width());
    // On i386 every register is 4 bytes: pointers and longs too.
    Syscall openat32 = SyscallTable.of(Arch.I386).byName("openat").orElseThrow();
    assertEquals(4, openat32.argument("filename").orElseThrow().width());
    assertEquals(4, SyscallTable.of(Arch.I386).byName("lseek").orElseThrow().argument("offset").orElseThrow().width());
    // loff_t takes two registers on i386: no index is claimed.
    assertFalse(SyscallTable.of(Arch.I386).byName("fallocate").orElseThrow().argumentsKnown());
    Syscall clone = SyscallTable.of(Arch.AARCH64).byName("clone").orElseThrow();
    assertEquals(3, clone.argument("tls").orElseThrow().index());
    assertEquals(4, clone.argument("child_tidptr").orElseThrow().index());
    assertEquals(8, SyscallTable.of(Arch.X32).byName("lseek").orElseThrow().argument("offset").orElseThrow().width());
  }

  @Test
  void tracefsNamesResolvePerTable() {
    SyscallTable t = SyscallTable.of(Arch.X86_64);
    assertEquals("stat", t.byTracefsName("newstat").orElseThrow().name());
    assertEquals("umount2", t.byTracefsName("umount").orElseThrow().name());
    // x86_64 has select and fadvise64 of its own: not the i386/aarch64 names they stand for.
    assertEquals(23, t.byTracefsName("select").orElseThrow().nr());
    assertEquals(221, t.byTracefsName("fadvise64").orElseThrow().nr());
    assertEquals("newstat", SyscallTable.tracefsName("stat"));
    assertEquals("openat", SyscallTable.tracefsName("openat"));
    assertEquals("fchmodat2", t.byTracefsName("fchmodat2").orElseThrow().name());
  }

  @Test
  void newSyscallsHaveTheirTracefsArguments() {
    Syscall fchmodat2 = SyscallTable.of(Arch.X86_64).byName("fchmodat2").orElseThrow();
    assertTrue(fchmodat2.argumentsKnown());
    assertEquals(3, fchmodat2.argument("flags").orElseThrow().index());
    assertEquals(4, fchmodat2.argument("flags").orElseThrow().width());
    assertTrue(SyscallTable.of(Arch.X86_64).source().startsWith("numbers: Linux 6.18"), SyscallTable.of(Arch.X86_64).source());
  }

  @Test
  void unknownSignaturesAreMarked() {
    Syscall s = SyscallTable.of(Arch.X86_64).byName("tuxcall").orElseThrow();
    assertFalse(s.argumentsKnown());
    Syscall getpid = SyscallTable.of(Arch.X86_64).byName("getpid").orElseThrow();
    assertTrue(getpid.argumentsKnown());
    assertTrue(getpid.arguments().isEmpty());
  }

  @Test
  void archesByAuditValue() {
    assertEquals(Optional.of(Arch.X86_64), Arch.ofAudit(0xC000003EL, 257));
    assertEquals(Optional.of(Arch.X32), Arch.ofAudit(0xC000003EL, 0x40000000L | 257));
    assertEquals(Optional.of(Arch.I386), Arch.ofAudit(0x40000003L, 5));
    assertEquals(Optional.of(Arch.AARCH64), Arch.ofAudit(0xC00000B7L, 56));
    assertEquals(Optional.empty(), Arch.ofAudit(0x12345678L, 0));
    assertEquals(Optional.of(Arch.I386), Arch.of("ia32"));
  }
}
