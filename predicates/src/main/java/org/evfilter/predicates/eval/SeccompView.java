package org.evfilter.predicates.eval;

import java.util.OptionalInt;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.schema.EventField;

/**
 * A reusable view of a {@link SyscallEvent} (plus the label set of the object it touches) for
 * compiled filters: slots 0-5 are the arguments (and their strings), then nr, arch, instruction
 * pointer, label set, pid, return value, comm and the label set an xattr write would give the object,
 * then the socket fields of the call's endpoint. {@link #LAYOUT} places the fields of policy
 * schemas and of tracefs {@code syscalls/*} events.
 */
public final class SeccompView implements EventView {
  public static final int NR = 6;
  public static final int ARCH = 7;
  public static final int IP = 8;
  public static final int LABELS = 9;
  public static final int PID = 10;
  public static final int RET = 11;
  public static final int COMM = 12;
  public static final int NEW_LABELS = 13;
  /**
   * The socket fields ({@link SocketFields}), from the event's {@link Endpoint}: family, type,
   * protocol, port (0 when absent), then the IP address as three slots (its high and low 64 bits,
   * and 1 when it is present, 0 when the address has none), then the unix path (text).
   */
  public static final int FAMILY = 14;
  public static final int SOCKET_TYPE = 15;
  public static final int PROTOCOL = 16;
  public static final int PORT = 17;
  public static final int ADDR_HIGH = 18;
  public static final int ADDR_LOW = 19;
  public static final int ADDR_PRESENT = 20;
  public static final int PATH = 21;

  /** Syscall fields by name, and syscall arguments by their offset (16 + 8 × index, as tracefs lays them). */
  public static final SlotLayout LAYOUT = SeccompView::slotOf;

  private SyscallEvent event;
  private long labels;
  private long newLabels;

  /** Points the view at an event; returns this. */
  public SeccompView set(SyscallEvent e, long labelSet) {
    return set(e, labelSet, labelSet);
  }

  /** Points the view at an event that would change its object's label set to {@code newLabelSet}; returns this. */
  public SeccompView set(SyscallEvent e, long labelSet, long newLabelSet) {
    this.event = e;
    this.labels = labelSet;
    this.newLabels = newLabelSet;
    return this;
  }

  /** Whether {@code slot} holds a label set (the object's, or the one an xattr write would give it). */
  public static boolean labelSlot(int slot) {
    return slot == LABELS || slot == NEW_LABELS;
  }

  public SyscallEvent event() {
    return event;
  }

  @Override
  public long number(int slot) {
    switch (slot) {
      case NR:
        return event.nr();
      case ARCH:
        return event.auditArch();
      case IP:
        return event.instructionPointer();
      case LABELS:
        return labels;
      case NEW_LABELS:
        return newLabels;
      case PID:
        return event.pid();
      case RET:
        return event.ret().orElse(0);
      case FAMILY:
        return event.endpoint().map(Endpoint::family).orElse(0);
      case SOCKET_TYPE:
        return event.endpoint().map(Endpoint::type).orElse(0);
      case PROTOCOL:
        return event.endpoint().map(Endpoint::protocol).orElse(0);
      case PORT:
        return event.endpoint().map(Endpoint::port).orElse(0);
      case ADDR_HIGH:
        return event.endpoint().flatMap(Endpoint::address).map(IpAddress::high).orElse(0L);
      case ADDR_LOW:
        return event.endpoint().flatMap(Endpoint::address).map(IpAddress::low).orElse(0L);
      case ADDR_PRESENT:
        return event.endpoint().flatMap(Endpoint::address).isPresent() ? 1 : 0;
      default:
        return slot >= 0 && slot < 6 ? event.arg(slot) : 0;
    }
  }

  @Override
  public String text(int slot) {
    if (slot == COMM) {
      return event.comm().isEmpty() ? null : event.comm();
    }
    if (slot == PATH) {
      return event.endpoint().flatMap(Endpoint::path).orElse(null);
    }
    return slot >= 0 && slot < 6 ? event.strings().get(slot) : null;
  }

  private static OptionalInt slotOf(EventField f) {
    OptionalInt socket = SocketFields.indexOf(f);
    if (socket.isPresent()) {
      // ADDR's slot is its high word; the low word and the presence flag follow it.
      int i = socket.getAsInt();
      return OptionalInt.of(i <= 4 ? FAMILY + i : PATH);
    }
    switch (f.name()) {
      case "nr", "__syscall_nr", "id":
        return OptionalInt.of(NR);
      case "arch":
        return OptionalInt.of(ARCH);
      case "instruction_pointer":
        return OptionalInt.of(IP);
      case "label":
        return OptionalInt.of(LABELS);
      case "new_label":
        return OptionalInt.of(NEW_LABELS);
      case "common_pid":
        return OptionalInt.of(PID);
      case "ret":
        return OptionalInt.of(RET);
      case "comm", "COMM":
        return OptionalInt.of(COMM);
      default:
        break;
    }
    if (f.name().matches("arg[0-5]")) {
      return OptionalInt.of(f.name().charAt(3) - '0');
    }
    int index = (f.offset() - 16) / 8;
    if (f.offset() >= 16 && (f.offset() - 16) % 8 == 0 && index < 6 && !f.isCommon()) {
      return OptionalInt.of(index);
    }
    return OptionalInt.empty();
  }
}
