package org.evfilter.lsm.ebpf.lower;

import java.util.Map;
import java.util.Optional;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.syscalls.Constants;
import org.evfilter.lsm.ebpf.AluOp;
import org.evfilter.lsm.ebpf.Assembler;
import org.evfilter.lsm.ebpf.Assembler.Label;
import org.evfilter.lsm.ebpf.JumpOp;
import org.evfilter.lsm.ebpf.Register;
import org.evfilter.lsm.ebpf.Size;
import org.evfilter.lsm.ebpf.SockAddrContext;
import org.evfilter.predicates.labels.NetworkLabels;

/**
 * The socket fields as a {@code cgroup_sock_addr} program sees them in {@code struct bpf_sock_addr},
 * read as the predicate engine reads an {@link Endpoint}: {@code family} is the sockaddr's, {@code
 * type} and {@code protocol} the socket's, {@code port} in host order, {@code addr} IPv4-mapped,
 * and {@code label} computed from the network labels (the longest prefix holding the address, the
 * narrowest port range of the protocol). A sockaddr of another family than the hook's ({@link
 * #foreign}: {@code AF_UNSPEC}, or IPv6 at an IPv4 hook) is, as for the engine, one without an
 * address: port 0, no address, no label.
 */
public final class SockAddrFields implements FieldSource {
  private static final String LABEL = "label";
  private static final int SOCK_STREAM = Constants.linux().require("SOCK_STREAM");
  private static final int SOCK_DGRAM = Constants.linux().require("SOCK_DGRAM");
  private static final int TCP = Constants.linux().require("IPPROTO_TCP");
  private static final int UDP = Constants.linux().require("IPPROTO_UDP");

  private final boolean v6;
  private final boolean own;
  private final NetworkLabels labels;
  private final Map<String, Long> bits;

  private SockAddrFields(boolean v6, boolean own, NetworkLabels labels, Map<String, Long> bits) {
    this.v6 = v6;
    this.own = own;
    this.labels = labels;
    this.bits = Map.copyOf(bits);
  }

  /** The fields of a sockaddr of the hook's own family ({@code v6}: an IPv6 hook); {@code bits}: each label's bit. */
  public static SockAddrFields own(boolean v6, NetworkLabels labels, Map<String, Long> bits) {
    return new SockAddrFields(v6, true, labels, bits);
  }

  /** The fields of a sockaddr of another family than the hook's: no address, port 0, no label. */
  public static SockAddrFields foreign(boolean v6) {
    return new SockAddrFields(v6, false, NetworkLabels.none(), Map.of());
  }

  /** The family a sockaddr has at this hook when it is the hook's own. */
  public int family() {
    return v6 ? Endpoint.AF_INET6 : Endpoint.AF_INET;
  }

  @Override
  public Optional<NumberLoad> number(EventField field) {
    if (field.equals(SocketFields.FAMILY)) {
      return Optional.of(word(SockAddrContext.USER_FAMILY));
    }
    if (field.equals(SocketFields.TYPE)) {
      return Optional.of(word(SockAddrContext.TYPE));
    }
    if (field.equals(SocketFields.PROTOCOL)) {
      return Optional.of(word(SockAddrContext.PROTOCOL));
    }
    if (field.equals(SocketFields.PORT)) {
      return Optional.of(own ? (a, ctx, dst) -> port(a, ctx, dst) : (a, ctx, dst) -> a.mov(dst, 0));
    }
    if (field.name().equals(LABEL)) {
      return Optional.of(own ? this::label : (a, ctx, dst) -> a.mov(dst, 0));
    }
    return Optional.empty();
  }

  @Override
  public Optional<TextLoad> text(EventField field, boolean user) {
    return Optional.empty();
  }

  @Override
  public int textArea(EventField field, boolean user) {
    return 0;
  }

  @Override
  public Optional<AddressLoad> address(EventField field) {
    return field.equals(SocketFields.ADDR) ? Optional.of(addressLoad()) : Optional.empty();
  }

  private AddressLoad addressLoad() {
    int words = !own ? 0 : v6 ? 4 : 1;
    int base = v6 ? SockAddrContext.USER_IP6 : SockAddrContext.USER_IP4;
    return new AddressLoad() {
      @Override
      public int words() {
        return words;
      }

      @Override
      public void emit(Assembler a, Register context, Register dst, int index) {
        a.ldx(Size.W, dst, context, base + 4 * index).toBigEndian(dst, 32);
      }
    };
  }

  private static NumberLoad word(int offset) {
    return (a, ctx, dst) -> a.ldx(Size.W, dst, ctx, offset);
  }

  private static void port(Assembler a, Register ctx, Register dst) {
    a.ldx(Size.W, dst, ctx, SockAddrContext.USER_PORT).toBigEndian(dst, 16);
  }

  // The endpoint's label set into dst: its node's label, then its port's. R1-R3 are scratch.
  private void label(Assembler a, Register ctx, Register dst) {
    a.mov(dst, 0);
    AddressLoad address = addressLoad();
    Label ports = a.label();
    for (NetworkLabels.Node n : labels.nodes()) {
      AddressMatch.Outcome o = AddressMatch.outcome(address, n.network());
      if (o == AddressMatch.Outcome.ALWAYS) {
        or(a, dst, bits.getOrDefault(n.label(), 0L));
        break; // the most specific node holding it: the rest are never reached
      }
      if (o == AddressMatch.Outcome.NEVER) {
        continue;
      }
      Label hit = a.label();
      Label miss = a.label();
      AddressMatch.emit(a, address, ctx, Register.R1, n.network(), hit, miss);
      a.bind(hit);
      or(a, dst, bits.getOrDefault(n.label(), 0L));
      a.ja(ports);
      a.bind(miss);
    }
    a.bind(ports);
    if (labels.ports().isEmpty()) {
      return;
    }
    // A socket made with protocol 0 has its type's default, as NetworkLabels has it.
    Label known = a.label();
    a.ldx(Size.W, Register.R2, ctx, SockAddrContext.PROTOCOL).jump(JumpOp.JNE, Register.R2, 0, known);
    a.ldx(Size.W, Register.R3, ctx, SockAddrContext.TYPE);
    Label notStream = a.label();
    a.jump(JumpOp.JNE, Register.R3, SOCK_STREAM, notStream).mov(Register.R2, TCP).ja(known);
    a.bind(notStream);
    a.jump(JumpOp.JNE, Register.R3, SOCK_DGRAM, known).mov(Register.R2, UDP);
    a.bind(known);
    port(a, ctx, Register.R3);
    Label done = a.label();
    for (NetworkLabels.Port p : labels.ports()) {
      Label next = a.label();
      a.jump(JumpOp.JNE, Register.R2, p.protocol(), next);
      a.jump(JumpOp.JLT, Register.R3, p.low(), next);
      a.jump(JumpOp.JGT, Register.R3, p.high(), next);
      or(a, dst, bits.getOrDefault(p.label(), 0L));
      a.ja(done);
      a.bind(next);
    }
    a.bind(done);
  }

  private static void or(Assembler a, Register dst, long bit) {
    if (bit == 0) {
      return;
    }
    if (bit == (int) bit) {
      a.alu64(AluOp.OR, dst, (int) bit);
    } else {
      a.ldImm64(Register.R4, bit).alu64(AluOp.OR, dst, Register.R4);
    }
  }
}
