package org.evfilter.lsm.supervise;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.evfilter.lsm.bpf.BpfProgram;

/**
 * The compiled programs of earlier runs, so that {@code evfilter-launch --cached} can start the
 * command before a JVM exists. The launcher computes the key (arguments, working directory, jar,
 * kernel, boot, euid) and, on a miss, passes the entry's path and the key on the JVM's command line;
 * the JVM writes the entry after compiling: the key, every file the program was compiled from with
 * its device, inode, size, mtime and ctime (any change makes the entry stale), whether the program
 * needs a listener, what to say on stderr before the command runs, and the program. The format is
 * the launcher's (native byte order): {@code "EVFRUN1\n", u32 key length, key, u32 files, (u32
 * path length, path, 7 x i64)*, u32 flags, u32 message length, messages, u32 program length,
 * program}.
 */
public final class RunCache {
  /**
   * Writes the entry the launcher asked for ({@code entry}, {@code hexKey}: its {@code
   * --cache-entry} and {@code --cache-key}), atomically, in a directory only this user may write
   * (created 0700 when missing), file 0600. Never fails the run: a cache that cannot be written only
   * means the next start is not faster. A source changed after {@code readFrom} (the time before the
   * policy was read) or less than a second before it is not cached: the manifest could describe
   * another content than the one compiled, the change falling within one timestamp tick (git's
   * "racy clean" rule).
   */
  public static boolean store(String entry, String hexKey, List<Path> sources, boolean listen, String messages, BpfProgram program,
      long readFrom) {
    if (entry == null || hexKey == null) {
      return false;
    }
    if (!settled(sources, readFrom)) {
      return false;
    }
    try {
      Path file = Path.of(entry);
      Path dir = file.getParent();
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Path tmp = Files.createTempFile(dir, ".entry", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.write(tmp, encode(HexFormat.of().parseHex(hexKey), sources, listen, messages, program));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether none of {@code sources} changed after {@code readFrom} (the time before they were
   * read) or less than a second before it: only then does what was read describe what is there,
   * a change within one timestamp tick being invisible (git's "racy clean" rule).
   */
  public static boolean settled(List<Path> sources, long readFrom) {
    try {
      for (Path p : sources) {
        long changed = Math.max(Files.getLastModifiedTime(p).toMillis(),
            ((java.nio.file.attribute.FileTime) Files.getAttribute(p, "unix:ctime")).toMillis());
        if (changed > readFrom - 1000) {
          return false;
        }
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether the program in the launcher's sealed memfd {@code fd} is, byte for byte, {@code
   * program}: checked before the cached command may start.
   */
  public static boolean installed(int fd, BpfProgram program) {
    try {
      return java.util.Arrays.equals(Files.readAllBytes(Path.of("/proc/self/fd/" + fd)), program.toRaw());
    } catch (IOException e) {
      return false;
    }
  }

  static byte[] encode(byte[] key, List<Path> sources, boolean listen, String messages, BpfProgram program) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write("EVFRUN1\n".getBytes(StandardCharsets.US_ASCII));
    u32(out, key.length);
    out.write(key);
    u32(out, sources.size());
    for (Path p : sources) {
      byte[] name = p.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8);
      u32(out, name.length);
      out.write(name);
      Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino,size,lastModifiedTime,ctime");
      java.time.Instant mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toInstant();
      java.time.Instant ctime = ((java.nio.file.attribute.FileTime) a.get("ctime")).toInstant();
      for (long v : new long[] {(Long) a.get("dev"), (Long) a.get("ino"), (Long) a.get("size"), mtime.getEpochSecond(), mtime.getNano(),
          ctime.getEpochSecond(), ctime.getNano()}) {
        i64(out, v);
      }
    }
    u32(out, listen ? 1 : 0);
    byte[] m = messages.getBytes(StandardCharsets.UTF_8);
    u32(out, m.length);
    out.write(m);
    byte[] raw = program.toRaw();
    u32(out, raw.length);
    out.write(raw);
    return out.toByteArray();
  }

  private static void u32(ByteArrayOutputStream out, int v) {
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array());
  }

  private static void i64(ByteArrayOutputStream out, long v) {
    out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array());
  }
}
