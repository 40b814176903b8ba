package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.evfilter.lsm.bpf.BpfProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpfCommandsTest {
  static CheckCommandTest.Result run(String... args) {
    return CheckCommandTest.withInput("", args);
  }

  @Test
  void compileWritesEveryFormatAndSaysWhatItBuilt(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.evf");
    Files.writeString(policy, "label tmp_t\ndefault errno(EPERM)\nallow read, write\nallow openat: label & tmp_t\n");
    CheckCommandTest.Result disasm = run("compile", policy.toString());
    assertEquals(0, disasm.code(), disasm.err());
    // read and write allowed, openat sent to the supervisor (ret NOTIFY), EPERM for the rest.
    Golden.assertMatches("compile/labelled.x86_64.disasm", disasm.out());
    assertTrue(disasm.err().contains("1 of 3 rules deferred to user space"), disasm.err());
    assertTrue(disasm.err().contains("deferred: " + policy + ":4:1: allow openat: label & tmp_t"), disasm.err());
    Path raw = dir.resolve("p.bpf");
    assertEquals(0, run("compile", policy.toString(), "-f", "raw", "-o", raw.toString()).code());
    BpfProgram p = BpfProgram.fromRaw(Files.readAllBytes(raw));
    assertEquals(disasm.out().lines().count() - 2, p.length());
    Golden.assertMatches("compile/labelled.x86_64.dot", run("compile", policy.toString(), "-f", "dot").out());
    Golden.assertMatches("compile/labelled.x86_64.c", run("compile", policy.toString(), "-f", "c").out());
  }

  @Test
  void compileForOtherArchesUsesTheirNumbers(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.evf");
    Files.writeString(policy, "default errno(EPERM)\nallow read\nallow openat: flags & O_DIRECTORY\n");
    // aarch64: AUDIT_ARCH_AARCH64 is 3221225655, read is 63, O_DIRECTORY is 040000 (16384).
    String arm = run("compile", policy.toString(), "--arch", "aarch64").out();
    Golden.assertMatches("compile/directory.aarch64.disasm", arm);
    assertTrue(arm.contains("jeq 3221225655 ") && arm.contains("jset 16384 "), arm);
    // i386: AUDIT_ARCH_I386 is 1073741827, O_DIRECTORY is 0200000 (65536).
    String i386 = run("compile", policy.toString(), "--arch", "i386").out();
    Golden.assertMatches("compile/directory.i386.disasm", i386);
    assertTrue(i386.contains("jeq 1073741827 ") && i386.contains("jset 65536 "), i386);
  }

  @Test
  void compileRefusesWhatItCannotBuild(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.evf");
    Files.writeString(policy, "default errno(EPERM)\nallow read\n");
    CheckCommandTest.Result arch = run("compile", policy.toString(), "--arch", "sparc");
    assertEquals(1, arch.code());
    assertTrue(arch.err().contains("--arch sparc: not one of x86_64, i386, aarch64"), arch.err());
    CheckCommandTest.Result bad = run("compile", policy.toString(), "--bad-arch", "explode");
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("--bad-arch explode: not an action"), bad.err());
    StringBuilder big = new StringBuilder("default errno(EPERM)\n");
    for (int i = 0; i < 1000; i++) {
      big.append("allow ioctl: cmd == ").append(i * 7).append(" && arg > ").append(i).append(" && fd != ").append(i).append('\n');
    }
    Files.writeString(policy, big);
    CheckCommandTest.Result large = run("compile", policy.toString());
    assertEquals(1, large.code());
    assertTrue(large.err().contains("more than the kernel's 4096"), large.err());
  }

  @Test
  void simCountsActionsAndInstructions(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.evf");
    Files.writeString(policy, "default errno(EPERM)\nallow read, write\nallow socket: family == AF_UNIX\n");
    Path trace = dir.resolve("t.jsonl");
    Files.writeString(trace, String.join("\n",
        "{\"name\":\"read\",\"args\":[0,0,10]}",
        "{\"name\":\"write\",\"args\":[1,0,10]}",
        "{\"name\":\"socket\",\"args\":[1,1,0]}",
        "{\"name\":\"socket\",\"args\":[4294967297,1,0]}",
        "{\"name\":\"socket\",\"args\":[40,1,0]}",
        "{\"name\":\"getpid\"}",
        ""));
    CheckCommandTest.Result r = run("sim", policy.toString(), trace.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(6, j.get("events").asInt());
    // socket(0x100000001): an int argument is its low word, AF_UNIX.
    assertEquals(4, j.get("actions").get("ALLOW").asInt());
    assertEquals(2, j.get("actions").get("ERRNO(1)").asInt());
    assertEquals(2, j.get("cacheable").asInt());
    assertTrue(j.get("instructions").get("max").asInt() >= j.get("instructions").get("p50").asInt());
    Path raw = dir.resolve("p.bpf");
    run("compile", policy.toString(), "-f", "raw", "-o", raw.toString());
    CheckCommandTest.Result same = run("sim", "--bpf", raw.toString(), trace.toString(), "--json");
    assertEquals(r.out(), same.out());
    Files.write(raw, new byte[] {1, 2, 3});
    CheckCommandTest.Result broken = run("sim", "--bpf", raw.toString(), trace.toString());
    assertEquals(1, broken.code());
    assertTrue(broken.err().contains("whole number of 8-byte instructions"), broken.err());
  }

  @Test
  void importAppliesDockerConditionsAndWidths(@TempDir Path dir) throws Exception {
    Path profile = dir.resolve("profile.json");
    Files.writeString(profile, """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
         "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
         "syscalls": [
          {"names": ["read", "write", "no_such_call"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
          {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
           "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}], "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["clone", "clone3"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
          {"names": ["s390_runtime_instr"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
          {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]}
         ]}
        """);
    Path out = dir.resolve("p.evf");
    CheckCommandTest.Result r = run("import", profile.toString(), "--kernel", "4.4", "-o", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("left out): no_such_call"), r.err());
    String p = Files.readString(out);
    assertTrue(p.contains("default errno(1)\n"), p);
    assertTrue(p.contains("allow socket: (arg0 & 0xffffffff) != 0x28\n"), p);
    assertTrue(p.contains("allow clone: (arg0 & 0x7e020000) == 0x0\n"), p);
    assertTrue(p.contains("errno(38) clone3\n"), p);
    assertTrue(!p.contains("ptrace") && !p.contains("s390"), p);
    // Two comparisons of one argument are two rules, as runc makes them.
    assertTrue(p.contains("allow kill: (arg1 & 0xffffffff) == 0x0\nallow kill: (arg1 & 0xffffffff) == 0xf\n"), p);
    assertEquals(0, run("check", "--policy", out.toString()).code());
    String admin = run("import", profile.toString(), "--caps", "sys_admin", "--kernel", "6.1").out();
    assertTrue(admin.contains("allow clone, clone3\n") && admin.contains("allow ptrace\n") && !admin.contains("errno(38)"), admin);
    CheckCommandTest.Result wrongArch = run("import", profile.toString(), "--arch", "aarch64");
    assertEquals(1, wrongArch.code());
    assertTrue(wrongArch.err().contains("not SCMP_ARCH_AARCH64"), wrongArch.err());
    Files.writeString(profile, "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [}");
    CheckCommandTest.Result broken = run("import", profile.toString());
    assertEquals(1, broken.code());
    assertTrue(broken.err().contains("profile.json:2:"), broken.err());
  }

  @Test
  void importFollowsRuncWhereTheFormatIsSilent(@TempDir Path dir) throws Exception {
    Path profile = dir.resolve("profile.json");
    Files.writeString(profile, """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
         "syscalls": [
          {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
          {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
          {"names": ["openat"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551516, "op": "SCMP_CMP_EQ"}],
           "includes": {"arches": [], "caps": []}, "excludes": {"minKernel": null}}
         ]}
        """);
    CheckCommandTest.Result r = run("import", profile.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("default errno(38)\n"), r.out());
    // An ERRNO rule without errnoRet is EPERM, not defaultErrnoRet; a rule equal to the default is dropped.
    assertTrue(r.out().contains("errno(1) mkdir\n") && !r.out().contains("rmdir"), r.out());
    // -100 (AT_FDCWD) given as a u64 is the 4-byte argument's -100.
    assertTrue(r.out().contains("allow openat: (arg0 & 0xffffffff) == 0xffffff9c\n"), r.out());
    Files.writeString(profile, """
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
          {"names": ["openat"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967297, "op": "SCMP_CMP_EQ"}]}]}
        """);
    CheckCommandTest.Result wide = run("import", profile.toString());
    assertEquals(1, wide.code());
    assertTrue(wide.err().contains("syscalls[0].args[0]: value 0x100000001 does not fit the 4-byte argument"), wide.err());
  }

  @Test
  void exportNamesTheAgentThatDecidesWhatBpfCannot(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("contexts"), "/etc/secret  secret_t\n");
    Path policy = dir.resolve("shop.evf");
    Files.writeString(policy, "labels \"contexts\"\ndefault allow\nerrno(EACCES) openat: label & secret_t\nerrno(EPERM) mkdir\n");
    CheckCommandTest.Result r = run("export", "--listener-path", "/run/evfilter/evfilter.sock", policy.toString());
    assertEquals(0, r.code(), r.err());
    // openat (labels) and what the supervisor must hear of go to the agent; mkdir stays in the kernel.
    Golden.assertMatches("export/shop.listener.oci.json", r.out());
    assertEquals("", r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals("shop", j.get("listenerMetadata").asText());
    assertEquals("web", new ObjectMapper().readTree(run("export", "--listener-path", "/run/evfilter/evfilter.sock",
        "--listener-metadata", "web", policy.toString()).out()).get("listenerMetadata").asText());
    // Without one, the profile is written as before, and says nothing decides what it sends to a listener.
    CheckCommandTest.Result none = run("export", policy.toString());
    assertEquals(0, none.code());
    assertTrue(none.err().contains("warning: the profile sends openat to a notification listener (SCMP_ACT_NOTIFY) but names none:"
        + " runc refuses to run it (listenerPath is not set)"), none.err());
    assertTrue(!none.out().contains("listenerPath"), none.out());
    // import reads it back, saying who decided the user_notif calls.
    Path profile = Files.writeString(dir.resolve("shop.json"), r.out());
    CheckCommandTest.Result back = run("import", profile.toString());
    assertEquals(0, back.code(), back.err());
    assertTrue(back.out().contains("# Its SCMP_ACT_NOTIFY calls (user_notif) went to the agent at /run/evfilter/evfilter.sock, told 'shop'"),
        back.out());
    assertTrue(back.out().contains("user_notif"), back.out());
    CheckCommandTest.Result relative = run("export", "--listener-path", "evfilter.sock", policy.toString());
    assertEquals(1, relative.code());
    assertEquals("evfilter export: the listener path must be absolute: evfilter.sock\n", relative.err());
  }

  @Test
  void exportWritesOciAndKubernetesProfiles(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("web.evf");
    Files.writeString(policy, String.join("\n", "default errno(EPERM)", "allow read, write",
        "allow mmap: !(prot & 6)", "allow socket: family in {AF_UNIX, AF_INET}",
        "errno(ENOSYS) clone3", "allow : nr == getpid", ""));
    CheckCommandTest.Result r = run("export", policy.toString());
    assertEquals(0, r.code(), r.err());
    // read, write and getpid in one entry; mmap's !(prot & 6) as a masked equality with 0; socket's
    // family compared on its low word only (an int's equality is exact there: mask 0xffffffff).
    Golden.assertMatches("export/web.oci.json", r.out());
    assertEquals("", r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    String manifest = run("export", "-f", "k8s", policy.toString()).out();
    Golden.assertMatches("export/web.k8s.json", manifest);
    JsonNode k8s = new ObjectMapper().readTree(manifest);
    assertEquals("SeccompProfile", k8s.get("kind").asText());
    assertEquals("web", k8s.get("metadata").get("name").asText());
    assertEquals(j, k8s.get("spec"));
    Files.writeString(policy, "default errno(EPERM)\nallow lseek: offset == -1\n");
    String unsigned = run("export", policy.toString()).out();
    assertTrue(unsigned.contains("\"value\" : 18446744073709551615"), unsigned);
    // A signed order has no SCMP operator: it is said exactly, as masked equalities (offset < -2^62 first).
    Files.writeString(policy, "default errno(EPERM)\nallow lseek: offset < -1\n");
    CheckCommandTest.Result signed = run("export", policy.toString());
    assertEquals(0, signed.code(), signed.err());
    assertTrue(signed.out().contains("\"value\" : 13835058055282163712,\n      \"valueTwo\" : 9223372036854775808,"), signed.out());
    Files.writeString(policy, "default errno(EPERM)\nallow read: instruction_pointer == 5\n");
    CheckCommandTest.Result ip = run("export", policy.toString());
    assertEquals(1, ip.code());
    assertEquals("evfilter export: " + policy + ":2:1: the format has no instruction_pointer\n", ip.err());
  }

  @Test
  void anImportedProfileExportsAgainWarningWhereItSaysItAsDockerDid(@TempDir Path dir) throws Exception {
    Path profile = dir.resolve("docker.json");
    Files.writeString(profile, """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
          {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_LT"}]},
          {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}]}]}
        """);
    Path policy = dir.resolve("docker.evf");
    assertEquals(0, run("import", profile.toString(), "-o", policy.toString()).code());
    for (String format : new String[] {"oci", "k8s"}) {
      CheckCommandTest.Result r = run("export", "-f", format, policy.toString());
      assertEquals(0, r.code(), r.err());
      assertEquals("evfilter export: warning: " + policy + ":4:1: allow socket: (arg0 & 0xffffffff) < 0x26 is written as SCMP_CMP_LT 38"
          + " on all 64 bits of arg0, as libseccomp compares (family is 4 bytes): a call that sets a bit above them matches it"
          + " for no value of family\n"
          + "evfilter export: warning: " + policy + ":5:1: allow socket: (arg0 & 0xffffffff) > 0x28 is written as SCMP_CMP_GT 40"
          + " on all 64 bits of arg0, as libseccomp compares (family is 4 bytes): a call that sets a bit above them matches it"
          + " whatever family is, and gets 'allow' where the policy may refuse it; --exact says the policy's comparison\n", r.err());
      // What Docker wrote, again.
      JsonNode doc = new ObjectMapper().readTree(r.out());
      String entries = (format.equals("k8s") ? doc.get("spec") : doc).get("syscalls").toString();
      assertTrue(entries.contains("\"args\":[{\"index\":0,\"value\":38,\"op\":\"SCMP_CMP_LT\"}]"), entries);
    }
    CheckCommandTest.Result exact = run("export", "--exact", policy.toString());
    assertEquals(0, exact.code(), exact.err());
    assertEquals("", exact.err());
    assertTrue(!exact.out().contains("SCMP_CMP_LT") && !exact.out().contains("SCMP_CMP_GT"), exact.out());
  }

  @Test
  void dockersDefaultProfileImportedCompilesAndExportsAsPinned(@TempDir Path dir) throws Exception {
    // As `evfilter import` reads it for a container without capabilities on a 6.1 kernel.
    Path profile = Golden.sharedProfile("docker-default.json");
    Path policy = dir.resolve("docker.evf");
    CheckCommandTest.Result imported = run("import", profile.toString(), "--kernel", "6.1", "-o", policy.toString());
    assertEquals(0, imported.code(), imported.err());
    Golden.assertMatches("import/docker-default.evf", Files.readString(policy));
    Golden.assertMatches("compile/docker-default.x86_64.disasm", run("compile", policy.toString()).out());
    for (String format : new String[] {"oci", "k8s"}) {
      CheckCommandTest.Result r = run("export", "-f", format, policy.toString());
      assertEquals(0, r.code(), r.err());
      Golden.assertMatches("export/docker-default." + format + ".json", r.out());
      // Docker's own int comparisons, written back as Docker wrote them, each warned.
      Golden.assertMatches("export/docker-default.warnings.txt", r.err().replace(dir.toString(), "$DIR"));
    }
  }
}
