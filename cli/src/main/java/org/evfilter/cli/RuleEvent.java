package org.evfilter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalLong;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FieldKind;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Constants;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.events.trace.EndpointMembers;
import org.evfilter.grammar.Spelling;
import org.evfilter.predicates.BoundFilter;
import org.evfilter.predicates.PolicySchemas;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.SeccompView;

/**
 * One event for {@code evfilter eval --event seccomp/SYSCALL}: what a policy rule on that syscall
 * reads, given field by field ({@code addr=10.0.0.1 port=443 arg0=3}) and decided as {@code run}
 * and {@code replay} decide it (a {@link SeccompView} of a {@link SyscallEvent}). The socket
 * fields make the call's {@code Endpoint}; its family follows from {@code addr} or {@code path}
 * when not given, as in a JSON Lines trace.
 */
final class RuleEvent implements EvalCommand.GivenEvent {
  private final EventSchema schema;
  private final SyscallEvent.Builder event;
  private final Map<Integer, String> strings = new HashMap<>();
  private final EndpointMembers endpoint = new EndpointMembers();
  private long labels;
  private long newLabels;

  RuleEvent(EventSchema schema) {
    this.schema = schema;
    this.event = SyscallEvent.builder().arch(Arch.X86_64)
        .nr(SyscallTable.of(Arch.X86_64).byName(schema.name()).map(s -> s.nr()).orElse(0));
  }

  /** The schema of rules on the syscall {@code event} names ({@code seccomp/connect}), or why there is none. */
  static EventSchema schema(String event) {
    return PolicySchemas.named(event, Arch.X86_64).orElseThrow(() -> {
      String syscall = event.substring(event.indexOf('/') + 1);
      return new IllegalArgumentException("'" + syscall + "' is not an x86_64 syscall (" + PolicySchemas.SYSTEM
          + "/SYSCALL reads what a policy rule on SYSCALL reads; " + PolicySchemas.SYSTEM + "/any, a rule on every syscall)"
          + Spelling.hint(syscall, SyscallTable.of(Arch.X86_64).all().stream().map(s -> s.name()).toList()));
    });
  }

  /** A field's value as text: a number or constant name, an IP address for {@code addr}, a string. */
  @Override
  public void set(String name, String value) {
    EventField f = schema.field(name).orElseThrow(() -> new IllegalArgumentException(
        "'" + name + "' is not a field of " + schema.path() + Spelling.hint(name, schema.fieldNames())));
    if (SocketFields.indexOf(f).isPresent()) {
      try {
        endpoint.set(name, value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + name + "=" + value + "': " + e.getMessage());
      }
      return;
    }
    switch (name) {
      case "nr" -> event.nr((int) number(name, value));
      case "arch" -> event.auditArch(Arch.of(value).map(Arch::auditArch).orElseGet(() -> number(name, value)));
      case "instruction_pointer" -> event.instructionPointer(number(name, value));
      case "label" -> labels = number(name, value);
      case "new_label" -> newLabels = number(name, value);
      default -> {
        int index = (f.offset() - 16) / 8;
        if (f.kind() == FieldKind.PTR_STRING) {
          strings.put(index, value);
        } else {
          event.arg(index, number(name, value));
        }
      }
    }
  }

  /** A value from a JSON event: as on the command line; {@code "endpoint": {...}} as in a JSON Lines trace. */
  @Override
  public void set(String name, JsonNode value) {
    if (name.equals("endpoint")) {
      if (!value.isObject()) {
        throw new IllegalArgumentException("'endpoint' is an object: {\"addr\": \"10.0.0.1\", \"port\": 443, ...}");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> m = it.next();
        if (!EndpointMembers.NAMES.contains(m.getKey())) {
          throw new IllegalArgumentException("unknown endpoint member '" + m.getKey() + "' (" + String.join(", ", EndpointMembers.NAMES) + ")");
        }
        set(m.getKey(), m.getValue().asText());
      }
      return;
    }
    if (!value.isValueNode()) {
      throw new IllegalArgumentException("'" + name + "' takes a number or a string, not " + value);
    }
    set(name, value.asText());
  }

  /** Whether the bound filter matches this event. */
  @Override
  public boolean matches(BoundFilter bound) {
    endpoint.endpoint().ifPresent(event::endpoint);
    SyscallEvent e = event.strings(strings).build();
    // The kernel's '0' clears the filter: every event passes.
    return bound.expression().map(x -> CompiledFilter.compile(x, SeccompView.LAYOUT)
        .matches(new SeccompView().set(e, labels, newLabels), new CompiledFilter.Counter())).orElse(true);
  }

  // A number (decimal, 0x hex, 0 octal, negative) or a constant's name (AF_INET, SOCK_DGRAM, O_CREAT).
  private static long number(String name, String value) {
    String v = value.strip();
    if (!v.isEmpty() && Character.isLetter(v.charAt(0))) {
      OptionalLong c = Constants.linux().value(v);
      if (c.isEmpty()) {
        throw new IllegalArgumentException("'" + name + "=" + value + "': no constant '" + v + "'"
            + Spelling.hint(v, Constants.linux().names()));
      }
      return c.getAsLong();
    }
    return EvalCommand.number(name, value);
  }
}
