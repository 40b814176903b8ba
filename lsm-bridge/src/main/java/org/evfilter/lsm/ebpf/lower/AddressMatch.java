package org.evfilter.lsm.ebpf.lower;

import org.evfilter.events.net.Cidr;
import org.evfilter.events.net.IpAddress;
import org.evfilter.lsm.ebpf.AluOp;
import org.evfilter.lsm.ebpf.Assembler;
import org.evfilter.lsm.ebpf.Assembler.Label;
import org.evfilter.lsm.ebpf.JumpOp;
import org.evfilter.lsm.ebpf.Register;

/**
 * Code testing whether an address a {@link FieldSource.AddressLoad} gives lies in a network, in
 * the one 128-bit space of {@link IpAddress}: an IPv4 word {@code w} is {@code ::ffff:w}, so an
 * IPv4 network is a test of that word, a network shorter than 96 bits holds every IPv4 address or
 * none, and an IPv6 network compares the words its prefix covers.
 */
public final class AddressMatch {
  private static final IpAddress ANY_V4 = IpAddress.of(new byte[4]);

  private AddressMatch() {}

  /** What a test of an address against a network can give, known before it runs. */
  public enum Outcome { NEVER, ALWAYS, DEPENDS }

  /**
   * Whether the address {@code load} gives can be in {@code network} at all: the verifier refuses
   * code no path reaches, so a caller leaves out what follows a test that never or always hits.
   */
  public static Outcome outcome(FieldSource.AddressLoad load, Cidr network) {
    if (load.words() == 0) {
      return Outcome.NEVER;
    }
    if (load.words() == 1 && network.prefix() <= 96) {
      return network.contains(ANY_V4) ? Outcome.ALWAYS : Outcome.NEVER;
    }
    if (load.words() == 1 && !network.first().isV4()) {
      return Outcome.NEVER;
    }
    return network.prefix() == 0 ? Outcome.ALWAYS : Outcome.DEPENDS;
  }

  /**
   * Goes to {@code hit} when the address is in {@code network}, else to {@code miss}; {@code
   * scratch} is clobbered. Only for a test that {@link #outcome depends} on the address.
   */
  public static void emit(Assembler a, FieldSource.AddressLoad load, Register context, Register scratch, Cidr network, Label hit,
      Label miss) {
    if (outcome(load, network) != Outcome.DEPENDS) {
      throw new IllegalArgumentException(network + " is known to be " + outcome(load, network) + " here");
    }
    if (load.words() == 1) {
      word(a, load, context, scratch, 0, network.prefix() - 96, network.first().v4(), miss);
      a.ja(hit);
      return;
    }
    for (int i = 0; i < 4 && network.prefix() > 32 * i; i++) {
      int bits = Math.min(32, network.prefix() - 32 * i);
      word(a, load, context, scratch, i, bits, wordOf(network.first(), i), miss);
    }
    a.ja(hit);
  }

  // Goes to miss unless the first 'bits' bits of word i are those of 'expected'.
  private static void word(Assembler a, FieldSource.AddressLoad load, Register context, Register scratch, int i, int bits, int expected,
      Label miss) {
    load.emit(a, context, scratch, i);
    int mask = bits == 32 ? -1 : ~(-1 >>> bits);
    if (bits < 32) {
      a.alu32(AluOp.AND, scratch, mask);
    }
    a.jump32(JumpOp.JNE, scratch, expected & mask, miss);
  }

  private static int wordOf(IpAddress address, int i) {
    return (address.byteAt(4 * i) << 24) | (address.byteAt(4 * i + 1) << 16) | (address.byteAt(4 * i + 2) << 8) | address.byteAt(4 * i + 3);
  }
}
