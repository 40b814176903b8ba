package org.evfilter.lsm.supervise;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.evfilter.events.vfs.VfsEvent.FileType;
import org.evfilter.lsm.landlock.LandlockRuleset;

/**
 * The objects beneath some directories that carry label xattrs, found by {@code evfilter-launch
 * --scan-xattrs} (one {@code llistxattr} per object, no stat): what a Landlock ruleset built from
 * paths must be checked against before the command starts.
 */
public final class XattrScan implements LandlockRuleset.Carriers {
  private final List<String> names;

  /** A scan for the xattrs {@code names} ({@code user.evfilter.label}, {@code security.selinux}). */
  public XattrScan(List<String> names) {
    this.names = List.copyOf(names);
  }

  private static FileType type(char t) {
    return switch (t) {
      case 'd' -> FileType.DIRECTORY;
      case 'f' -> FileType.REGULAR;
      case 'l' -> FileType.SYMLINK;
      default -> FileType.UNKNOWN;
    };
  }

  @Override
  public LandlockRuleset.Found find(List<Path> roots) throws IOException {
    if (roots.isEmpty()) {
      return new LandlockRuleset.Found(0, List.of());
    }
    Path work = Files.createTempDirectory("evfilter-scan", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path exe = Sandbox.launcher(work);
    try {
      List<String> argv = new ArrayList<>(List.of(exe.toString(), "--scan-xattrs", String.join(",", names)));
      roots.forEach(r -> argv.add(r.toString()));
      Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      byte[] out;
      try (InputStream in = p.getInputStream()) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf);
        out = buf.toByteArray();
      }
      int status = p.waitFor();
      List<LandlockRuleset.Carrier> carrying = new ArrayList<>();
      long scanned = -1;
      String failure = null;
      int start = 0;
      for (int i = 0; i < out.length; i++) {
        if (out[i] != 0) {
          continue;
        }
        String s = new String(out, start, i - start, StandardCharsets.ISO_8859_1);
        start = i + 1;
        switch (s.isEmpty() ? ' ' : s.charAt(0)) {
          case 'F' -> carrying.add(new LandlockRuleset.Carrier(s.substring(2), type(s.charAt(1)), new java.util.LinkedHashMap<>()));
          case 'X' -> {
            int eq = s.indexOf('=');
            if (eq < 0 || carrying.isEmpty()) {
              throw new IOException("the xattr scan wrote a record out of place: " + s);
            }
            carrying.get(carrying.size() - 1).xattrs().put(s.substring(1, eq), java.util.HexFormat.of().parseHex(s.substring(eq + 1)));
          }
          case '#' -> scanned = Long.parseLong(s.substring(1));
          case '!' -> failure = s.substring(1);
          default -> throw new IOException("the xattr scan wrote a record it should not: " + s);
        }
      }
      if (failure != null) {
        throw new IOException("the xattr scan could not look at everything: " + failure);
      }
      if (status != 0 || scanned < 0) {
        throw new IOException("the xattr scan of " + roots + " failed (status " + status + ")");
      }
      return new LandlockRuleset.Found(scanned, carrying);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted during the xattr scan", e);
    } finally {
      Files.deleteIfExists(exe);
      Files.deleteIfExists(work);
    }
  }
}
