package org.evfilter.lsm.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.ast.Operator;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.profiles.ExportWarning.WholeArgumentWidened;
import org.evfilter.lsm.profiles.OciExport.NarrowComparisons;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.PolicyEngine;
import org.junit.jupiter.api.Test;

class OciExportTest {
  private static final Arch ARCH = Arch.X86_64;

  // Comparisons the format has no operator for: masked ordered ones, one argument compared twice,
  // ranges and negated sets, signed order, the low word of an 8-byte argument, != on both halves.
  private static final String HARD = String.join("\n", "default errno(EPERM)",
      "allow lseek: (offset & 0xff) > 3 && (offset & 0xff00) < 0x300",
      "allow read: fd in {0..1000} && count >= 3",
      "allow write: !(fd in {5..9, 100})",
      "allow pread64: pos < -1",
      "allow pwrite64: (arg3 & 0xffffffff) == 5 && (arg3 & 0xffffffff) != 6",
      "allow mmap: (arg0 & 0xffffffff) != 1 && (arg0 & 0xffffffff) != 2",
      "allow ioctl: (arg1 & 0x7e020000) < 0x20000",
      "errno(EACCES) openat: (arg2 & 0xffffffff) >= 0x40 && (arg2 & 0xffffffff) <= 0x80",
      "kill_process socket: (arg0 & 0xffffffff) != 2 && (arg0 & 0xffffffff) > 0", "");

  @Test
  void dockersIntComparisonsAreWrittenAsDockerWroteThemAndWarned() {
    String policy = String.join("\n", "default errno(EPERM)", "allow socket: (arg0 & 0xffffffff) < 0x26",
        "allow socket: (arg0 & 0xffffffff) == 0x27", "allow socket: (arg0 & 0xffffffff) > 0x28", "");
    OciExport.Exported e = OciExport.oci(ProfileRoundTripTest.bind(policy), ARCH);
    assertEquals(List.of(
        new WholeArgumentWidened("docker.evf:2:1", "allow", "socket", 0, "family", 4, Operator.LT, 38, "SCMP_CMP_LT", false, false),
        new WholeArgumentWidened("docker.evf:4:1", "allow", "socket", 0, "family", 4, Operator.GT, 40, "SCMP_CMP_GT", true, true)),
        e.warnings());
    assertEquals("[{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":38,\"op\":\"SCMP_CMP_LT\"}]},"
        + "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":4294967295,\"valueTwo\":39,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
        + "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":40,\"op\":\"SCMP_CMP_GT\"}]}]",
        e.seccomp().get("syscalls").toString());
  }

  @Test
  void aRefusalWrittenOnAllSixtyFourBitsLoosensWhenItMatchesFewer() {
    String policy = String.join("\n", "default allow", "errno(EPERM) personality: (arg0 & 0xffffffff) <= 8",
        "errno(EPERM) setns: flags != 0", "");
    List<ExportWarning> w = OciExport.oci(ProfileRoundTripTest.bind(policy), ARCH).warnings();
    assertEquals(List.of(
        new WholeArgumentWidened("docker.evf:2:1", "errno", "personality", 0, "personality", 4, Operator.LE, 8, "SCMP_CMP_LE", false, true),
        new WholeArgumentWidened("docker.evf:3:1", "errno", "setns", 1, "flags", 4, Operator.NE, 0, "SCMP_CMP_NE", true, false)), w);
  }

  @Test
  void exactlyWrittenIntComparisonsWarnOfNothing() {
    String policy = "default errno(EPERM)\nallow socket: (arg0 & 0xffffffff) < 0x26\n";
    OciExport.Exported e = OciExport.oci(ProfileRoundTripTest.bind(policy), ARCH, NarrowComparisons.EXACT);
    assertEquals(List.of(), e.warnings());
    assertEquals("[{\"index\":0,\"value\":4294967264,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]",
        e.seccomp().get("syscalls").get(0).get("args").toString());
    assertEquals(3, e.seccomp().get("syscalls").size());
  }

  @Test
  void whatTheFormatHasNoOperatorForIsWrittenExactly() {
    for (NarrowComparisons narrow : NarrowComparisons.values()) {
      OciExport.Exported e = OciExport.oci(ProfileRoundTripTest.bind(HARD), ARCH, narrow);
      int calls = sameAsThePolicy(HARD, e.seccomp(), narrow == NarrowComparisons.EXACT);
      System.out.printf("%s export of masked, ranged and signed comparisons: %d calls decided as the policy does%n", narrow, calls);
      // The re-import decides as the policy too (it reads 4-byte arguments on their low word).
      String second = OciProfile.convert(e.seccomp(), "hard.json", ARCH, Set.of(), "6.1").policy();
      PolicyEngine before = PolicyEngine.compile(ProfileRoundTripTest.bind(HARD), ARCH);
      PolicyEngine after = PolicyEngine.compile(ProfileRoundTripTest.bind(second), ARCH);
      for (String name : List.of("lseek", "read", "write", "pread64", "pwrite64", "mmap", "ioctl", "openat", "socket")) {
        int nr = SyscallTable.of(ARCH).byName(name).orElseThrow().nr();
        for (long[] args : ProfileRoundTripTest.argumentVectors()) {
          assertEquals(ProfileRoundTripTest.decide(before, nr, args), ProfileRoundTripTest.decide(after, nr, args), name);
        }
      }
    }
  }

  @Test
  void theLibseccompFormDiffersOnlyWhereItWarned() {
    String policy = "default errno(EPERM)\nallow socket: (arg0 & 0xffffffff) > 0x28\n";
    OciExport.Exported e = OciExport.oci(ProfileRoundTripTest.bind(policy), ARCH);
    int socket = SyscallTable.of(ARCH).byName("socket").orElseThrow().nr();
    PolicyEngine engine = PolicyEngine.compile(ProfileRoundTripTest.bind(policy), ARCH);
    long vsock = 1L << 32 | 40;
    // As warned: AF_VSOCK with the high word set gets 'allow' from libseccomp, not from the policy.
    assertEquals(new Verdict(ActionKind.ALLOW, 0), OciSemantics.decide(e.seccomp(), "socket", new long[] {vsock, 1, 0, 0, 0, 0}));
    assertEquals(new Verdict(ActionKind.ERRNO, 1), ProfileRoundTripTest.decide(engine, socket, vsock, 1));
    OciExport.Exported exact = OciExport.oci(ProfileRoundTripTest.bind(policy), ARCH, NarrowComparisons.EXACT);
    assertEquals(new Verdict(ActionKind.ERRNO, 1), OciSemantics.decide(exact.seccomp(), "socket", new long[] {vsock, 1, 0, 0, 0, 0}));
  }

  @Test
  void whatTheFormatCannotSayAtAllNamesTheRule() {
    IllegalArgumentException ip = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> OciExport.oci(ProfileRoundTripTest.bind("default errno(EPERM)\nallow read: instruction_pointer == 5\n"), ARCH));
    assertEquals("docker.evf:2:1: the format has no instruction_pointer", ip.getMessage());
  }

  // Under libseccomp's reading, the export decides every probe as the policy, except (unless
  // exact) where a 4-byte argument compared whole has its high word set, as the warnings say.
  private static int sameAsThePolicy(String text, JsonNode seccomp, boolean exact) {
    PolicyEngine engine = PolicyEngine.compile(ProfileRoundTripTest.bind(text), ARCH);
    int calls = 0;
    for (var s : SyscallTable.of(ARCH).all()) {
      for (long[] args : ProfileRoundTripTest.argumentVectors()) {
        boolean highWordOfAnInt = false;
        for (var a : s.arguments()) {
          highWordOfAnInt |= a.width() < 8 && (args[a.index()] >>> 32) != 0;
        }
        if (!exact && highWordOfAnInt) {
          continue;
        }
        Verdict policy = ProfileRoundTripTest.decide(engine, s.nr(), args);
        Verdict oci = OciSemantics.decide(seccomp, s.name(), args);
        assertEquals(policy, oci, () -> s.name() + " " + java.util.Arrays.toString(args));
        calls++;
      }
    }
    assertTrue(calls > 1000, "calls: " + calls);
    return calls;
  }


  @Test
  void aListenerIsNamedWithWhatTheSupervisorDecidesAndMustHearOf() {
    org.evfilter.predicates.BoundPolicy labelled = ProfileRoundTripTest.bind(
        "label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\nerrno(EPERM) mkdir\n");
    OciExport.Exported e = OciExport.oci(labelled, ARCH, NarrowComparisons.LIBSECCOMP,
        java.util.Optional.of(new OciExport.Listener("/run/evfilter/evfilter.sock", "shop")));
    assertEquals("/run/evfilter/evfilter.sock", e.seccomp().get("listenerPath").asText());
    assertEquals("shop", e.seccomp().get("listenerMetadata").asText());
    assertEquals(List.of(), e.warnings(), "what goes to the agent is decided there as the policy says");
    JsonNode notify = e.seccomp().get("syscalls").get(0);
    assertEquals("SCMP_ACT_NOTIFY", notify.get("action").asText());
    Set<String> names = new java.util.TreeSet<>();
    notify.get("names").forEach(n -> names.add(n.asText()));
    assertTrue(names.containsAll(List.of("openat", "setgroups", "unshare", "setns", "rename", "linkat", "setxattr")), names.toString());
    assertTrue(!names.contains("mkdir"), names.toString());

    OciExport.Exported none = OciExport.oci(labelled, ARCH);
    assertTrue(none.warnings().contains(new ExportWarning.NoListener(List.of("openat"))), none.warnings().toString());
    assertTrue(none.warnings().contains(new ExportWarning.SentToListener("docker.evf:3:1", "openat")), none.warnings().toString());
    assertTrue(!none.seccomp().has("listenerPath"));

    // Nothing deferred: no call goes to an agent, none is named.
    OciExport.Exported plain = OciExport.oci(ProfileRoundTripTest.bind("default allow\nerrno(EPERM) mkdir\n"), ARCH,
        NarrowComparisons.LIBSECCOMP, java.util.Optional.of(new OciExport.Listener("/run/evfilter/evfilter.sock", "plain")));
    assertTrue(!plain.seccomp().has("listenerPath"), plain.seccomp().toString());
  }
}
