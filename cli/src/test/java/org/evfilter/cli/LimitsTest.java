package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs past every limit get a clear error naming the place and the cause, never a stack trace or a silent allow. */
class LimitsTest {
  @TempDir Path dir;

  private static CheckCommandTest.Result run(String... args) {
    return CheckCommandTest.withInput("", args);
  }

  private Path file(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private static void clean(CheckCommandTest.Result r) {
    assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), "a stack trace: " + r.err());
  }

  @Test
  void filtersOf4096BytesAndMore() {
    String f = IntStream.range(0, 400).mapToObj(i -> "flags == " + i).collect(Collectors.joining(" || "));
    CheckCommandTest.Result kernel = run("check", "--strict-ftrace", "--event", "syscalls/sys_enter_openat", f);
    assertEquals(1, kernel.code());
    assertTrue(kernel.err().contains("1:1: Filter too long: " + f.length() + " bytes; the kernel takes at most 4095"), kernel.err());
    assertEquals(0, run("check", "--event", "syscalls/sys_enter_openat", f).code(), "evfilter's own dialect reads up to 1 MiB");
    clean(kernel);
  }

  @Test
  void tenThousandDeepNestingIsRefusedWhereItPassesTheLimit() throws Exception {
    Path p = file("deep.evf", "default allow\nerrno(EPERM) openat: " + "(".repeat(10_000) + "flags == 1" + ")".repeat(10_000) + "\n");
    CheckCommandTest.Result r = run("check", "--policy", p.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("deep.evf:2:4118: Expression is too large: parentheses nest deeper than 4096 here"), r.err());
    assertTrue(r.err().lines().allMatch(l -> l.length() < 400), "the source line is shown around the caret");
    clean(r);
  }

  @Test
  void tenThousandRulesCheckButDoNotFitAProgram() throws Exception {
    Path p = file("many.evf", "default allow\n" + IntStream.range(0, 10_000).mapToObj(i -> "errno(EPERM) ioctl: cmd == " + (7 * i + 3))
        .collect(Collectors.joining("\n")) + "\n");
    assertTrue(run("check", "--policy", p.toString()).out().contains("ok: 10000 rules"));
    CheckCommandTest.Result c = run("compile", p.toString());
    assertEquals(1, c.code());
    assertTrue(c.err().matches("(?s).*many\\.evf: the policy needs \\d+ instructions, more than the kernel's 4096.*10000 rules.*"), c.err());
    clean(c);
  }

  @Test
  void unknownNamesSuggestTheNearest() throws Exception {
    CheckCommandTest.Result s = run("check", "--policy", file("s.evf", "default allow\nerrno(EPERM) opnat\n").toString());
    assertTrue(s.err().contains("s.evf:2:14: Unknown name: no x86_64 syscall is called 'opnat'; did you mean 'openat'?"), s.err());
    CheckCommandTest.Result f = run("check", "--policy", file("f.evf", "default allow\nallow openat: flags & O_CREATE\n").toString());
    assertTrue(f.err().contains("f.evf:2:23: Unknown name:") && f.err().contains("did you mean 'O_CREAT'?"), f.err());
    CheckCommandTest.Result l = run("check", "--policy", file("l.evf", "label tmp_t\ndefault allow\nallow read: label & tmpt\n").toString());
    assertTrue(l.err().contains("l.evf:3:21: Unknown name: no label 'tmpt' is declared; did you mean 'tmp_t'?"), l.err());
    for (CheckCommandTest.Result r : new CheckCommandTest.Result[] {s, f, l}) {
      assertEquals(1, r.code());
      clean(r);
    }
  }

  @Test
  void aLabelsFileWithABadRegexIsRefusedAtTheRegex() throws Exception {
    file("bad_contexts", "/etc(/.*)?  etc_t\n/tmp/(unclosed   tmp_t\n");
    CheckCommandTest.Result r = run("check", "--policy", file("b.evf", "labels \"bad_contexts\"\ndefault allow\n").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("bad_contexts:2:15: Invalid policy: bad regular expression: Unclosed group"), r.err());
    clean(r);
  }

  @Test
  void malformedTraceLinesAreCountedAndNamedNeverSkippedSilently() throws Exception {
    Path policy = file("p.evf", "default allow\n");
    Path trace = file("t.jsonl", "{\"name\":\"read\",\"args\":[0,0,10]}\n{\"name\":\"read\",\"args\":[0,0\n{\"nome\":\"x\"}\n");
    CheckCommandTest.Result r = run("replay", "--policy", policy.toString(), trace.toString());
    assertEquals(1, r.code());
    assertTrue(r.out().contains("2 trace lines could not be read"), r.out());
    assertTrue(r.err().contains("t.jsonl:line 2: malformed JSON") && r.err().contains("t.jsonl:line 3: no 'nr' or 'name'"), r.err());
    CheckCommandTest.Result c = run("compare", "--policy", policy.toString(), "--out", dir.resolve("r").toString(), trace.toString());
    assertEquals(1, c.code());
    assertTrue(c.err().contains("2 trace lines could not be read: fix or drop them"), c.err());
  }
}
