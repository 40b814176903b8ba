package org.evfilter.events.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;

/**
 * Writes JSON Lines traces: {@code arch}, {@code nr}, {@code name}, {@code args} (unsigned values
 * above 2^63 as "0x..." strings), and what else the event knows.
 */
final class JsonLinesTraceWriter implements TraceWriter {
  private final JsonGenerator json;

  JsonLinesTraceWriter(OutputStream out) throws IOException {
    // Trace text is bytes read as ISO-8859-1: write it back as the same bytes.
    this.json = new JsonFactory().createGenerator(
        new java.io.BufferedWriter(new java.io.OutputStreamWriter(out, java.nio.charset.StandardCharsets.ISO_8859_1), 1 << 16));
    this.json.setRootValueSeparator(null);
  }

  @Override
  public void write(SyscallEvent e) throws IOException {
    json.writeStartObject();
    if (e.arch().isPresent()) {
      json.writeStringField("arch", e.arch().map(Arch::id).get());
    } else {
      json.writeNumberField("arch", e.auditArch());
    }
    json.writeNumberField("nr", e.nr());
    if (e.syscall().isPresent()) {
      json.writeStringField("name", e.syscall().get().name());
    }
    json.writeArrayFieldStart("args");
    for (int i = 0; i < 6; i++) {
      long a = e.arg(i);
      if (a >= 0) {
        json.writeNumber(a);
      } else {
        json.writeString("0x" + Long.toHexString(a));
      }
    }
    json.writeEndArray();
    if (e.instructionPointer() != 0) {
      json.writeStringField("ip", "0x" + Long.toHexString(e.instructionPointer()));
    }
    if (e.pid() != 0) {
      json.writeNumberField("pid", e.pid());
    }
    if (e.tid() != 0) {
      json.writeNumberField("tid", e.tid());
    }
    if (!e.comm().isEmpty()) {
      json.writeStringField("comm", e.comm());
    }
    if (e.timestampNanos() >= 0) {
      json.writeNumberField("ts", e.timestampNanos());
    }
    if (e.ret().isPresent()) {
      json.writeNumberField("ret", e.ret().getAsLong());
    }
    if (!e.strings().isEmpty()) {
      json.writeObjectFieldStart("strings");
      for (Map.Entry<Integer, String> s : new TreeMap<>(e.strings()).entrySet()) {
        json.writeStringField(Integer.toString(s.getKey()), s.getValue());
      }
      json.writeEndObject();
    }
    if (e.endpoint().isPresent()) {
      Endpoint a = e.endpoint().get();
      json.writeObjectFieldStart("endpoint");
      json.writeNumberField("family", a.family());
      if (a.type() != 0) {
        json.writeNumberField("type", a.type());
      }
      if (a.protocol() != 0) {
        json.writeNumberField("protocol", a.protocol());
      }
      if (a.address().isPresent()) {
        json.writeStringField("addr", a.address().get().toString());
        json.writeNumberField("port", a.port());
      }
      if (a.path().isPresent()) {
        json.writeStringField("path", a.path().get());
      }
      json.writeEndObject();
    }
    json.writeEndObject();
    json.writeRaw('\n');
  }

  @Override
  public void flush() throws IOException {
    json.flush();
  }

  @Override
  public void close() throws IOException {
    json.close();
  }
}
