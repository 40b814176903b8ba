package org.evfilter.events.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * An IPv4 or IPv6 address in one 128-bit space: an IPv4 address is held as its IPv4-mapped IPv6
 * form ({@code ::ffff:a.b.c.d}), which is what an IPv6 socket connecting to an IPv4 host names, so
 * a rule on {@code 10.0.0.0/8} decides both ways of reaching 10.x.x.x.
 */
public final class IpAddress implements Comparable<IpAddress> {
  private static final byte[] MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

  private final byte[] bytes;

  private IpAddress(byte[] bytes) {
    this.bytes = bytes;
  }

  /** The address of 4 (IPv4) or 16 (IPv6) bytes in network order. */
  public static IpAddress of(byte[] raw) {
    if (raw.length == 4) {
      byte[] b = Arrays.copyOf(MAPPED_PREFIX, 16);
      System.arraycopy(raw, 0, b, 12, 4);
      return new IpAddress(b);
    }
    if (raw.length == 16) {
      return new IpAddress(raw.clone());
    }
    throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + raw.length);
  }

  /**
   * Parses a numeric address: dotted IPv4 ({@code 10.0.0.1}, exactly four decimal parts) or IPv6
   * ({@code ::1}, {@code fe80::1}, {@code ::ffff:10.0.0.1}); never a host name, never a lookup.
   */
  public static Optional<IpAddress> parse(String text) {
    if (text.indexOf(':') < 0) {
      return parseV4(text).map(IpAddress::of);
    }
    return parseV6(text).map(IpAddress::new);
  }

  // RFC 4291 text: eight groups of 1-4 hex digits, one '::' for a run of zero groups, an optional
  // dotted IPv4 tail for the last two groups. No zone ('%eth0'), no brackets.
  private static Optional<byte[]> parseV6(String text) {
    if (!text.matches("[0-9A-Fa-f:.]+")) {
      return Optional.empty();
    }
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return Optional.empty();
    }
    java.util.List<Integer> head = new java.util.ArrayList<>();
    java.util.List<Integer> tail = new java.util.ArrayList<>();
    if (gap < 0) {
      if (!groups(text, head)) {
        return Optional.empty();
      }
    } else if (!groups(text.substring(0, gap), head) || !groups(text.substring(gap + 2), tail)) {
      return Optional.empty();
    }
    int n = head.size() + tail.size();
    if (gap < 0 ? n != 8 : n > 7) {
      return Optional.empty();
    }
    byte[] b = new byte[16];
    for (int i = 0; i < head.size(); i++) {
      b[2 * i] = (byte) (head.get(i) >> 8);
      b[2 * i + 1] = (byte) (int) head.get(i);
    }
    for (int i = 0; i < tail.size(); i++) {
      int at = 8 - tail.size() + i;
      b[2 * at] = (byte) (tail.get(i) >> 8);
      b[2 * at + 1] = (byte) (int) tail.get(i);
    }
    return Optional.of(b);
  }

  // Colon-separated groups (empty text: none); a dotted IPv4 last part counts as two groups.
  private static boolean groups(String text, java.util.List<Integer> out) {
    if (text.isEmpty()) {
      return true;
    }
    String[] parts = text.split(":", -1);
    for (int i = 0; i < parts.length; i++) {
      String g = parts[i];
      if (i == parts.length - 1 && g.indexOf('.') >= 0) {
        Optional<byte[]> v4 = parseV4(g);
        if (v4.isEmpty()) {
          return false;
        }
        out.add(((v4.get()[0] & 0xff) << 8) | (v4.get()[1] & 0xff));
        out.add(((v4.get()[2] & 0xff) << 8) | (v4.get()[3] & 0xff));
      } else if (g.matches("[0-9A-Fa-f]{1,4}")) {
        out.add(Integer.parseInt(g, 16));
      } else {
        return false;
      }
    }
    return true;
  }

  private static Optional<byte[]> parseV4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      // Decimal only: inet_pton's reading, not inet_aton's (no octal 010, no hex, no short forms).
      if (!parts[i].matches("[0-9]{1,3}") || Integer.parseInt(parts[i]) > 255) {
        return Optional.empty();
      }
      b[i] = (byte) Integer.parseInt(parts[i]);
    }
    return Optional.of(b);
  }

  /** The 16 bytes, network order (IPv4 mapped). */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Byte {@code i} of the 16. */
  public int byteAt(int i) {
    return bytes[i] & 0xff;
  }

  /** Whether this is an IPv4 address (held IPv4-mapped). */
  public boolean isV4() {
    return Arrays.equals(bytes, 0, 12, MAPPED_PREFIX, 0, 12);
  }

  /** The IPv4 address as a 32-bit number in host order; only for {@link #isV4()}. */
  public int v4() {
    return (byteAt(12) << 24) | (byteAt(13) << 16) | (byteAt(14) << 8) | byteAt(15);
  }

  /** The high and low 64 bits. */
  public long high() {
    return word(0);
  }

  public long low() {
    return word(8);
  }

  private long word(int from) {
    long w = 0;
    for (int i = from; i < from + 8; i++) {
      w = (w << 8) | (bytes[i] & 0xff);
    }
    return w;
  }

  @Override
  public int compareTo(IpAddress o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpAddress a && Arrays.equals(a.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Dotted for IPv4, else the canonical IPv6 text. */
  @Override
  public String toString() {
    try {
      InetAddress a = InetAddress.getByAddress(isV4() ? Arrays.copyOfRange(bytes, 12, 16) : bytes);
      String s = a.getHostAddress();
      return a instanceof Inet6Address ? compress(s) : s;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  // Java writes 0:0:0:0:0:0:0:1; people write ::1 (RFC 5952: the longest run of zero groups).
  private static String compress(String full) {
    String[] g = full.split(":");
    int bestAt = -1;
    int bestLen = 1;
    for (int i = 0; i < g.length; ) {
      int j = i;
      while (j < g.length && g[j].equals("0")) {
        j++;
      }
      if (j - i > bestLen) {
        bestAt = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    if (bestAt < 0) {
      return full;
    }
    String head = String.join(":", Arrays.copyOfRange(g, 0, bestAt));
    String tail = String.join(":", Arrays.copyOfRange(g, bestAt + bestLen, g.length));
    return head + "::" + tail;
  }

}
