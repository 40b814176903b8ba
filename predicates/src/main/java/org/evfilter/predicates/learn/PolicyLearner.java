package org.evfilter.predicates.learn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * A least-privilege policy from what a program did: every syscall it made (and nothing else), its
 * flag arguments limited to the bits it used, its selector arguments (socket family, fcntl command,
 * prctl option...) to the values it used when there were few, the objects its path syscalls
 * reached to the labels they had, and the calls that name a socket address to the endpoints they
 * named ({@link LearnedEndpoints}). The result is a readable {@code .evf} text with the counts and
 * values seen as comments: a starting point to review, not a proof.
 */
public final class PolicyLearner {
  /** Arguments whose bits are flags: limited to the union of the bits seen. */
  private static final Set<String> FLAG_ARGS = Set.of("flags", "prot", "mode_flags");
  /** Arguments that select a behaviour: limited to the values seen, when there are at most {@link #MAX_VALUES}. */
  // Not futex's op: which one a program uses depends on contention, not on what it does.
  private static final Set<String> SELECTOR_ARGS = Set.of("family", "domain", "type", "protocol", "cmd", "option", "how",
      "which", "level", "optname", "request", "advice", "resource", "sig", "whence", "clockid", "clock_id", "code");
  private static final int MAX_VALUES = 8;

  private final Arch arch;
  private final SyscallTable table;
  private final List<String> labelNames;
  private final Map<Integer, Usage> used = new TreeMap<>();
  private long events;
  private long foreign;

  // What one syscall was seen doing.
  private static final class Usage {
    long count;
    final Map<Integer, Long> flagBits = new TreeMap<>();
    final Map<Integer, Set<Long>> values = new TreeMap<>();
    long labels;
    boolean unlabelled;
    boolean touchedObjects;
    final LearnedEndpoints endpoints = new LearnedEndpoints();
  }

  /**
   * @param labelNames the names of the label bits the label sets given to {@link #add} use (bit i
   *     is {@code labelNames.get(i)}); empty when objects are not labelled
   */
  public PolicyLearner(Arch arch, List<String> labelNames) {
    this.arch = arch;
    this.table = SyscallTable.of(arch);
    this.labelNames = List.copyOf(labelNames);
  }

  /** One event, with the label set of the object it names ({@code -1}: it names none). */
  public void add(SyscallEvent e, long labelSet) {
    events++;
    if (e.auditArch() != arch.auditArch() || table.byNumber(e.nr()).isEmpty()) {
      foreign++;
      return;
    }
    Syscall s = table.byNumber(e.nr()).get();
    Usage u = used.computeIfAbsent(e.nr(), k -> new Usage());
    u.count++;
    for (SyscallArg a : s.arguments()) {
      if (a.kind() != SyscallArg.Kind.NUMBER) {
        continue;
      }
      long v = a.width() == 4 ? e.arg(a.index()) & 0xffffffffL : e.arg(a.index());
      if (a.name().equals("type") && (s.name().equals("socket") || s.name().equals("socketpair"))) {
        // A rule on a socket's type compares it without SOCK_NONBLOCK|SOCK_CLOEXEC.
        v &= ~SocketFields.SOCK_FLAGS;
      }
      if (FLAG_ARGS.contains(a.name())) {
        u.flagBits.merge(a.index(), v, (x, y) -> x | y);
      } else if (SELECTOR_ARGS.contains(a.name())) {
        u.values.computeIfAbsent(a.index(), k -> new TreeSet<>()).add(v);
      }
    }
    if (SocketFields.named(s.name())) {
      u.endpoints.add(e.endpoint());
    }
    // Not exec's object: a supervisor cannot perform an exec for the task, so a label rule on exec denies it.
    if (labelSet >= 0 && !labelNames.isEmpty() && !s.name().startsWith("execve")) {
      u.touchedObjects = true;
      u.labels |= labelSet;
      u.unlabelled |= labelSet == 0;
    }
  }

  /** How many events were seen, and how many of them were of another ABI (not learned). */
  public long events() {
    return events;
  }

  public long foreign() {
    return foreign;
  }

  /**
   * The policy text.
   *
   * @param header comment lines saying where the events came from
   * @param labelsStatement the {@code labels "FILE"} line that declares the labels, or empty
   * @param defaultAction what everything else gets, e.g. {@code errno(EPERM)} or {@code kill_process}
   */
  public String policy(List<String> header, String labelsStatement, String defaultAction) {
    StringBuilder b = new StringBuilder();
    header.forEach(h -> b.append("# ").append(h).append('\n'));
    b.append("# Learned by evfilter learn: ").append(events).append(" events, ").append(used.size()).append(" syscalls");
    if (foreign > 0) {
      b.append(", ").append(foreign).append(" events of another ABI or unknown numbers left out (denied)");
    }
    b.append(".\n# Least privilege for what the program did; review it before relying on it.\n");
    if (!labelsStatement.isEmpty()) {
      b.append(labelsStatement).append('\n');
    }
    b.append("default ").append(defaultAction).append("\n\n");
    for (Map.Entry<Integer, Usage> entry : used.entrySet()) {
      Syscall s = table.byNumber(entry.getKey()).orElseThrow();
      Usage u = entry.getValue();
      List<String> seen = new ArrayList<>();
      List<String> conditions = new ArrayList<>();
      u.flagBits.forEach((i, bits) -> {
        SyscallArg a = s.arguments().get(i);
        long mask = a.width() == 4 ? ~bits & 0xffffffffL : ~bits;
        seen.add(a.name() + " bits 0x" + Long.toHexString(bits));
        if (mask != 0) {
          conditions.add("!(" + a.name() + " & 0x" + Long.toHexString(mask) + ")");
        }
      });
      u.values.forEach((i, vals) -> {
        SyscallArg a = s.arguments().get(i);
        List<String> hex = vals.stream().map(v -> v < 10 ? Long.toString(v) : "0x" + Long.toHexString(v)).toList();
        seen.add(a.name() + " " + (vals.size() > MAX_VALUES ? vals.size() + " values" : String.join(", ", hex)));
        if (vals.size() <= MAX_VALUES) {
          conditions.add(vals.size() == 1 ? a.name() + " == " + hex.get(0) : a.name() + " in {" + String.join(", ", hex) + "}");
        }
      });
      if (u.touchedObjects) {
        List<String> alternatives = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < labelNames.size(); bit++) {
          if ((u.labels & (1L << bit)) != 0) {
            alternatives.add("label & " + labelNames.get(bit));
            names.add(labelNames.get(bit));
          }
        }
        if (u.unlabelled) {
          alternatives.add("label == 0");
          names.add("unlabelled");
        }
        seen.add("objects labelled " + String.join(", ", names));
        conditions.add(alternatives.size() == 1 ? alternatives.get(0) : "(" + String.join(" || ", alternatives) + ")");
      }
      u.endpoints.seen().ifPresent(seen::add);
      u.endpoints.condition().ifPresent(conditions::add);
      b.append("# ").append(s.name()).append(": ").append(u.count).append(u.count == 1 ? " call" : " calls");
      if (!seen.isEmpty()) {
        b.append("; ").append(String.join("; ", seen));
      }
      b.append('\n');
      b.append("allow ").append(s.name());
      if (!conditions.isEmpty()) {
        b.append(": ").append(String.join(" && ", conditions));
      }
      b.append('\n');
    }
    return b.toString();
  }
}
