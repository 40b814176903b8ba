package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check} and {@code eval} on what a policy rule reads ({@code --event seccomp/SYSCALL}):
 * the socket and address of connect, bind, sendto and sendmsg; {@code learn} and {@code replay}
 * on a recorded network trace.
 */
class SocketFieldsCommandsTest {
  private static CheckCommandTest.Result run(String... args) {
    return CheckCommandTest.run(args);
  }

  private static String[] args(String first, String... rest) {
    List<String> all = new ArrayList<>(List.of(first.split(" ")));
    all.addAll(List.of(rest));
    return all.toArray(new String[0]);
  }

  @Test
  void checkTakesTheSocketFieldsOfARuleAndNamesWhereAFilterIsWrong() {
    String[][] table = {
      {"check --event seccomp/connect", "addr in {10.0.0.0/8, ::1/128} && port == 443", "0", ""},
      {"check --event seccomp/sendmsg", "family == AF_UNIX && path ~ \"/run/*\" || type == SOCK_DGRAM", "0", ""},
      {"check --event seccomp/connect", "port == 70000", "1",
          "<filter>:1:9: Value out of range: 'port' holds 16-bit values (0 to 65535), not 70000\nport == 70000\n        ^\n"},
      {"check --event seccomp/connect", "addr == 10.0.0.0/8", "1",
          "<filter>:1:9: Invalid value (did you forget quotes)?: '10.0.0.0/8' is a network; write addr in {10.0.0.0/8}"
              + " for an address in it\naddr == 10.0.0.0/8\n        ^\n"},
      {"check --event seccomp/bind", "addr in {10.0.0.1/8}", "1",
          "<filter>:1:10: Invalid value (did you forget quotes)?: '10.0.0.1/8' has bits set past its prefix; the network is"
              + " 10.0.0.0/8\naddr in {10.0.0.1/8}\n         ^\n"},
      {"check --event seccomp/openat", "addr == 1.2.3.4", "1",
          "<filter>:1:6: Field not found: 'addr' is not a field of seccomp/openat\naddr == 1.2.3.4\n     ^\n"},
      // The tracefs event has no socket fields: the kernel's error, and where they are read.
      {"check --event syscalls/sys_enter_connect", "addr in {10.0.0.0/8} && port == 443", "1",
          "<filter>:1:6: Field not found: 'addr' is not a field of syscalls/sys_enter_connect (the socket and the address"
              + " the call names are read by policy rules: --event seccomp/connect reads them, as 'allow connect: ...' does)"
              + "\naddr in {10.0.0.0/8} && port == 443\n     ^\n"},
      // --strict-ftrace refuses the extensions where the kernel does: a set, an address cut at its first dot.
      {"check --strict-ftrace --event seccomp/connect", "port in {443}", "1", null},
      {"check --strict-ftrace --event seccomp/connect", "addr == 10.0.0.1", "1",
          "<filter>:1:9: Invalid value (did you forget quotes)?: 'addr' is an IP address, not '10': write e.g. 10.0.0.1, ::1"
              + " or 10.0.0.0/8\naddr == 10.0.0.1\n        ^\n"},
      {"check --event seccomp/conect", "port == 1", "1",
          "evfilter check: 'conect' is not an x86_64 syscall (seccomp/SYSCALL reads what a policy rule on SYSCALL reads;"
              + " seccomp/any, a rule on every syscall); did you mean 'connect'?\n"},
    };
    for (String[] row : table) {
      CheckCommandTest.Result r = run(args(row[0], row[1]));
      assertEquals(Integer.parseInt(row[2]), r.code(), row[0] + " " + row[1] + ": " + r.err());
      if (row[3] != null) {
        assertEquals(row[3], r.err(), row[0] + " " + row[1]);
      }
      assertEquals(row[2].equals("0") ? "ok\n" : "", r.out(), row[1]);
    }
  }

  @Test
  void evalDecidesAnEndpointGivenFieldByField() {
    String[][] table = {
      {"seccomp/connect", "addr in {10.0.0.0/8} && port == 443", "addr=10.1.2.3 port=443", "match"},
      // IPv4 reached from an IPv6 socket is the same address.
      {"seccomp/connect", "addr in {10.0.0.0/8} && port == 443", "addr=::ffff:10.1.2.3 port=443", "match"},
      {"seccomp/connect", "addr in {10.0.0.0/8} && port == 443", "addr=::ffff:10.1.2.3 port=443 family=AF_INET6", "match"},
      {"seccomp/connect", "family == AF_INET6", "addr=::ffff:10.1.2.3", "match"},
      {"seccomp/connect", "family == AF_INET", "addr=10.1.2.3", "match"},
      {"seccomp/connect", "addr in {10.0.0.0/8} && port == 443", "addr=11.1.2.3 port=443", "no match"},
      // An absent address matches neither way.
      {"seccomp/connect", "addr != 10.0.0.1", "path=/run/x.sock", "no match"},
      {"seccomp/connect", "addr == 10.0.0.1", "path=/run/x.sock", "no match"},
      {"seccomp/bind", "family == AF_UNIX && path ~ \"/run/*\"", "path=/run/x.sock", "match"},
      {"seccomp/bind", "path == \"@abstract\"", "path=@abstract", "match"},
      {"seccomp/sendto", "type == SOCK_DGRAM && protocol == IPPROTO_UDP && fd == 3", "type=SOCK_DGRAM protocol=17 fd=3 addr=::1", "match"},
      {"seccomp/any", "nr == connect && arg0 == 3", "nr=42 arg0=3", "match"},
    };
    for (String[] row : table) {
      List<String> a = new ArrayList<>(List.of("eval", "--event", row[0], row[1]));
      a.addAll(List.of(row[2].split(" ")));
      CheckCommandTest.Result r = run(a.toArray(new String[0]));
      assertEquals(new CheckCommandTest.Result(row[3].equals("match") ? 0 : 1, row[3] + "\n", ""), r, row[1] + " " + row[2]);
    }
  }

  @Test
  void evalSaysWhichValueIsWrong() {
    String[][] table = {
      {"addr=10.0.0.300", "evfilter eval: 'addr=10.0.0.300': '10.0.0.300' is not an IP address\n"},
      {"port=65536", "evfilter eval: 'port=65536': port 65536 is not 0 to 65535\n"},
      {"family=AF_INTE", "evfilter eval: 'family=AF_INTE': no constant 'AF_INTE'\n"},
      {"prot=6", "evfilter eval: 'prot' is not a field of seccomp/connect; did you mean 'port'?\n"},
      {"fd=three", "evfilter eval: 'fd=three': no constant 'three'\n"},
    };
    for (String[] row : table) {
      assertEquals(new CheckCommandTest.Result(1, "", row[1]), run("eval", "--event", "seccomp/connect", "port == 1", row[0]), row[0]);
    }
    CheckCommandTest.Result filter = run("eval", "--event", "seccomp/connect", "port == 70000", "port=1");
    assertEquals(new CheckCommandTest.Result(1, "",
        "<filter>:1:9: Value out of range: 'port' holds 16-bit values (0 to 65535), not 70000\nport == 70000\n        ^\n"), filter);
  }

  @Test
  void evalLinesTakeEndpointsAsJsonLinesTracesWriteThem() {
    String in = String.join("\n",
        "{\"filter\": \"addr in {::1/128} && port == 53\", \"event\": {\"endpoint\": {\"addr\": \"::1\", \"port\": 53}}}",
        "{\"filter\": \"protocol == IPPROTO_UDP\", \"event\": {\"endpoint\": {\"family\": \"AF_INET\", \"protocol\": 17}}}",
        "{\"filter\": \"port == 53\", \"event\": {\"addr\": \"127.0.0.1\", \"port\": 54}}",
        "{\"filter\": \"port == 53\", \"event\": {\"endpoint\": {\"adr\": \"::1\"}}}",
        "{\"filter\": \"port == 5x3\", \"event\": {\"port\": 53}}",
        "");
    CheckCommandTest.Result r = CheckCommandTest.withInput(in, "eval", "--event", "seccomp/sendto", "-");
    assertEquals(String.join("\n", "match", "match", "no match",
        "error\t0\tunknown endpoint member 'adr' (family, type, protocol, addr, port, path)",
        "error\t9\tIllegal integer value", ""), r.out());
    assertEquals(1, r.code());
  }

  @Test
  void aPolicyLearnedFromANetworkTraceAllowsItsEndpointsAndNothingElse(@TempDir Path dir) throws Exception {
    Path trace = dir.resolve("net.strace");
    // strace -f -e trace=network, as this machine's strace prints a python3 client.
    Files.writeString(trace, String.join("\n",
        "30387 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 4",
        "30387 connect(4, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr(\"1.2.3.4\")}, 16) = 0",
        "30387 socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 5",
        "30387 sendto(5, \"x\", 1, 0, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0),"
            + " inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, 28) = 1",
        "30387 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 3",
        "30387 connect(3, {sa_family=AF_UNIX, sun_path=\"/var/run/nscd/socket\"}, 110) = -1 ENOENT (No such file or directory)",
        ""));
    Path policy = dir.resolve("learned.evf");
    CheckCommandTest.Result learned = run("learn", trace.toString(), "-o", policy.toString());
    assertEquals(0, learned.code(), learned.err());
    String text = Files.readString(policy);
    assertTrue(text.contains("allow connect: (path == \"/var/run/nscd/socket\" || (port == 443 && addr == 1.2.3.4))\n")
        || text.contains("allow connect: ((port == 443 && addr == 1.2.3.4) || path == \"/var/run/nscd/socket\")\n"), text);
    assertTrue(text.contains("allow sendto: !(flags & 0xffffffff) && port == 53 && addr == ::1\n"), text);
    assertTrue(text.contains("allow socket: family in {1, 2, 0xa} && type in {1, 2} && protocol == 0\n"), text);
    // Replayed, the trace is allowed whole; the same calls to other endpoints are not.
    CheckCommandTest.Result again = run("replay", "--policy", policy.toString(), trace.toString());
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("  allow          6\n") && !again.out().contains("errno"), again.out());
    Path other = dir.resolve("other.strace");
    Files.writeString(other, Files.readString(trace).replace("1.2.3.4", "1.2.3.5").replace("htons(53)", "htons(54)")
        .replace("nscd/socket", "nscd/sock"));
    CheckCommandTest.Result outside = run("replay", "--policy", policy.toString(), other.toString());
    assertTrue(outside.out().contains("  errno          3\n"), outside.out());
  }
}
