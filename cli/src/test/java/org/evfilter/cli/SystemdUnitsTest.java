package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The systemd units shipped in dist/systemd start {@code serve} on the socket it listens on by default. */
class SystemdUnitsTest {
  private static final Path UNITS = Path.of("../dist/systemd");

  // key=value lines of one unit file (the last of a key wins, as systemd reads most settings).
  private static Map<String, String> settings(String unit) throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(UNITS.resolve(unit))) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        m.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    return m;
  }

  @Test
  void theServiceRunsServeOnTheDefaultSocket() throws Exception {
    String exec = settings("evfilter.service").get("ExecStart");
    assertTrue(exec.matches(".*\\.jar serve( .*)?"), exec);
    assertTrue(exec.contains("--socket " + ServeCommand.DEFAULT_SOCKET) || !exec.contains("--socket"), exec);
    assertEquals("evfilter.socket", settings("evfilter.service").get("Requires"));
  }

  @Test
  void theSocketIsTheDefaultPathMode0600InAPrivateDirectory() throws Exception {
    Map<String, String> socket = settings("evfilter.socket");
    assertEquals(ServeCommand.DEFAULT_SOCKET.toString(), socket.get("ListenStream"));
    assertEquals("0600", socket.get("SocketMode"));
    assertEquals("0700", socket.get("DirectoryMode"));
  }
}
