package org.evfilter.events.tracefs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.junit.jupiter.api.Test;

class TraceLineTest {
  @Test
  void syscallEnterLines() {
    TraceLine t = TraceLine.parse(
        "              sh-27624   [001] .....  3747.097312: sys_openat(dfd: 0xffffff9c, filename: 0x564d297eed08, flags: 0x241, mode: 0x1b6)")
        .orElseThrow();
    assertEquals("sh", t.comm());
    assertEquals(27624, t.pid());
    assertEquals(1, t.cpu());
    assertEquals(3747_097312000L, t.timestampNanos());
    SyscallEvent e = t.syscall(Arch.X86_64).orElseThrow();
    assertEquals(257, e.nr());
    assertEquals(0xffffff9cL, e.arg(0));
    assertEquals(0x241, e.arg(2));
    assertEquals(0x1b6, e.arg(3));
    assertEquals("sh", e.comm());
  }

  @Test
  void exitRawAndOtherLines() {
    SyscallEvent exit = TraceLine.parse("   my-prog name-12 [000] d.... 10.5: sys_openat -> 0x3").orElseThrow()
        .syscall(Arch.X86_64).orElseThrow();
    assertEquals(3, exit.ret().getAsLong());
    TraceLine named = TraceLine.parse("   my-prog name-12 [000] d.... 10.5: sys_openat -> 0x3").orElseThrow();
    assertEquals("my-prog name", named.comm());
    SyscallEvent raw = TraceLine.parse("sh-1 [000] ..... 1.000001: sys_enter: NR 262 (ffffff9c, 564d297eed08, 0, 0, 0, 1)")
        .orElseThrow().syscall(Arch.X86_64).orElseThrow();
    assertEquals(262, raw.nr());
    assertEquals(1, raw.arg(5));
    SyscallEvent stat = TraceLine.parse("sh-1 [000] ..... 1.0: sys_newstat(filename: 0x1, statbuf: 0x2)").orElseThrow()
        .syscall(Arch.X86_64).orElseThrow();
    assertEquals("stat", stat.syscall().orElseThrow().name());
    TraceLine sched = TraceLine.parse("<idle>-0 [001] d..2. 5.0: sched_switch: prev_comm=swapper/1 prev_pid=0").orElseThrow();
    assertEquals(Optional.empty(), sched.syscall(Arch.X86_64));
    assertTrue(TraceLine.parse("# tracer: nop").isEmpty());
    TraceLine odd = TraceLine.parse("   x [1]-77 (     70) [001] ..... 2.5: sys_close(fd: 0x3)").orElseThrow();
    assertEquals("x [1]", odd.comm());
    assertEquals(70, odd.pid());
    assertEquals(77, odd.tid());
    assertEquals(Optional.of("syscalls/sys_enter_close"), odd.syscallEvent());
    assertEquals(Optional.of("syscalls/sys_exit_openat"), named.syscallEvent());
  }
}
