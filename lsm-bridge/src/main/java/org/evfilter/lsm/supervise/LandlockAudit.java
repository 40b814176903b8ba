package org.evfilter.lsm.supervise;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import org.evfilter.lsm.natives.AuditNetlink;

/**
 * Landlock's refusals in one sandbox, read from the kernel's audit records as they are written:
 * {@code AUDIT_LANDLOCK_ACCESS} (the domain, the missing rights, the object) and {@code
 * AUDIT_LANDLOCK_DOMAIN} (which process created the domain). Only the domain the launcher created
 * ({@code pid=} its pid) is reported; other sandboxes' records, and the command's own nested
 * domains, are not. The kernel writes these records only while auditing is on.
 */
public final class LandlockAudit implements AutoCloseable {
  private static final int SYSCALL = 1300;
  private static final int EOE = 1320;
  private static final int ACCESS = 1423;
  private static final int DOMAIN = 1424;
  private static final int MAX_PENDING = 4096;
  private static final int POLL_MILLIS = 20;
  // After the command ended: how long the queue may stay silent, and how long to wait at most, for
  // the records the kernel's audit thread has yet to send (it sends them asynchronously).
  private static final long QUIET_NANOS = 150_000_000L;
  private static final long DRAIN_NANOS = 2_000_000_000L;

  /**
   * One refusal.
   *
   * @param time when the kernel refused (the record's stamp)
   * @param domain the Landlock domain that refused (hexadecimal in the records)
   * @param blockers what was missing, as the kernel names it ({@code fs.read_file}, {@code fs.refer})
   * @param path the object, as the kernel wrote it when it refused (absent for objects without a path)
   * @param pid the task that was refused, when the record's event says it (a SYSCALL record)
   * @param syscall the syscall's number, idem
   * @param result the syscall's result (a negative errno), idem
   */
  public record Denial(java.time.Instant time, long domain, List<String> blockers, Optional<String> path, OptionalInt pid, OptionalInt syscall,
      OptionalLong result) {
    public Denial {
      blockers = List.copyOf(blockers);
    }
  }

  /** What opening the reader gave: a reader, or why Landlock's refusals cannot be read here. */
  public sealed interface Opening permits Reading, Unreadable {}

  /** Records are being read. */
  public record Reading(LandlockAudit audit) implements Opening {}

  /** They cannot be: why, in words a user can act on. */
  public record Unreadable(String why) implements Opening {}

  private final AuditNetlink socket;
  private final Consumer<Denial> to;
  private final Thread reader;
  private final Restore restore;
  private volatile boolean finishing;
  private boolean closed;
  private volatile Optional<String> failure = Optional.empty();

  // Guarded by this.
  private int launcherPid;
  private final Map<Long, Integer> creators = new HashMap<>();
  private final Set<Long> released = new HashSet<>();
  private final List<Denial> pending = new ArrayList<>();
  private final Set<Long> ours = new HashSet<>();
  private String serial = "";
  private final List<AuditNetlink.Message> event = new ArrayList<>();

  private LandlockAudit(AuditNetlink socket, Consumer<Denial> to, Restore restore) {
    this.socket = socket;
    this.to = to;
    this.restore = restore;
    this.reader = new Thread(this::read, "evfilter-landlock-audit");
    reader.setDaemon(true);
  }

  /**
   * Starts reading the records Landlock writes, for {@code to} (called on the reader's thread).
   * With {@code turnOn}, auditing is switched on if it is off, for the whole machine, until {@link
   * #close} (or this JVM's exit) switches it back off.
   */
  public static Opening open(Consumer<Denial> to, boolean turnOn) {
    Restore restore = null;
    try (AuditNetlink control = AuditNetlink.open()) {
      AuditNetlink.Status s = control.status();
      if (!s.on() && !turnOn) {
        return new Unreadable("auditing is off on this machine (AUDIT_GET: enabled=0), and Landlock writes its records only"
            + " while it is on");
      }
      if (!s.on()) {
        control.setEnabled(1);
        restore = new Restore();
      }
    } catch (IOException e) {
      return new Unreadable("the kernel's audit status cannot be read: " + e.getMessage());
    }
    try {
      AuditNetlink socket = AuditNetlink.reader();
      LandlockAudit a = new LandlockAudit(socket, to, restore);
      a.reader.start();
      return new Reading(a);
    } catch (IOException e) {
      if (restore != null) {
        restore.run();
      }
      return new Unreadable(e.getMessage());
    }
  }

  /** The launcher's pid: the domain it creates is the one reported. */
  public synchronized void watch(int pid) {
    launcherPid = pid;
    resolve();
  }

  /** Why records were lost or reading stopped, if they were. */
  public Optional<String> failure() {
    return failure;
  }

  private void read() {
    long quietSince = System.nanoTime();
    long finishBy = Long.MAX_VALUE;
    try {
      while (true) {
        Optional<AuditNetlink.Message> m;
        try {
          m = socket.receive(POLL_MILLIS);
        } catch (AuditNetlink.RecordsLost e) {
          failure = Optional.of(e.getMessage());
          continue;
        }
        long now = System.nanoTime();
        if (m.isPresent()) {
          quietSince = now;
          take(m.get());
        } else {
          flush();
        }
        if (finishing) {
          finishBy = Math.min(finishBy, now + DRAIN_NANOS);
          if (now - quietSince > QUIET_NANOS || now > finishBy || allReleased()) {
            break;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      failure = Optional.of(e.getMessage());
    }
    flush();
  }

  private synchronized boolean allReleased() {
    return !ours.isEmpty() && released.containsAll(ours);
  }

  // A reader of records handed to it (tests): no socket, no thread.
  static LandlockAudit records(Consumer<Denial> to) {
    return new LandlockAudit(null, to, null);
  }

  // Whatever event is still open is complete (tests; the reader does it when the queue is quiet).
  void flushed() {
    flush();
  }

  synchronized void take(AuditNetlink.Message m) {
    if (m.type() != SYSCALL && m.type() != EOE && m.type() != ACCESS && m.type() != DOMAIN) {
      return;
    }
    String s = serial(m.text());
    if (!s.equals(serial)) {
      flush();
      serial = s;
    }
    if (m.type() == EOE) {
      flush();
    } else {
      event.add(m);
    }
  }

  // One event's records (one serial) are complete: the SYSCALL record, when there is one, comes
  // after the Landlock records; a domain's description follows its first refusal.
  private synchronized void flush() {
    OptionalInt pid = OptionalInt.empty();
    OptionalInt nr = OptionalInt.empty();
    OptionalLong exit = OptionalLong.empty();
    for (AuditNetlink.Message m : event) {
      if (m.type() == SYSCALL) {
        Map<String, String> f = fields(m.text());
        pid = integer(f.get("pid"));
        nr = integer(f.get("syscall"));
        exit = f.containsKey("exit") ? OptionalLong.of(Long.parseLong(f.get("exit"))) : OptionalLong.empty();
      }
    }
    for (AuditNetlink.Message m : event) {
      Map<String, String> f = fields(m.text());
      if (!f.containsKey("domain")) {
        continue;
      }
      long domain = Long.parseUnsignedLong(f.get("domain"), 16);
      if (m.type() == DOMAIN && "allocated".equals(f.get("status"))) {
        creators.put(domain, integer(f.get("pid")).orElse(0));
      } else if (m.type() == DOMAIN && "deallocated".equals(f.get("status"))) {
        released.add(domain);
      } else if (m.type() == ACCESS) {
        if (pending.size() == MAX_PENDING) {
          pending.remove(0); // a domain whose description this reader never saw (created before it started)
        }
        pending.add(new Denial(time(m.text()), domain, List.of(f.getOrDefault("blockers", "").split(",")), Optional.ofNullable(f.get("path")),
            pid, nr, exit));
      }
    }
    event.clear();
    resolve();
  }

  private void resolve() {
    if (launcherPid == 0) {
      return;
    }
    for (var it = pending.iterator(); it.hasNext(); ) {
      Denial d = it.next();
      Integer creator = creators.get(d.domain());
      if (creator != null) {
        it.remove();
        if (creator == launcherPid) {
          ours.add(d.domain());
          to.accept(d);
        }
      }
    }
  }

  private static OptionalInt integer(String s) {
    try {
      return s == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(s));
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  // "audit(1729738800.268:30): ..." -> "30".
  static String serial(String text) {
    int colon = text.indexOf(':');
    int close = text.indexOf(')');
    return colon > 0 && close > colon ? text.substring(colon + 1, close) : "";
  }

  // "audit(1729738800.268:30): ..." -> 1729738800.268 s.
  static java.time.Instant time(String text) {
    int open = text.indexOf('(');
    int colon = text.indexOf(':');
    try {
      java.math.BigDecimal t = new java.math.BigDecimal(text.substring(open + 1, colon));
      return java.time.Instant.ofEpochMilli(t.movePointRight(3).longValue());
    } catch (RuntimeException e) {
      return java.time.Instant.now();
    }
  }

  /**
   * The record's fields after its {@code audit(...):} stamp. Values are quoted strings, bare
   * words, or, for strings the kernel did not trust to print (spaces, quotes, control or non-ASCII
   * bytes), their bytes in hexadecimal without quotes: those are decoded for the fields that hold
   * such strings.
   */
  static Map<String, String> fields(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = text.indexOf("): ");
    i = i < 0 ? 0 : i + 3;
    int n = text.length();
    while (i < n) {
      while (i < n && text.charAt(i) == ' ') {
        i++;
      }
      int eq = text.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      String key = text.substring(i, eq);
      int end;
      String value;
      if (eq + 1 < n && text.charAt(eq + 1) == '"') {
        end = text.indexOf('"', eq + 2);
        end = end < 0 ? n : end;
        value = text.substring(eq + 2, end);
        end++;
      } else {
        end = text.indexOf(' ', eq + 1);
        end = end < 0 ? n : end;
        value = text.substring(eq + 1, end);
        if (UNTRUSTED.contains(key)) {
          value = unhex(value);
        }
      }
      out.putIfAbsent(key, value);
      i = end;
    }
    return out;
  }

  private static final Set<String> UNTRUSTED = Set.of("path", "exe", "comm", "name", "ocomm");

  private static String unhex(String s) {
    if (s.isEmpty() || s.length() % 2 != 0 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      return s;
    }
    byte[] b = new byte[s.length() / 2];
    for (int k = 0; k < b.length; k++) {
      b[k] = (byte) Integer.parseInt(s.substring(2 * k, 2 * k + 2), 16);
    }
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Waits for the records still on their way (the command has ended), reports them, stops
   * reading and, when {@link #open} switched auditing on, switches it back off.
   */
  @Override
  public void close() {
    finish();
  }

  /** As {@link #close}: called when the command has ended, so its last refusals come first. */
  public void finish() {
    if (closed) {
      return;
    }
    closed = true;
    finishing = true;
    try {
      reader.join(DRAIN_NANOS / 1_000_000 + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (!reader.isAlive()) {
        socket.close();
      }
      if (restore != null) {
        restore.run();
      }
    }
  }

  /** Switches auditing back off, once: at close, or when the JVM exits first (a signal). */
  private static final class Restore implements Runnable {
    private final Thread hook = new Thread(this::off, "evfilter-audit-restore");
    private boolean done;

    Restore() {
      Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public void run() {
      off();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook is what runs.
      }
    }

    private synchronized void off() {
      if (done) {
        return;
      }
      done = true;
      try (AuditNetlink control = AuditNetlink.open()) {
        control.setEnabled(0);
      } catch (IOException e) {
        System.err.println("evfilter: auditing could not be switched back off: " + e.getMessage() + " (auditctl -e 0 does it)");
      }
    }
  }
}
