package org.evfilter.events.trace;

import java.util.List;
import java.util.Optional;
import org.evfilter.events.net.Endpoint;
import org.evfilter.events.net.IpAddress;
import org.evfilter.events.trace.LineTraceReader.BadLine;

/**
 * A {@code struct sockaddr} as strace prints it, read back into an {@link Endpoint}. strace has
 * three spellings ({@code -X abbrev}, the default; {@code -X raw}; {@code -X verbose}, raw with
 * the decoded form in comments), and this reads them all:
 *
 * <pre>
 * {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("1.2.3.4")}
 * {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &amp;sin6_addr), sin6_scope_id=0}
 * {sa_family=0x2, sin_port="\x01\xbb", sin_addr="\x01\x02\x03\x04"}
 * {sa_family=AF_UNIX, sun_path="/run/x.sock"}   {sa_family=AF_UNIX, sun_path=@"abstract"}
 * </pre>
 *
 * sendmsg's {@code struct msghdr} carries one as {@code msg_name={...}}. The flow label and scope
 * id are not part of an endpoint (no rule reads them).
 */
final class StraceSockaddr {
  private StraceSockaddr() {}

  /**
   * The endpoint an argument printed as a struct names, if it is a sockaddr (or a msghdr holding
   * one); the socket's type and protocol are the caller's to fill.
   *
   * @param struct the argument's text, from its opening brace, comments already removed
   */
  static Optional<Endpoint> read(String struct) throws BadLine {
    String s = struct.strip();
    String name = member(s, "msg_name");
    if (name != null) {
      s = name;
    }
    if (!s.startsWith("{") || !s.endsWith("}")) {
      return Optional.empty();
    }
    List<String> members = StraceTraceReader.split(s.substring(1, s.length() - 1));
    String familyText = value(members, "sa_family");
    if (familyText == null) {
      return Optional.empty();
    }
    int family = LineTraceReader.constant(familyText);
    Optional<IpAddress> address = Optional.empty();
    Optional<String> path = Optional.empty();
    int port = 0;
    if (family == Endpoint.AF_INET || family == Endpoint.AF_INET6) {
      boolean v6 = family == Endpoint.AF_INET6;
      String portText = value(members, v6 ? "sin6_port" : "sin_port");
      port = portText == null ? 0 : (int) bigEndian(portText, "htons(", 2);
      address = address(members, v6);
    } else if (family == Endpoint.AF_UNIX) {
      String p = value(members, "sun_path");
      if (p != null) {
        // An abstract name: strace writes its leading NUL as '@', as the Endpoint does.
        path = Optional.of(p.startsWith("@") ? "@" + StraceTraceReader.unquote(p.substring(1)) : StraceTraceReader.unquote(p));
      }
    }
    return Optional.of(new Endpoint(family, 0, 0, address, port, path));
  }

  // sin_addr=inet_addr("1.2.3.4") | sin_addr="\x01..." ; inet_pton(AF_INET6, "::1", &sin6_addr) | sin6_addr="\x.."
  private static Optional<IpAddress> address(List<String> members, boolean v6) throws BadLine {
    String raw = value(members, v6 ? "sin6_addr" : "sin_addr");
    if (raw != null && raw.startsWith("\"")) {
      String bytes = StraceTraceReader.unquote(raw);
      if (bytes.length() != (v6 ? 16 : 4)) {
        throw new BadLine("an IPv" + (v6 ? "6" : "4") + " address of " + bytes.length() + " bytes: " + raw);
      }
      byte[] b = new byte[bytes.length()];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) bytes.charAt(i);
      }
      return Optional.of(IpAddress.of(b));
    }
    String call = raw != null ? raw : members.stream().map(String::strip).filter(m -> m.startsWith("inet_pton(")).findFirst().orElse(null);
    if (call == null) {
      return Optional.empty();
    }
    int quote = call.indexOf('"');
    if (quote < 0) {
      throw new BadLine("an address without its text: " + call);
    }
    String text = StraceTraceReader.unquote(call.substring(quote));
    return Optional.of(IpAddress.parse(text).orElseThrow(() -> new BadLine("'" + text + "' is not an IP address")));
  }

  // htons(443) or "\x01\xbb": a big-endian number of 'size' bytes.
  private static long bigEndian(String text, String call, int size) throws BadLine {
    if (text.startsWith(call) && text.endsWith(")")) {
      return LineTraceReader.number(text.substring(call.length(), text.length() - 1));
    }
    if (text.startsWith("\"")) {
      String bytes = StraceTraceReader.unquote(text);
      if (bytes.length() != size) {
        throw new BadLine("a port of " + bytes.length() + " bytes: " + text);
      }
      long v = 0;
      for (int i = 0; i < size; i++) {
        v = (v << 8) | (bytes.charAt(i) & 0xff);
      }
      return v;
    }
    return LineTraceReader.number(text);
  }

  // The value of 'key=' among a struct's members.
  private static String value(List<String> members, String key) {
    for (String m : members) {
      String t = m.strip();
      if (t.startsWith(key + "=")) {
        return t.substring(key.length() + 1).strip();
      }
    }
    return null;
  }

  // The value of 'key=' among the members of the struct 's' (a msghdr's msg_name).
  private static String member(String s, String key) {
    if (!s.startsWith("{") || !s.endsWith("}")) {
      return null;
    }
    return value(StraceTraceReader.split(s.substring(1, s.length() - 1)), key);
  }
}
