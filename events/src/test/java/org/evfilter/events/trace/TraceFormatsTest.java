package org.evfilter.events.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TraceFormatsTest {
  static List<SyscallEvent> read(TraceFormat format, String text) throws IOException {
    return read(Traces.reader(format, new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1))));
  }

  static List<SyscallEvent> read(TraceReader r) throws IOException {
    List<SyscallEvent> out = new ArrayList<>();
    Optional<SyscallEvent> e;
    while ((e = r.read()).isPresent()) {
      out.add(e.get());
    }
    return out;
  }

  static String write(TraceFormat format, List<SyscallEvent> events) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TraceWriter w = Traces.writer(format, out)) {
      for (SyscallEvent e : events) {
        w.write(e);
      }
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  static final List<SyscallEvent> EVENTS = List.of(
      SyscallEvent.builder(Arch.X86_64, 257, -100L, 0x7ffd1000L, 0x241, 0644).pid(42).tid(43)
          .timestampNanos(1_700_000_000_123_456_000L).ret(3).strings(Map.of(1, "/tmp/caf\u00c3\u00a9 \"x\"\n")).build(),
      SyscallEvent.builder(Arch.X86_64, 0, 3, 0x1000, 4096).pid(42).tid(42).timestampNanos(1_700_000_000_200_000_000L).ret(-11).build(),
      SyscallEvent.builder(Arch.I386, 5, 0xffffffffL).build(),
      SyscallEvent.builder(Arch.X86_64, 9, 0, -1L, 3, 0x22, -1L, 0).build());

  @Test
  void jsonLinesKeepEverything() throws IOException {
    assertEquals(EVENTS, read(TraceFormat.JSONL, write(TraceFormat.JSONL, EVENTS)));
  }

  @Test
  void tsvKeepsWhatSeccompSeesAndTheTracerFacts() throws IOException {
    List<SyscallEvent> back = read(TraceFormat.TSV, write(TraceFormat.TSV, EVENTS));
    for (int i = 0; i < EVENTS.size(); i++) {
      assertEquals(EVENTS.get(i).toBuilder().strings(Map.of()).comm("").build(), back.get(i));
    }
  }

  @Test
  void straceCommentsAreNeverTakenFromInsideStrings() throws IOException {
    List<SyscallEvent> e = read(TraceFormat.STRACE, String.join("\n",
        "3410  1795405412.088748 read(3, \"/*\\n * Installs a seccomp program\"..., 3553) = 3553",
        "3410  1795405412.088749 getdents64(3, 0x55d0 /* 5 entries */, 32768) = 152", ""));
    assertEquals(2, e.size());
    assertEquals("/*\n * Installs a seccomp program", e.get(0).string(1).orElseThrow());
    assertEquals(32768, e.get(1).arg(2));
  }

  @Test
  void straceKeepsNumbersStringsResultsAndAbis() throws IOException {
    List<SyscallEvent> x86 = EVENTS.stream().filter(e -> e.arch().orElseThrow() != Arch.X86_64 || e.pid() != 0).toList();
    List<SyscallEvent> back = read(TraceFormat.STRACE, write(TraceFormat.STRACE, x86));
    assertEquals(x86.size(), back.size());
    assertEquals(Optional.of(Arch.I386), back.get(2).arch());
    assertEquals(5, back.get(2).nr());
    SyscallEvent openat = back.get(0);
    assertEquals(257, openat.nr());
    assertEquals(-100L, openat.arg(0));
    assertEquals(0x241, openat.arg(2));
    assertEquals(Optional.of("/tmp/caf\u00c3\u00a9 \"x\"\n"), openat.string(1));
    assertEquals(3, openat.ret().getAsLong());
    assertEquals(1_700_000_000_123_456_000L, openat.timestampNanos());
  }

  @Test
  void tsvHeadersAndValues() throws IOException {
    String tsv = String.join("\n",
        "# arch nr a0 a1 a2 a3 a4 a5",
        "x86_64\t257\t0xffffff9c\t0x1000\t0x241\t0644\t0\t0",
        "0x40000003 5 0 0 0",
        "aarch64 56 -100",
        "");
    List<SyscallEvent> events = read(TraceFormat.TSV, tsv);
    assertEquals(3, events.size());
    assertEquals(0644, events.get(0).arg(3));
    assertEquals(Optional.of(Arch.I386), events.get(1).arch());
    assertEquals(Optional.of(Arch.AARCH64), events.get(2).arch());
    assertEquals("openat", events.get(2).syscall().orElseThrow().name());
    List<SyscallEvent> plain = read(TraceFormat.TSV, "2 0 0\n");
    assertEquals(2, plain.get(0).nr());
  }

  @Test
  void jsonLinesByNameAndNamedArguments() throws IOException {
    List<SyscallEvent> events = read(TraceFormat.JSONL,
        "{\"name\":\"openat\",\"dfd\":-100,\"filename\":\"/etc/passwd\",\"flags\":\"0x80000\",\"pid\":7}\n");
    SyscallEvent e = events.get(0);
    assertEquals(257, e.nr());
    assertEquals(-100L, e.arg(0));
    assertEquals(0x80000, e.arg(2));
    assertEquals(Optional.of("/etc/passwd"), e.string(1));
  }

  @Test
  void jsonEscapesBecomeUtf8BytesAndTraceTextLinesAreNotEvents() throws IOException {
    List<SyscallEvent> events = read(TraceFormat.JSONL,
        "{\"name\":\"openat\",\"filename\":\"/tmp/\\u4e2d\"}\n{\"pid\":1,\"text\":\"sched_switch: prev=a\"}\n");
    assertEquals(1, events.size());
    assertEquals(Optional.of("/tmp/\u00e4\u00b8\u00ad"), events.get(0).string(1));
  }

  @Test
  void symbolicStraceOutputIsReadBackIntoNumbers() throws IOException {
    String strace = String.join("\n",
        "19491 1795399062.845630 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3",
        "19491 1795399062.847568 openat(AT_FDCWD, \"/dev/null\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3",
        "19491 1795399062.620043 access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)",
        "[pid 19492] 1795399062.639110 execve(\"/usr/bin/cat\", [\"cat\", \"/etc/hostname\"], 0x560404fc2d58 /* 35 vars */ <unfinished ...>",
        "19491 1795399062.639200 wait4(-1,  <unfinished ...>",
        "[pid 19492] 1795399062.640000 <... execve resumed>) = 0",
        "19491 1795399062.700000 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 19492",
        "19491 1795399062.700001 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=19492} ---",
        "19493 1795399062.800000 connect(3, {sa_family=AF_UNIX, sun_path=\"/run/nscd/socket\"}, 110) = -1 ENOENT (No such file or directory)",
        "19493 1795399062.800001 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 19494",
        "19494 1795399062.800002 close(3</etc/passwd>) = 0",
        "19495 1795399062.800003 nanosleep({tv_sec=10, tv_nsec=0},  <unfinished ...>",
        "19491 1795399062.900000 exit_group(0)     = ?",
        "19491 1795399062.900001 +++ exited with 0 +++",
        "");
    TraceReader r = Traces.reader(TraceFormat.STRACE, new ByteArrayInputStream(strace.getBytes(StandardCharsets.ISO_8859_1)));
    List<SyscallEvent> events = read(r);
    assertEquals(List.of(), r.problems());
    assertEquals(List.of("openat", "openat", "access", "execve", "wait4", "connect", "clone", "close", "exit_group", "nanosleep"),
        events.stream().map(e -> e.syscall().orElseThrow().name()).toList());
    assertEquals(0x01000000 | 0x00200000 | 17, events.get(6).arg(0), "clone's flags are its first argument");
    assertEquals(3, events.get(7).arg(0));
    assertTrue(events.get(9).ret().isEmpty(), "a call that never finished is kept, without a result");
    assertEquals(0x80000, events.get(0).arg(2));
    assertEquals(-100L, events.get(0).arg(0));
    assertEquals(01 | 0100 | 01000, events.get(1).arg(2));
    assertEquals(-2L, events.get(2).ret().getAsLong());
    assertEquals(19492, events.get(3).pid());
    assertEquals(Optional.of("/usr/bin/cat"), events.get(3).string(0));
    assertEquals(19492L, events.get(4).ret().getAsLong());
    assertEquals(Optional.of("/run/nscd/socket"), events.get(5).string(1));
    assertTrue(events.get(8).ret().isEmpty());
  }

  @Test
  void straceRawOutputReadsAsTheSymbolicOutputDoes() throws IOException {
    // strace -X raw prints an int in 32 bits and leaves a zero flag's place empty; -X abbrev names them.
    List<SyscallEvent> raw = read(TraceFormat.STRACE, String.join("\n",
        "12864 statx(0xffffff9c, \"/usr/share\", |0x800, 0x2, {stx_mask=0x173f, stx_attributes=0, stx_mode=040755}) = 0",
        "12864 ioctl(3, 0x5401, 0x7fff872ab810) = -1 ENOTTY (Inappropriate ioctl for device)",
        ""));
    List<SyscallEvent> abbrev = read(TraceFormat.STRACE, String.join("\n",
        "12864 statx(AT_FDCWD, \"/usr/share\", AT_STATX_SYNC_AS_STAT|AT_NO_AUTOMOUNT, STATX_MODE, {stx_mask=STATX_TYPE,"
            + " stx_attributes=0, stx_mode=S_IFDIR|0755}) = 0",
        ""));
    assertEquals(abbrev.get(0).arg(0), raw.get(0).arg(0));
    assertEquals(abbrev.get(0).arg(2), raw.get(0).arg(2));
    assertEquals(-100L, raw.get(0).arg(0));
    assertEquals(0x800L, raw.get(0).arg(2));
    assertEquals(0x5401L, raw.get(1).arg(1));
  }

  @ParameterizedTest
  @EnumSource(TraceFormat.class)
  void badLinesAreCountedWithTheirLineNumbers(TraceFormat format) throws IOException {
    String good = write(format, List.of(EVENTS.get(1)));
    String again = format == TraceFormat.TSV ? good.substring(good.indexOf('\n') + 1) : good;
    String text = good + "this is not an event\n" + again + "\n" + (format == TraceFormat.JSONL ? "{\"nr\": \"x\"}\n" : "12(\n");
    TraceReader r = Traces.reader(format, new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    List<SyscallEvent> events = read(r);
    assertEquals(2, events.size());
    assertEquals(2, r.problemCount(), r.problems().toString());
    long headerLines = format == TraceFormat.TSV ? 1 : 0;
    assertEquals(2 + headerLines, r.problems().get(0).line());
    assertEquals("this is not an event", r.problems().get(0).text());
  }

  @ParameterizedTest
  @EnumSource(TraceFormat.class)
  void everyFormatSkipsCommentLines(TraceFormat format) throws IOException {
    String text = "# syscall trace (x86_64) recorded by hand: nr a0 a1 a2\n\n" + write(format, EVENTS.subList(1, 2))
        + "  # a comment between events\n" + write(format, EVENTS.subList(1, 2)).lines().filter(l -> !l.startsWith("#"))
            .map(l -> l + "\n").reduce("", String::concat);
    TraceReader r = Traces.reader(format, new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    List<SyscallEvent> events = read(r);
    assertEquals(List.of(), r.problems());
    assertEquals(2, events.size());
    assertEquals(4096, events.get(1).arg(2));
  }

  @Test
  void aTsvCommentLineIsAHeaderOnlyWhenAllItsWordsAreColumns() throws IOException {
    // A descriptive first line that mentions columns is a comment: the default columns apply.
    String described = "# syscall trace (x86_64) from a test: nr a0 a1 a2 a3 a4 a5\n257 0xffffff9c 0x1000 0x241\n";
    TraceReader r = Traces.reader(TraceFormat.TSV, new ByteArrayInputStream(described.getBytes(StandardCharsets.ISO_8859_1)));
    List<SyscallEvent> events = read(r);
    assertEquals(List.of(), r.problems());
    assertEquals(0x241, events.get(0).arg(2));
    // Words that are all column names are the header, after any comment.
    List<SyscallEvent> headed = read(TraceFormat.TSV, "# recorded by hand\n#\tpid nr a0\n42 2 7\n");
    assertEquals(42, headed.get(0).pid());
    assertEquals(7, headed.get(0).arg(0));
    // A misspelt header is a comment; the line it was meant for says so.
    r = Traces.reader(TraceFormat.TSV, new ByteArrayInputStream("# pdi nr a0\n42 2 7 0 0 0 0 0\n".getBytes(StandardCharsets.ISO_8859_1)));
    read(r);
    assertEquals("8 columns, without a header 7 (nr a0 a1 a2 a3 a4 a5) ('# pdi nr a0' is a comment: a header has only column"
        + " names, arch nr a0 a1 a2 a3 a4 a5 pid tid ts ret ip family type protocol addr port path)", r.problems().get(0).message());
  }

  @Test
  void aCommentFirstLineDoesNotDecideTheFormat(@TempDir Path dir) throws IOException {
    Path json = Files.writeString(dir.resolve("trace"), "# recorded by hand\n{\"nr\": 0}\n");
    assertEquals(Optional.of(TraceFormat.JSONL), TraceFormat.detect(json));
    Path tsv = Files.writeString(dir.resolve("tsv"), "# pid nr a0\n1 2 3\n");
    assertEquals(Optional.of(TraceFormat.TSV), TraceFormat.detect(tsv));
  }
}
