package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCommandsTest {
  static CheckCommandTest.Result run(String... args) {
    return CheckCommandTest.withInput("", args);
  }

  @Test
  void evalOneEvent() {
    assertEquals(new CheckCommandTest.Result(0, "match\n", ""),
        run("eval", "--event", "syscalls/sys_enter_openat", "flags & O_CREAT && filename.ustring ~ \"/tmp/*\"", "flags=0x241", "filename=/tmp/x"));
    assertEquals(new CheckCommandTest.Result(1, "no match\n", ""),
        run("eval", "--event", "syscalls/sys_enter_openat", "flags & O_CREAT", "flags=0"));
    // Without .ustring the kernel reads the user pointer as kernel memory: never a match, and said.
    CheckCommandTest.Result plain = run("eval", "--event", "syscalls/sys_enter_openat", "filename ~ \"/tmp/*\"", "filename=/tmp/x");
    assertEquals(1, plain.code());
    assertEquals("no match\n", plain.out());
    assertTrue(plain.err().contains("'filename' holds a user address") && plain.err().contains("filename.ustring"), plain.err());
    CheckCommandTest.Result bad = run("eval", "--event", "syscalls/sys_enter_openat", "flags & 1", "flgs=1");
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("'flgs' is not a field"), bad.err());
  }

  @Test
  void evalLines() {
    String in = String.join("\n",
        "{\"filter\": \"common_pid < 0\", \"event\": {\"common_pid\": -1}}",
        "{\"filter\": \"id == openat\", \"event\": {\"id\": 257}}",
        "{\"filter\": \"id == 257\", \"event\": {\"id\": \"0x100\"}}",
        "{\"filter\": \"id = 1\", \"event\": {}}",
        "");
    CheckCommandTest.Result r = CheckCommandTest.withInput(in, "eval", "--event", "raw_syscalls/sys_enter", "-");
    assertEquals("match\nmatch\nno match\nerror\t4\tInvalid operator\n", r.out());
    assertEquals(1, r.code());
  }

  @Test
  void replayCountsDecisions(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.evf");
    Files.writeString(policy, "default errno(EPERM)\nallow read, write\nerrno(EACCES) openat: flags & O_CREAT\nallow openat\n");
    Path trace = dir.resolve("t.jsonl");
    Files.writeString(trace, String.join("\n",
        "{\"name\":\"read\",\"args\":[0,0,10]}",
        "{\"name\":\"read\",\"args\":[0,0,10]}",
        "{\"name\":\"openat\",\"flags\":577,\"filename\":\"/tmp/x\"}",
        "{\"name\":\"openat\",\"flags\":0,\"filename\":\"/etc/passwd\"}",
        "{\"name\":\"getpid\"}",
        "{\"arch\":\"i386\",\"nr\":20}",
        ""));
    CheckCommandTest.Result r = run("replay", "--json", "--policy", policy.toString(), trace.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(6, j.get("events").asInt());
    assertEquals(3, j.get("actions").get("allow").asInt());
    assertEquals(2, j.get("actions").get("errno").asInt());
    assertEquals(1, j.get("actions").get("kill_process").asInt(), "the i386 event gets the bad-arch action");
    assertEquals(6, j.get("avc").get("lookups").asInt());
    assertEquals(1, j.get("avc").get("hits").asInt(), "the second read is a hit");
  }

  @Test
  void replayLabelsPathsFromALabelsFile(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.evf");
    Files.writeString(policy, "default errno(EPERM)\nlabel secret_t\nallow openat\nerrno(EACCES) openat: label & secret_t\n");
    Path labels = dir.resolve("extra_contexts");
    Files.writeString(labels, "/secret(/.*)?  system_u:object_r:secret_t:s0\n");
    Path trace = dir.resolve("t.jsonl");
    Files.writeString(trace, "{\"name\":\"openat\",\"filename\":\"/secret/a\"}\n{\"name\":\"openat\",\"filename\":\"/public/a\"}\n");
    JsonNode j = new ObjectMapper().readTree(run("replay", "--json", "--policy", policy.toString(), "--labels", labels.toString(),
        trace.toString()).out());
    assertEquals(1, j.get("actions").get("errno").asInt());
    assertEquals(1, j.get("actions").get("allow").asInt());
    JsonNode without = new ObjectMapper().readTree(run("replay", "--json", "--policy", policy.toString(), trace.toString()).out());
    assertEquals(2, without.get("actions").get("allow").asInt());
  }

  @Test
  void aLabelsFileOnTheCommandLineDeclaresItsLabelsToEveryPolicyCommand(@TempDir Path dir) throws Exception {
    // The policy names secret_t but declares no label: the labels file given with it does.
    Path policy = Files.writeString(dir.resolve("p.evf"), "default allow\nerrno(EACCES) openat: label & secret_t\n");
    Path labels = Files.writeString(dir.resolve("secret_contexts"), "/secret(/.*)?  system_u:object_r:secret_t:s0\n");
    Path trace = Files.writeString(dir.resolve("t.tsv"), "# recorded for the test: nr a0 a1\n257 0xffffff9c 0 0\n");
    String p = policy.toString();
    String[][] commands = {
      {"run", "--dry-run", "--landlock", "off", "--policy", p, "--", "true"},
      {"explain", "--policy", p},
      {"replay", "--policy", p, trace.toString()},
      {"compare", "--policy", p, "--sweep", "0", "--timed", "10", "--out", dir.resolve("report").toString(), trace.toString()},
      {"compile", p},
      {"sim", p, trace.toString()},
    };
    for (String[] command : commands) {
      CheckCommandTest.Result without = run(command);
      assertEquals(1, without.code(), command[0] + ": " + without.err());
      assertTrue(without.err().contains("p.evf:2:31: Unknown name: no label 'secret_t' is declared"), without.err());
      String[] with = Stream.concat(Stream.of(command[0], "--labels", labels.toString()),
          Arrays.stream(command).skip(1)).toArray(String[]::new);
      CheckCommandTest.Result r = run(with);
      assertEquals(0, r.code(), command[0] + ": " + r.err());
    }
    assertTrue(run("explain", "--labels", labels.toString(), "--policy", p).out().contains("labels secret_t"));

    // Errors in the file point into it, line and column, as for a labels statement.
    Path bad = Files.writeString(dir.resolve("bad_contexts"), "/ok ok_t\n/etc/passwd root:x:0:0:root\n");
    CheckCommandTest.Result r = run("compile", "--labels", bad.toString(), p);
    assertEquals(1, r.code());
    assertTrue(r.err().contains("bad_contexts:2:13: Invalid policy: expected a context"), r.err());
    CheckCommandTest.Result missing = run("explain", "--labels", dir.resolve("none").toString(), "--policy", p);
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("no such file: " + dir.resolve("none")), missing.err());

    // The same file in the policy and on the command line, twice: one label.
    Path stated = Files.writeString(dir.resolve("stated.evf"), "labels \"secret_contexts\"\nlabel secret_t\n"
        + Files.readString(policy));
    CheckCommandTest.Result twice = run("explain", "--json", "--labels", labels.toString(), "--labels", labels.toString(),
        "--policy", stated.toString());
    assertEquals(0, twice.code(), twice.err());
    assertEquals("[\"secret_t\"]", new ObjectMapper().readTree(twice.out()).get("labels").toString());
  }

  @Test
  void explainShowsRulesAndWarnings(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.evf");
    Files.writeString(policy, "default allow\nkill_process ptrace\nlog ptrace: request == 0\nerrno(EPERM) openat: nr == 2\n");
    CheckCommandTest.Result r = run("explain", "--policy", policy.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("  ptrace (101):\n    kill_process"), r.out());
    assertTrue(r.out().contains("p.evf:3:1: rule 'log' on ptrace never decides"), r.out());
    assertTrue(r.out().contains("p.evf:4:1: rule 'errno(1)' can never match"), r.out());
    assertTrue(r.out().contains("default: io_uring_setup is allowed"), r.out());
  }

  @Test
  void explainAndRunNameWhatALabelRuleLeavesOpen(@TempDir Path dir) throws Exception {
    Path policy = Files.writeString(dir.resolve("p.evf"), "label secret_t\ndefault allow\n"
        + "errno(EACCES) open, openat, openat2: label & secret_t\nerrno(EPERM) io_uring_setup, io_uring_enter, io_uring_register\n"
        + "allow ptrace\n");
    CheckCommandTest.Result r = run("explain", "--policy", policy.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\nwarnings:\n"), r.out());
    assertTrue(r.out().contains("  default: open_by_handle_at is allowed around the label rules: a file opened from a handle"
        + " has no path, so no label is looked up"), r.out());
    assertTrue(r.out().contains("  default: mount, umount2, move_mount, open_tree, fsmount, fsopen, pivot_root are allowed around"
        + " the label rules: paths can be re-arranged"), r.out());
    assertTrue(r.out().contains("  " + policy + ":5:1: ptrace is allowed around the label rules: another task"), r.out());
    assertTrue(r.out().contains("  default: process_vm_writev is allowed around the label rules"), r.out());
    assertTrue(r.out().contains("; deny ptrace to close it"), r.out());
    String warnings = r.out().substring(r.out().indexOf("\nwarnings:\n"));
    assertTrue(!warnings.contains("io_uring"), "io_uring is denied: " + warnings);

    JsonNode json = new ObjectMapper().readTree(run("explain", "--json", "--policy", policy.toString()).out());
    JsonNode ptrace = null;
    for (JsonNode w : json.get("warnings")) {
      if (w.path("hole").asText().equals("OTHER_TASK") && !w.get("origin").asText().equals("default")) {
        ptrace = w;
      }
    }
    assertTrue(ptrace != null, json.get("warnings").toString());
    assertEquals("LABEL_HOLE", ptrace.get("kind").asText());
    assertEquals(policy + ":5:1", ptrace.get("origin").asText());
    assertEquals("[\"ptrace\"]", ptrace.get("syscalls").toString());
    assertTrue(ptrace.get("message").asText().startsWith("ptrace is allowed around the label rules"), ptrace.toString());

    CheckCommandTest.Result dry = run("run", "--dry-run", "--landlock", "off", "--policy", policy.toString(), "--", "true");
    assertEquals(0, dry.code(), dry.err());
    assertTrue(dry.err().contains("evfilter run: warning: default: userfaultfd is allowed around the label rules"), dry.err());
    assertTrue(dry.err().contains("evfilter run: warning: " + policy + ":5:1: ptrace is allowed around the label rules"), dry.err());
  }
}
