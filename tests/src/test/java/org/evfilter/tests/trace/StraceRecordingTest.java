package org.evfilter.tests.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.trace.TraceFormat;
import org.evfilter.events.trace.TraceReader;
import org.evfilter.events.trace.Traces;
import org.evfilter.events.vfs.VfsEvent;
import org.evfilter.events.vfs.VfsEvents;
import org.evfilter.events.vfs.VfsOp;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real programs under strace, recorded here, read back as syscall and VFS events. */
@Tag("kernel")
class StraceRecordingTest {
  @TempDir Path work;

  @BeforeEach
  void needsStrace() {
    boolean present = Files.isExecutable(Path.of("/usr/bin/strace"));
    if (!present) {
      System.err.println("\n*** SKIPPED: strace(1) is not installed ***\n");
    }
    Assumptions.assumeTrue(present, "strace(1) is not installed");
  }

  private String script() {
    Path d = work.resolve("tree");
    return String.join("; ",
        "mkdir " + d, "echo data > " + d.resolve("a"), "cat " + d.resolve("a") + " > /dev/null",
        "ln " + d.resolve("a") + " " + d.resolve("hard"), "ln -s a " + d.resolve("soft"),
        "mv " + d.resolve("a") + " " + d.resolve("b"), "chmod 600 " + d.resolve("b"),
        "truncate -s 0 " + d.resolve("b"), "rm " + d.resolve("b") + " " + d.resolve("hard") + " " + d.resolve("soft"),
        "rmdir " + d);
  }

  private Path record(String name, String... straceOptions) throws Exception {
    Path log = work.resolve(name);
    List<String> argv = new ArrayList<>(List.of("strace", "-f", "-ttt", "-o", log.toString()));
    argv.addAll(List.of(straceOptions));
    argv.addAll(List.of("sh", "-c", script()));
    Process p = new ProcessBuilder(argv).inheritIO().start();
    assertEquals(0, p.waitFor(), "strace failed");
    return log;
  }

  private static List<SyscallEvent> read(Path log) throws IOException {
    try (TraceReader r = Traces.reader(TraceFormat.STRACE, Files.newInputStream(log))) {
      List<SyscallEvent> out = new ArrayList<>();
      Optional<SyscallEvent> e;
      while ((e = r.read()).isPresent()) {
        out.add(e.get());
      }
      assertEquals(List.of(), r.problems(), "unreadable lines in " + log);
      assertTrue(r.lines() > out.size() / 2);
      return out;
    }
  }

  @Test
  void rawAndSymbolicOutputDecodeToTheSameCalls() throws Exception {
    List<SyscallEvent> raw = read(record("raw.strace", "-X", "raw"));
    List<SyscallEvent> symbolic = read(record("symbolic.strace"));
    // Paths and flags of every path-carrying call agree between the two recordings.
    assertEquals(pathCalls(raw), pathCalls(symbolic));
    assertTrue(raw.size() > 100, "few events: " + raw.size());
  }

  @Test
  void pathCallsBecomeVfsEvents() throws Exception {
    List<VfsEvent> vfs = read(record("raw.strace", "-X", "raw")).stream().map(VfsEvents::from)
        .flatMap(Optional::stream).toList();
    Path d = work.resolve("tree");
    assertTrue(has(vfs, VfsOp.MKDIR, d.toString()), summary(vfs));
    assertTrue(has(vfs, VfsOp.CREATE, d.resolve("a").toString()), summary(vfs));
    assertTrue(vfs.stream().anyMatch(v -> v.op() == VfsOp.OPEN && v.path().equals(d.resolve("a").toString())
        && (v.access() & VfsEvent.Access.READ) != 0), summary(vfs));
    assertTrue(vfs.stream().anyMatch(v -> v.op() == VfsOp.LINK && v.paths().equals(List.of(d.resolve("a").toString(), d.resolve("hard").toString()))), summary(vfs));
    assertTrue(vfs.stream().anyMatch(v -> v.op() == VfsOp.SYMLINK && v.paths().equals(List.of(d.resolve("soft").toString(), "a"))), summary(vfs));
    assertTrue(vfs.stream().anyMatch(v -> v.op() == VfsOp.RENAME && v.paths().get(1).equals(d.resolve("b").toString())), summary(vfs));
    assertTrue(has(vfs, VfsOp.CHMOD, d.resolve("b").toString()) && has(vfs, VfsOp.UNLINK, d.resolve("b").toString()), summary(vfs));
    assertTrue(has(vfs, VfsOp.RMDIR, d.toString()), summary(vfs));
    assertTrue(vfs.stream().anyMatch(v -> v.op() == VfsOp.EXEC && v.path().endsWith("/mv")), summary(vfs));
  }

  // What each path-carrying call does, to which paths, with which access (flags decoded).
  private static List<String> pathCalls(List<SyscallEvent> events) {
    return events.stream().map(VfsEvents::from).flatMap(Optional::stream)
        .map(v -> v.op() + " " + v.paths() + " access=" + v.access())
        .collect(Collectors.toList());
  }

  private static boolean has(List<VfsEvent> vfs, VfsOp op, String path) {
    return vfs.stream().anyMatch(v -> v.op() == op && v.path().equals(path));
  }

  private static String summary(List<VfsEvent> vfs) {
    return vfs.stream().map(v -> v.op() + " " + v.paths()).collect(Collectors.joining("\n"));
  }
}
