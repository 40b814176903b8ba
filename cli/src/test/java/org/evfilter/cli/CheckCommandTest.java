package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
  record Result(int code, String out, String err) {}

  static Result withInput(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    InputStream saved = System.in;
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.ISO_8859_1)));
    try {
      int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
      return new Result(code, out.toString(), err.toString());
    } finally {
      System.setIn(saved);
    }
  }

  static Result run(String... args) {
    return withInput("", args);
  }

  @Test
  void helpListsTheSubcommandsAndTeaches() {
    Result r = run("--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("check"), r.out());
    Result c = run("check", "--help");
    assertEquals(0, c.code());
    assertTrue(c.out().contains("--strict-ftrace") && c.out().contains("Examples:"), c.out());
  }

  @Test
  void everySubcommandTeachesWithExamplesAndCompletes() {
    for (String name : List.of("demo", "check", "eval", "explain", "replay", "trace", "events", "convert", "compile", "sim", "import",
        "export", "run", "compare", "learn", "completion")) {
      Result h = run(name, "--help");
      assertEquals(0, h.code(), name);
      int examples = h.out().indexOf("Examples:");
      assertTrue(examples >= 0 && h.out().indexOf("evfilter " + name, examples) > 0, name + " --help has no example: " + h.out());
    }
    Result completion = run("completion");
    assertEquals(0, completion.code());
    assertTrue(completion.out().contains("complete -F") && completion.out().contains("compare") && completion.out().contains("--policy"),
        completion.out());
  }

  @Test
  void validFilterExitsZero() {
    Result r = run("check", "--event", "syscalls/sys_enter_openat", "filename.ustring ~ \"*passwd*\" && flags & 0x40");
    assertEquals(new Result(0, "ok\n", ""), r);
  }

  @Test
  void invalidFilterShowsTheKernelCaret() {
    Result r = run("check", "--event", "syscalls/sys_enter_openat", "--strict-ftrace", "flags & O_CREAT");
    assertEquals(1, r.code());
    assertEquals(String.join("\n",
        "<filter>:1:10: Invalid value (did you forget quotes)?: 'O_CREAT' is a name; ftrace takes only numbers"
            + " and quoted strings (symbolic constants are an evfilter extension)",
        "flags & O_CREAT",
        "         ^",
        ""), r.err());
  }

  @Test
  void jsonOutput() throws Exception {
    Result r = run("check", "--json", "--event", "syscalls/sys_enter_openat", "flgs == 1");
    assertEquals(1, r.code());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals("FIELD_NOT_FOUND", j.get("code").asText());
    assertEquals("Field not found", j.get("message").asText());
    assertEquals(5, j.get("offset").asInt());
    assertTrue(j.get("detail").asText().contains("did you mean 'flags'?"));
    Result ok = run("check", "--json", "--event", "syscalls/sys_enter_openat", "flags&O_CREAT");
    assertEquals("flags & O_CREAT", new ObjectMapper().readTree(ok.out()).get("canonical").asText());
  }

  @Test
  void linesFromStandardInput() {
    StringBuilder in = new StringBuilder();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      in.append(i % 2 == 0 ? "common_pid == " + i : "common_pid == -").append('\n');
      expected.append(i % 2 == 0 ? "ok" : "error\t15\tIllegal integer value").append('\n');
    }
    Result r = withInput(in.toString(), "check", "--event", "raw_syscalls/sys_enter", "--strict-ftrace", "-");
    assertEquals(1, r.code());
    assertEquals(expected.toString(), r.out());
  }

  @Test
  void policies(@TempDir Path dir) throws Exception {
    Path good = dir.resolve("good.evf");
    Files.writeString(good, "default errno(EPERM)\nallow read, write\nerrno(EACCES) openat: flags & O_CREAT\n");
    Result ok = run("check", "--policy", good.toString());
    assertEquals(0, ok.code(), ok.err());
    // One bound rule per syscall: read, write, openat.
    assertEquals("ok: 3 rules, default errno(1)\n", ok.out());
    Path bad = dir.resolve("bad.evf");
    Files.writeString(bad, "allow read\nallow openat: flags & O_CRAT\n");
    Result err = run("check", "--policy", bad.toString());
    assertEquals(1, err.code());
    assertTrue(err.err().contains("bad.evf:2:23: Unknown name: no constant, errno or syscall is called 'O_CRAT';"
        + " did you mean 'O_CREAT'?\nallow openat: flags & O_CRAT\n                      ^"), err.err());
  }

  @Test
  void aCarriageReturnIsWhitespaceNotALineEnd() {
    Result r = withInput("common_pid == 1\rcommon_pid == 2\ncommon_pid == 3\r\n", "check", "--strict-ftrace",
        "--event", "raw_syscalls/sys_enter", "-");
    assertEquals("error\t16\tToo many terms in predicate expression\nok\n", r.out());
  }

  @Test
  void formatFilesAnywhere(@TempDir Path dir) throws Exception {
    Path format = dir.resolve("format");
    Files.writeString(format, "name: e\nID: 1\nformat:\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n");
    assertEquals(0, run("check", "--format-file", format.toString(), "a == -1").code());
    Path huge = dir.resolve("huge");
    Files.writeString(huge, "name: e\nformat:\n\tfield:int a;\toffset:0;\tsize:99999999999;\tsigned:1;\n");
    Result r = run("check", "--format-file", huge.toString(), "a == 1");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("huge:3: size 99999999999 is out of range"), r.err());
  }

  @Test
  void jsonShowsTextAsTyped() throws Exception {
    Result r = run("check", "--json", "comm == \"\u00e9\"");
    assertEquals("comm == \"\u00e9\"", new ObjectMapper().readTree(r.out()).get("canonical").asText());
  }

  @Test
  void usageErrorsAreInputErrors() {
    assertEquals(1, run("check", "--event", "", "x == 1").code());
    assertEquals(1, run("check", "--strict-ftrace", "--policy", "x.evf").code());
    assertEquals(1, run("check").code());
    assertEquals(1, run("check", "--event", "syscalls/sys_enter_opnat", "x == 1").code());
    assertTrue(run("check", "--event", "syscalls/sys_enter_opnat", "x == 1").err().contains("did you mean 'syscalls/sys_enter_openat'?"));
    assertEquals(1, run("check", "--bogus").code());
    assertEquals(1, run("check", "--format-file", "/nonexistent/format", "x == 1").code());
  }
}
