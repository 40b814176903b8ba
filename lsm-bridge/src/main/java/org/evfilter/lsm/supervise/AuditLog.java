package org.evfilter.lsm.supervise;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * The supervisor's decisions as JSON Lines: time, pid, syscall, paths, labels, the rule that
 * decided, the decision, whether the AVC answered, and the syscall's result (a descriptor, 0, or
 * a negative errno).
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
    if (out == null) {
      return;
    }
    try {
      out.writeStartObject();
      out.writeStringField("time", Instant.now().toString());
      out.writeNumberField("pid", pid);
      out.writeStringField("syscall", syscall);
      out.writeArrayFieldStart("paths");
      for (String p : paths) {
        out.writeString(p);
      }
      out.writeEndArray();
      out.writeArrayFieldStart("labels");
      for (String l : labels) {
        out.writeString(l);
      }
      out.writeEndArray();
      out.writeStringField("rule", rule);
      out.writeStringField("decision", decision);
      out.writeBooleanField("cached", cached);
      out.writeNumberField("result", result);
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

  private boolean failed;

  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
    }
  }
}
