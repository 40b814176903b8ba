package org.evfilter.events.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.trace.TraceFormat;
import org.evfilter.events.trace.TraceReader;
import org.evfilter.events.trace.TraceWriter;
import org.evfilter.events.trace.Traces;
import org.junit.jupiter.api.Test;

/** Addresses as written and as the kernel hands them over in a struct sockaddr; endpoints in traces. */
class EndpointTest {
  @Test
  void addressesParseAsInetPtonReadsThem() {
    String[][] same = {
      {"::1", "::1"}, {"0:0:0:0:0:0:0:1", "::1"}, {"FE80::1", "fe80::1"}, {"::ffff:10.0.0.1", "10.0.0.1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"}, {"::", "::"},
      {"10.0.0.1", "10.0.0.1"}, {"0.0.0.0", "0.0.0.0"},
    };
    for (String[] s : same) {
      assertEquals(s[1], IpAddress.parse(s[0]).orElseThrow().toString(), s[0]);
    }
    for (String bad : new String[] {"10.0.0", "10.0.0.256", "010.0.0.1x", "1:2:3", "1::2::3", "1:2:3:4:5:6:7:8:9", "::1.2.3",
        "12345::", "g::1", "localhost", ""}) {
      assertEquals(Optional.empty(), IpAddress.parse(bad), bad);
    }
    assertTrue(IpAddress.parse("10.0.0.1").orElseThrow().isV4());
    assertEquals(IpAddress.parse("10.0.0.1"), IpAddress.parse("::ffff:10.0.0.1"));
  }

  @Test
  void networksRefuseBadPrefixesAndHostBits() {
    assertEquals(Optional.of(Cidr.Problem.PREFIX), Cidr.parse("10.0.0.0/33").problem());
    assertEquals(Optional.of(Cidr.Problem.PREFIX), Cidr.parse("::/129").problem());
    assertEquals(Optional.of(Cidr.Problem.PREFIX), Cidr.parse("::/").problem());
    assertEquals(Optional.of(Cidr.Problem.HOST_BITS), Cidr.parse("10.0.0.1/8").problem());
    assertEquals(Optional.of(Cidr.Problem.ADDRESS), Cidr.parse("ten/8").problem());
    Cidr v4 = Cidr.parse("192.168.0.0/16").cidr().orElseThrow();
    assertEquals("192.168.0.0", v4.first().toString());
    assertEquals("192.168.255.255", v4.last().toString());
    assertEquals("192.168.0.0/16", v4.toString());
    assertEquals(112, v4.prefix());
  }

  @Test
  void sockaddrsReadAsTheKernelReadsThem() {
    ByteBuffer in4 = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
    in4.putShort(0, (short) Endpoint.AF_INET).put(2, (byte) 0x01).put(3, (byte) 0xbb).put(4, (byte) 127).put(7, (byte) 1);
    Endpoint e = Endpoint.ofSockaddr(in4.array(), 1, 6);
    assertEquals("127.0.0.1:443", e.toString());
    assertEquals(1, e.type());
    // Shorter than sockaddr_in: the kernel refuses it; only its family is read.
    Endpoint shortOne = Endpoint.ofSockaddr(java.util.Arrays.copyOf(in4.array(), 15), 1, 6);
    assertFalse(shortOne.address().isPresent());
    assertEquals(Endpoint.AF_INET, shortOne.family());
    ByteBuffer in6 = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
    in6.putShort(0, (short) Endpoint.AF_INET6).put(3, (byte) 53).put(23, (byte) 1);
    assertEquals("[::1]:53", Endpoint.ofSockaddr(in6.array(), 2, 17).toString());
    byte[] un = new byte[2 + 11];
    ByteBuffer.wrap(un).order(ByteOrder.nativeOrder()).putShort(0, (short) Endpoint.AF_UNIX);
    System.arraycopy("/run/x.sock".getBytes(StandardCharsets.ISO_8859_1), 0, un, 2, 11);
    assertEquals(Optional.of("/run/x.sock"), Endpoint.ofSockaddr(un, 1, 0).path());
    un[2] = 0;
    assertEquals(Optional.of("@run/x.sock"), Endpoint.ofSockaddr(un, 1, 0).path());
    assertEquals(Endpoint.AF_UNSPEC, Endpoint.ofSockaddr(new byte[1], 1, 0).family());
  }

  @Test
  void jsonLinesTracesCarryTheEndpoint() throws Exception {
    SyscallEvent e = SyscallEvent.builder(Arch.X86_64, 42, 3, 0x1000, 28).pid(7)
        .endpoint(Endpoint.inet(IpAddress.parse("fe80::1").orElseThrow(), 8080, 1, 6, true)).build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TraceWriter w = Traces.writer(TraceFormat.JSONL, out)) {
      w.write(e);
    }
    String line = out.toString(StandardCharsets.UTF_8);
    assertTrue(line.contains("\"endpoint\":{\"family\":10,\"type\":1,\"protocol\":6,\"addr\":\"fe80::1\",\"port\":8080}"), line);
    try (TraceReader r = Traces.reader(TraceFormat.JSONL, new ByteArrayInputStream(out.toByteArray()))) {
      assertEquals(Optional.of(e), r.read());
    }
    String named = "{\"name\": \"connect\", \"endpoint\": {\"addr\": \"10.0.0.1\", \"port\": 53, \"type\": \"SOCK_DGRAM\"}}\n";
    try (TraceReader r = Traces.reader(TraceFormat.JSONL, new ByteArrayInputStream(named.getBytes(StandardCharsets.UTF_8)))) {
      Endpoint read = r.read().orElseThrow().endpoint().orElseThrow();
      assertEquals(Endpoint.AF_INET, read.family());
      assertEquals(2, read.type());
      assertEquals("10.0.0.1:53", read.toString());
    }
  }
}
