package org.evfilter.events.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * JSON Lines traces: one object per line with {@code arch} (name or AUDIT_ARCH number), {@code nr}
 * or {@code name}, {@code args} (array) or {@code a0}..{@code a5} or named arguments as the
 * syscall's schema calls them ({@code "flags": 577}, {@code "filename": "/etc/passwd"}), and
 * optionally {@code pid}, {@code tid}, {@code comm}, {@code ts} (ns), {@code ret}, {@code ip},
 * {@code strings} (argument index to text), {@code endpoint} (the socket and address of connect,
 * bind, sendto, sendmsg: {@code {"addr": "127.0.0.1", "port": 53, "type": "SOCK_DGRAM"}}, see
 * {@link #endpoint}). Numbers may be JSON numbers or "0x..." strings.
 */
final class JsonLinesTraceReader extends LineTraceReader {
  private static final JsonFactory JSON = new JsonFactory();

  JsonLinesTraceReader(InputStream in) {
    super(in);
  }

  @Override
  Optional<SyscallEvent> parse(String line, long lineNo) throws BadLine {
    SyscallEvent.Builder b = SyscallEvent.builder();
    Map<String, Object> named = new HashMap<>();
    Map<Integer, String> strings = new HashMap<>();
    Arch arch = Arch.X86_64;
    Integer nr = null;
    String name = null;
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new BadLine("not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "arch" -> {
            if (t == JsonToken.VALUE_STRING) {
              String a = p.getText();
              Optional<Arch> known = Arch.of(a);
              if (known.isPresent()) {
                arch = known.get();
                b.arch(arch);
              } else {
                b.auditArch(number(a));
                arch = Arch.ofAudit(number(a), 0).orElse(arch);
              }
            } else {
              b.auditArch(p.getLongValue());
              arch = Arch.ofAudit(p.getLongValue(), 0).orElse(arch);
            }
          }
          case "nr" -> nr = int32(value(p, t));
          case "name" -> name = p.getText();
          case "args" -> {
            if (t != JsonToken.START_ARRAY) {
              throw new BadLine("'args' must be an array");
            }
            int i = 0;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
              if (i >= 6) {
                throw new BadLine("more than 6 args");
              }
              b.arg(i++, value(p, t));
            }
          }
          case "a0", "a1", "a2", "a3", "a4", "a5" -> b.arg(field.charAt(1) - '0', value(p, t));
          case "pid" -> b.pid(int32(value(p, t)));
          case "tid" -> b.tid(int32(value(p, t)));
          case "comm" -> b.comm(bytes(p.getText()));
          case "ts" -> b.timestampNanos(value(p, t));
          case "ret" -> b.ret(value(p, t));
          case "ip" -> b.instructionPointer(value(p, t));
          case "endpoint" -> b.endpoint(endpoint(p, t));
          case "strings" -> {
            if (t != JsonToken.START_OBJECT) {
              throw new BadLine("'strings' must be an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String key = p.currentName();
              p.nextToken();
              try {
                strings.put(Integer.parseInt(key), bytes(p.getText()));
              } catch (NumberFormatException e) {
                throw new BadLine("'strings' keys are argument indexes, not '" + key + "'");
              }
            }
          }
          default -> {
            if (t.isScalarValue()) {
              named.put(field, t == JsonToken.VALUE_STRING ? p.getText() : (Object) p.getLongValue());
            } else {
              p.skipChildren();
            }
          }
        }
      }
      if (p.nextToken() != null) {
        throw new BadLine("more after the event's object");
      }
    } catch (IOException e) {
      throw new BadLine("malformed JSON: "
          + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    SyscallTable table = SyscallTable.of(arch);
    Optional<Syscall> syscall;
    if (nr == null && name == null && named.containsKey("text")) {
      // A non-syscall event from 'evfilter trace --json': not a syscall event, nothing to convert.
      return Optional.empty();
    }
    if (nr != null) {
      b.nr(nr);
      syscall = table.byNumber(nr);
    } else if (name != null) {
      String n = name;
      syscall = table.byName(name);
      b.nr(syscall.orElseThrow(() -> new BadLine("no " + table.arch().id() + " syscall '" + n + "'")).nr());
    } else {
      throw new BadLine("no 'nr' or 'name'");
    }
    for (Map.Entry<String, Object> e : named.entrySet()) {
      Optional<SyscallArg> arg = syscall.flatMap(s -> s.argument(e.getKey()));
      if (arg.isEmpty()) {
        throw new BadLine("unknown field '" + e.getKey() + "'");
      }
      if (e.getValue() instanceof String s && arg.get().kind() == SyscallArg.Kind.STRING) {
        strings.put(arg.get().index(), bytes(s));
      } else {
        b.arg(arg.get().index(), e.getValue() instanceof Long l ? l : number((String) e.getValue()));
      }
    }
    return Optional.of(b.strings(strings).build());
  }

  /**
   * {@code {"family": 2 | "AF_INET", "type": 1 | "SOCK_STREAM", "protocol": 6 | "IPPROTO_TCP",
   * "addr": "10.0.0.1" | "::1", "port": 53, "path": "/run/x.sock"}}, every member optional; the
   * family follows from {@code addr} (written with a colon: AF_INET6) or {@code path} (AF_UNIX).
   */
  private static Endpoint endpoint(JsonParser p, JsonToken t) throws IOException, BadLine {
    if (t != JsonToken.START_OBJECT) {
      throw new BadLine("'endpoint' must be an object");
    }
    EndpointMembers members = new EndpointMembers();
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      t = p.nextToken();
      if (!t.isScalarValue()) {
        throw new BadLine("endpoint member '" + key + "' must be a number or a string");
      }
      try {
        members.set(key, key.equals("path") ? bytes(p.getText()) : p.getText());
      } catch (IllegalArgumentException e) {
        throw new BadLine(e.getMessage());
      }
    }
    return members.endpoint().orElse(new Endpoint(Endpoint.AF_UNSPEC, 0, 0, Optional.empty(), 0, Optional.empty()));
  }

  // Text here is bytes, one char each: characters a JSON escape put above U+00FF become their UTF-8.
  private static String bytes(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xff) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int j = 0; j < s.length(); ) {
          int cp = s.codePointAt(j);
          j += Character.charCount(cp);
          if (cp <= 0xff) {
            out.append((char) cp);
          } else {
            for (byte b : new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
              out.append((char) (b & 0xff));
            }
          }
        }
        return out.toString();
      }
    }
    return s;
  }

  private static int int32(long v) throws BadLine {
    if (v < Integer.MIN_VALUE || v > 0xffffffffL) {
      throw new BadLine(v + " does not fit 32 bits");
    }
    return (int) v;
  }

  private static long value(JsonParser p, JsonToken t) throws IOException, BadLine {
    if (t == JsonToken.VALUE_NUMBER_INT) {
      if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        java.math.BigInteger big = p.getBigIntegerValue();
        if (big.signum() < 0 || big.bitLength() > 64) {
          throw new BadLine(big + " does not fit 64 bits");
        }
        return big.longValue();
      }
      return p.getLongValue();
    }
    if (t == JsonToken.VALUE_STRING) {
      return number(p.getText());
    }
    throw new BadLine("expected a number, found " + t);
  }
}
