package org.evfilter.lsm.supervise;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The supervisor's decisions as JSON Lines: time, pid, syscall, paths, labels, the rule that
 * decided, the decision, whether the AVC answered, and the syscall's result (a descriptor, 0, or
 * a negative errno); and Landlock's refusals, which the kernel decided ({@code "decidedBy":
 * "landlock"}, where the supervisor's say {@code "supervisor"}).
 */
public final class AuditLog implements AutoCloseable {
  private final JsonGenerator out;

  private AuditLog(JsonGenerator out) {
    this.out = out;
  }

  /** A log writing to {@code stream} (flushed after every record). */
  public static AuditLog to(OutputStream stream) {
    try {
      JsonGenerator g = new JsonFactory().createGenerator(stream, JsonEncoding.UTF8);
      g.setRootValueSeparator(new com.fasterxml.jackson.core.io.SerializedString("\n"));
      return new AuditLog(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A log that records nothing. */
  public static AuditLog none() {
    return new AuditLog(null);
  }

  public boolean enabled() {
    return out != null;
  }

  void record(int pid, String syscall, List<String> paths, List<String> labels, String rule, String decision, boolean cached, long result) {
    write(() -> {
      out.writeStringField("time", Instant.now().toString());
      out.writeNumberField("pid", pid);
      out.writeStringField("syscall", syscall);
      strings("paths", paths);
      strings("labels", labels);
      out.writeStringField("rule", rule);
      out.writeStringField("decision", decision);
      out.writeBooleanField("cached", cached);
      out.writeNumberField("result", result);
      out.writeStringField("decidedBy", "supervisor");
    });
  }

  /**
   * A refusal by Landlock, as the kernel's audit records tell it: the time the kernel wrote, the
   * task and syscall when the records say them, the rights that were missing ({@code access}),
   * the object's path and labels, and the policy rule the ruleset enforced.
   */
  void landlock(Instant time, java.util.OptionalInt pid, Optional<String> syscall, List<String> access, List<String> paths,
      List<String> labels, String rule, String decision, java.util.OptionalLong result) {
    write(() -> {
      out.writeStringField("time", time.toString());
      if (pid.isPresent()) {
        out.writeNumberField("pid", pid.getAsInt());
      }
      if (syscall.isPresent()) {
        out.writeStringField("syscall", syscall.get());
      }
      strings("access", access);
      strings("paths", paths);
      strings("labels", labels);
      out.writeStringField("rule", rule);
      out.writeStringField("decision", decision);
      if (result.isPresent()) {
        out.writeNumberField("result", result.getAsLong());
      }
      out.writeStringField("decidedBy", "landlock");
    });
  }

  private interface Fields {
    void write() throws IOException;
  }

  // One record, whole: the supervisor and the Landlock reader write from their own threads.
  private synchronized void write(Fields fields) {
    if (out == null) {
      return;
    }
    try {
      out.writeStartObject();
      fields.write();
      out.writeEndObject();
      out.flush();
    } catch (IOException e) {
      // A full disk must not stop supervision: say it once, keep deciding.
      if (!failed) {
        failed = true;
        System.err.println("evfilter: the audit log cannot be written any more: " + e.getMessage());
      }
    }
  }

  private void strings(String name, List<String> values) throws IOException {
    out.writeArrayFieldStart(name);
    for (String v : values) {
      out.writeString(v);
    }
    out.writeEndArray();
  }

  private boolean failed;

  @Override
  public synchronized void close() throws IOException {
    if (out != null) {
      out.close();
    }
  }
}
