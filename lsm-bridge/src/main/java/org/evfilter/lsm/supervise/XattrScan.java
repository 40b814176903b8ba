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
      List<Path> carrying = new ArrayList<>();
      long scanned = -1;
      int start = 0;
      for (int i = 0; i < out.length; i++) {
        if (out[i] == 0) {
          String s = new String(out, start, i - start, StandardCharsets.ISO_8859_1);
          if (s.startsWith("#")) {
            scanned = Long.parseLong(s.substring(1));
          } else {
            carrying.add(Path.of(s));
          }
          start = i + 1;
        }
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
