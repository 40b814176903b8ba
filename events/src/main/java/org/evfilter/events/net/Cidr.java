package org.evfilter.events.net;

import java.util.Objects;
import java.util.Optional;

/**
 * A network: an address and a prefix length in the 128-bit space of {@link IpAddress}. An IPv4
 * network {@code 10.0.0.0/8} is held as {@code ::ffff:10.0.0.0/104}, so it contains the
 * IPv4-mapped IPv6 addresses of its hosts too; {@link #v4()} says whether it was written as one.
 *
 * @param network the first address (host bits zero)
 * @param prefix the prefix length in the 128-bit space (96 + n for IPv4 /n)
 * @param v4 whether it was written as an IPv4 network
 */
public record Cidr(IpAddress network, int prefix, boolean v4) {
  public Cidr {
    Objects.requireNonNull(network, "network");
    if (prefix < 0 || prefix > 128 || v4 && prefix < 96) {
      throw new IllegalArgumentException("prefix " + prefix);
    }
  }

  /** Why a network's text is not one. */
  public enum Problem {
    /** Not an IPv4 or IPv6 address. */
    ADDRESS,
    /** A prefix length that is not a number from 0 to 32 (IPv4) or 128 (IPv6). */
    PREFIX,
    /** Bits set after the prefix ({@code 10.0.0.1/8}): a typo more often than not. */
    HOST_BITS
  }

  /** A parse: the network, or what is wrong with the text. */
  public record Parsed(Optional<Cidr> cidr, Optional<Problem> problem) {}

  /** The single address {@code a} (/32 or /128). */
  public static Cidr host(IpAddress a) {
    return new Cidr(a, 128, a.isV4());
  }

  /** Parses {@code ADDRESS} or {@code ADDRESS/PREFIX}; host bits after the prefix are refused. */
  public static Parsed parse(String text) {
    int slash = text.indexOf('/');
    Optional<IpAddress> a = IpAddress.parse(slash < 0 ? text : text.substring(0, slash));
    if (a.isEmpty()) {
      return new Parsed(Optional.empty(), Optional.of(Problem.ADDRESS));
    }
    boolean v4 = a.get().isV4() && (slash < 0 ? text : text.substring(0, slash)).indexOf(':') < 0;
    if (slash < 0) {
      return new Parsed(Optional.of(new Cidr(a.get(), 128, v4)), Optional.empty());
    }
    String p = text.substring(slash + 1);
    int max = v4 ? 32 : 128;
    if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > max) {
      return new Parsed(Optional.empty(), Optional.of(Problem.PREFIX));
    }
    int prefix = Integer.parseInt(p) + (v4 ? 96 : 0);
    Cidr c = new Cidr(a.get(), prefix, v4);
    if (!c.network().equals(c.first())) {
      return new Parsed(Optional.empty(), Optional.of(Problem.HOST_BITS));
    }
    return new Parsed(Optional.of(c), Optional.empty());
  }

  /** The prefix length as written: 0 to 32 for IPv4, 0 to 128 for IPv6. */
  public int writtenPrefix() {
    return v4 ? prefix - 96 : prefix;
  }

  /** Whether {@code a} lies in this network. */
  public boolean contains(IpAddress a) {
    for (int i = 0; i < 16; i++) {
      int bits = Math.min(8, Math.max(0, prefix - 8 * i));
      int mask = (0xff << (8 - bits)) & 0xff;
      if ((a.byteAt(i) & mask) != (network.byteAt(i) & mask)) {
        return false;
      }
    }
    return true;
  }

  /** The first address of the network (the network address with its host bits cleared). */
  public IpAddress first() {
    byte[] b = network.bytes();
    for (int i = 0; i < 16; i++) {
      int bits = Math.min(8, Math.max(0, prefix - 8 * i));
      b[i] = (byte) (b[i] & (0xff << (8 - bits)));
    }
    return IpAddress.of(b);
  }

  /** The last address of the network. */
  public IpAddress last() {
    byte[] b = network.bytes();
    for (int i = 0; i < 16; i++) {
      int bits = Math.min(8, Math.max(0, prefix - 8 * i));
      b[i] = (byte) (b[i] | (0xff >>> bits));
    }
    return IpAddress.of(b);
  }

  /** As written: {@code 10.0.0.0/8}, {@code ::1/128}; a single host without its prefix. */
  @Override
  public String toString() {
    return network + (prefix == 128 ? "" : "/" + writtenPrefix());
  }
}
