package org.evfilter.lsm.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("kernel")
class LinuxXattrsTest {
  @Test
  void readsSecurityXattrsTheJdkCannot(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("f"), "x");
    Process set = new ProcessBuilder("setfattr", "-n", "security.selinux", "-v", "system_u:object_r:secret_t:s0", f.toString())
        .redirectErrorStream(true).start();
    String out = new String(set.getInputStream().readAllBytes());
    boolean written = set.waitFor() == 0;
    if (!written) {
      System.err.println("\n*** SKIPPED: cannot set security.selinux here: " + out.strip() + " ***\n");
    }
    Assumptions.assumeTrue(written, "cannot set security.selinux here: " + out);
    assertEquals("system_u:object_r:secret_t:s0", new String(LinuxXattrs.reader().read(f, "security.selinux").orElseThrow()).replace("\0", ""));
    assertEquals(Optional.empty(), LinuxXattrs.reader().read(f, "user.nothing"));
    BoundPolicy p = PolicyBinder.bind("p.evf", "label secret_t\nallow openat: label & secret_t\n", KernelFacts.of(2, Map.of()));
    assertEquals(1L, p.labelResolver(10, LinuxXattrs.reader()).labels(f.toString()));
    assertEquals(0L, p.labelResolver(10).labels(f.toString()), "the JDK alone cannot see security.*");
  }
}
