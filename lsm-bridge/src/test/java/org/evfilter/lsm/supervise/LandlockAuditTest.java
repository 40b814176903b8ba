package org.evfilter.lsm.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.evfilter.lsm.natives.AuditNetlink;
import org.junit.jupiter.api.Test;

/** The reading of Landlock's audit records, from records as the kernel writes them (security/landlock/audit.c). */
class LandlockAuditTest {
  private final List<LandlockAudit.Denial> got = new ArrayList<>();
  private final LandlockAudit audit = LandlockAudit.records(got::add);

  private void record(int type, String text) {
    audit.take(new AuditNetlink.Message(type, text));
  }

  @Test
  void aPathTheKernelDidNotTrustToPrintIsDecodedFromHex() {
    Map<String, String> f = LandlockAudit.fields("audit(1729738800.221:34): domain=1a6fdc679 blockers=fs.read_file"
        + " path=2F746D702F61206220632E747874 dev=\"vda2\" ino=143821");
    assertEquals("/tmp/a b c.txt", f.get("path"));
    assertEquals("fs.read_file", f.get("blockers"));
    assertEquals("vda2", f.get("dev"));
    assertEquals("34", LandlockAudit.serial("audit(1729738800.221:34): domain=1"));
    assertEquals(1729738800221L, LandlockAudit.time("audit(1729738800.221:34): x=1").toEpochMilli());
  }

  @Test
  void onlyTheLaunchersDomainIsReportedWithTheSyscallOfItsEvent() {
    audit.watch(289);
    // Another sandbox's refusal, described by its own domain record (created by pid 77).
    record(1423, "audit(1.000:10): domain=aaa blockers=fs.write_file path=\"/etc/passwd\" dev=\"vda2\" ino=1");
    record(1424, "audit(1.000:10): domain=aaa status=allocated mode=enforcing pid=77 uid=0 exe=\"/x\" comm=\"x\"");
    record(1320, "audit(1.000:10): ");
    // Ours: the first refusal, then its domain, then the syscall.
    record(1423, "audit(2.500:11): domain=bbb blockers=fs.read_file path=\"/w/secret/s\" dev=\"vda2\" ino=2");
    record(1424, "audit(2.500:11): domain=bbb status=allocated mode=enforcing pid=289 uid=0 exe=\"/t/evfilter-launch\""
        + " comm=\"evfilter-launch\"");
    record(1300, "audit(2.500:11): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c ppid=1 pid=290 auid=0 comm=\"cat\"");
    record(1320, "audit(2.500:11): ");
    // A later refusal of ours, without a syscall context (each record its own event).
    record(1423, "audit(3.000:12): domain=bbb blockers=fs.make_reg,fs.refer path=\"/w/pub\" dev=\"vda2\" ino=3");
    record(1424, "audit(3.100:13): domain=bbb status=deallocated denials=2");
    audit.flushed();
    assertEquals(2, got.size(), got.toString());
    LandlockAudit.Denial first = got.get(0);
    assertEquals(Optional.of("/w/secret/s"), first.path());
    assertEquals(List.of("fs.read_file"), first.blockers());
    assertEquals(257, first.syscall().getAsInt());
    assertEquals(290, first.pid().getAsInt());
    assertEquals(-13, first.result().getAsLong());
    assertEquals(List.of("fs.make_reg", "fs.refer"), got.get(1).blockers());
    assertTrue(got.get(1).syscall().isEmpty());
  }

  @Test
  void refusalsSeenBeforeTheLaunchersPidIsKnownAreReportedOnceItIs() {
    record(1423, "audit(2.500:11): domain=bbb blockers=fs.read_file path=\"/w/s\" dev=\"vda2\" ino=2");
    record(1424, "audit(2.500:11): domain=bbb status=allocated mode=enforcing pid=289 uid=0 exe=\"/l\" comm=\"l\"");
    audit.flushed();
    assertTrue(got.isEmpty());
    audit.watch(289);
    assertEquals(1, got.size());
  }
}
