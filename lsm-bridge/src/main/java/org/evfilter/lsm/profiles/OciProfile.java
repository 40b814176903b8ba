package org.evfilter.lsm.profiles;

import static org.evfilter.events.syscalls.Errno.EPERM;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * OCI runtime-spec {@code linux.seccomp}, Docker (moby) seccomp profiles and Security Profiles
 * Operator {@code SeccompProfile} manifests as evfilter policies:
 * the entries for one arch, capability set and kernel version (Docker's {@code includes} and
 * {@code excludes}), every {@code SCMP_CMP_*} operator, {@code errnoRet} and {@code
 * defaultErrnoRet}. A 4-byte argument is compared on its low 32 bits, unsigned, as the kernel
 * passes it; libseccomp compares all 64 and so lets {@code socket(0x100000028, ...)} (AF_VSOCK)
 * past Docker's rule.
 */
public final class OciProfile {
  /** The policy text, and what did not make it in. */
  public record Imported(String policy, List<String> unknownNames, int entries, int skippedEntries) {}

  private static final Map<Arch, String> GO_ARCH = Map.of(Arch.X86_64, "amd64", Arch.I386, "386", Arch.AARCH64, "arm64", Arch.X32, "x32");
  private static final Map<Arch, String> SCMP_ARCH = Map.of(Arch.X86_64, "SCMP_ARCH_X86_64", Arch.I386, "SCMP_ARCH_X86",
      Arch.AARCH64, "SCMP_ARCH_AARCH64", Arch.X32, "SCMP_ARCH_X32");

  private OciProfile() {}

  /** Reads a profile file. */
  public static Imported read(Path file, Arch arch, Set<String> caps, String kernel) throws IOException {
    return convert(new ObjectMapper().readTree(file.toFile()), file.getFileName().toString(), arch, caps, kernel);
  }

  /**
   * Converts a profile.
   *
   * @param caps the container's capabilities ({@code CAP_SYS_ADMIN}...)
   * @param kernel the kernel version {@code minKernel} is compared with ("6.1")
   * @throws IllegalArgumentException naming the entry and field that is wrong
   */
  public static Imported convert(JsonNode root, String name, Arch arch, Set<String> caps, String kernel) {
    if (!root.isObject()) {
      throw new IllegalArgumentException(name + ": not a seccomp profile (a JSON object)");
    }
    // A runtime spec holds it in linux.seccomp, a Security Profiles Operator manifest in spec.
    JsonNode seccomp = root.has("linux") ? root.path("linux").path("seccomp")
        : root.path("kind").asText().equals("SeccompProfile") ? root.path("spec") : root;
    SyscallTable table = SyscallTable.of(arch);
    int defaultErrno = seccomp.path("defaultErrnoRet").asInt(1);
    StringBuilder out = new StringBuilder();
    out.append("# Imported from ").append(name).append(" for ").append(arch.id()).append(", capabilities ")
        .append(caps.isEmpty() ? "none" : String.join(",", new TreeSet<>(caps))).append(", kernel ").append(kernel).append('\n');
    checkArch(seccomp, arch, name);
    if (seccomp.has("listenerPath")) {
      // The agent runc and crun hand the listener to (evfilter serve): who decided the user_notif calls.
      out.append("# Its SCMP_ACT_NOTIFY calls (user_notif) went to the agent at ").append(text(seccomp, "listenerPath", name));
      if (seccomp.has("listenerMetadata")) {
        out.append(", told '").append(text(seccomp, "listenerMetadata", name)).append('\'');
      }
      out.append('\n');
    }
    // defaultErrnoRet is the default action's errno only; a rule's ERRNO or TRACE without errnoRet is EPERM (runc).
    String defaultAction = action(text(seccomp, "defaultAction", name), defaultErrno, name);
    out.append("default ").append(defaultAction).append('\n');
    TreeSet<String> unknown = new TreeSet<>();
    int entries = 0;
    int skipped = 0;
    JsonNode syscalls = seccomp.path("syscalls");
    for (int i = 0; i < syscalls.size(); i++) {
      JsonNode e = syscalls.get(i);
      String where = name + ": syscalls[" + i + "]";
      if (!applies(e.path("includes"), true, arch, caps, kernel) || applies(e.path("excludes"), false, arch, caps, kernel)) {
        skipped++;
        continue;
      }
      List<String> names = new ArrayList<>();
      JsonNode ns = e.has("names") ? e.path("names") : e.path("name");
      if (ns.isTextual()) {
        names.add(ns.asText());
      } else {
        ns.forEach(n -> names.add(n.asText()));
      }
      List<Syscall> known = new ArrayList<>();
      for (String n : names) {
        Optional<Syscall> s = table.byName(n);
        if (s.isPresent()) {
          known.add(s.get());
        } else {
          unknown.add(n);
        }
      }
      if (known.isEmpty()) {
        skipped++;
        continue;
      }
      entries++;
      String act = action(text(e, "action", where), e.has("errnoRet") && !e.path("errnoRet").isNull() ? e.path("errnoRet").asInt() : EPERM, where);
      if (act.equals(defaultAction)) {
        // runc drops a rule whose action is the default's: kept, it could outrank a rule that allows.
        skipped++;
        entries--;
        continue;
      }
      if (e.has("comment") && !e.path("comment").asText().isBlank()) {
        out.append("# ").append(e.path("comment").asText().replace('\n', ' ')).append('\n');
      }
      JsonNode args = e.path("args");
      if (args.isMissingNode() || args.isNull() || args.isEmpty()) {
        out.append(act).append(' ').append(String.join(", ", known.stream().map(Syscall::name).toList())).append('\n');
        continue;
      }
      // libseccomp ANDs comparisons of different arguments; runc turns repeated comparisons of one
      // argument into separate rules (they would otherwise silently become an OR).
      for (Syscall s : known) {
        for (List<String> rule : conditions(args, s, where)) {
          out.append(act).append(' ').append(s.name()).append(": ").append(String.join(" && ", rule)).append('\n');
        }
      }
    }
    if (!unknown.isEmpty()) {
      out.append("# Not in the ").append(arch.id()).append(" syscall table: ").append(String.join(", ", unknown)).append('\n');
    }
    return new Imported(out.toString(), List.copyOf(unknown), entries, skipped);
  }

  private static void checkArch(JsonNode seccomp, Arch arch, String name) {
    List<String> listed = new ArrayList<>();
    seccomp.path("architectures").forEach(a -> listed.add(a.asText()));
    seccomp.path("archMap").forEach(m -> {
      listed.add(m.path("architecture").asText());
      m.path("subArchitectures").forEach(a -> listed.add(a.asText()));
    });
    if (!listed.isEmpty() && !listed.contains(SCMP_ARCH.get(arch))) {
      throw new IllegalArgumentException(name + ": the profile is for " + listed + ", not " + SCMP_ARCH.get(arch));
    }
  }

  private static String text(JsonNode o, String field, String where) {
    JsonNode v = o.path(field);
    if (!v.isTextual()) {
      throw new IllegalArgumentException(where + ": '" + field + "' is missing or not a string");
    }
    return v.asText();
  }

  private static String action(String scmp, int errno, String where) {
    return switch (scmp) {
      case "SCMP_ACT_ALLOW" -> "allow";
      case "SCMP_ACT_ERRNO" -> "errno(" + errno + ")";
      case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> "kill_thread";
      case "SCMP_ACT_KILL_PROCESS" -> "kill_process";
      case "SCMP_ACT_TRAP" -> "trap";
      case "SCMP_ACT_TRACE" -> "trace(" + errno + ")";
      case "SCMP_ACT_LOG" -> "log";
      case "SCMP_ACT_NOTIFY" -> "user_notif";
      default -> throw new IllegalArgumentException(where + ": unknown action '" + scmp + "'");
    };
  }

  // Docker's includes (all must hold) and excludes (any excludes).
  private static boolean applies(JsonNode filter, boolean include, Arch arch, Set<String> caps, String kernel) {
    if (filter.isMissingNode() || filter.isNull() || filter.isEmpty()) {
      return include;
    }
    List<Boolean> tests = new ArrayList<>();
    if (filter.path("arches").size() > 0) {
      boolean any = false;
      for (JsonNode a : filter.path("arches")) {
        any |= a.asText().equals(GO_ARCH.get(arch));
      }
      tests.add(any);
    }
    if (filter.path("caps").size() > 0) {
      boolean all = true;
      boolean any = false;
      for (JsonNode c : filter.path("caps")) {
        boolean has = caps.contains(c.asText().toUpperCase(Locale.ROOT));
        all &= has;
        any |= has;
      }
      tests.add(include ? all : any);
    }
    if (filter.path("minKernel").isTextual() && !filter.path("minKernel").asText().isBlank()) {
      tests.add(compareVersions(kernel, filter.path("minKernel").asText()) >= 0);
    }
    return include ? tests.stream().allMatch(b -> b) : tests.stream().anyMatch(b -> b);
  }

  static int compareVersions(String a, String b) {
    String[] x = a.split("[.-]");
    String[] y = b.split("[.-]");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length ? leadingInt(x[i]) : 0;
      int q = i < y.length ? leadingInt(y[i]) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }

  private static int leadingInt(String s) {
    int v = 0;
    for (char c : s.toCharArray()) {
      if (!Character.isDigit(c)) {
        break;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  // One list of ANDed comparisons per rule: one rule when each argument is compared once, else a
  // rule per comparison of a repeated argument (as runc does).
  private static List<List<String>> conditions(JsonNode args, Syscall s, String where) {
    List<String> all = new ArrayList<>();
    Set<Long> seen = new java.util.HashSet<>();
    boolean repeated = false;
    for (int i = 0; i < args.size(); i++) {
      JsonNode a = args.get(i);
      long index = a.path("index").asLong(-1);
      if (index < 0 || index > 5) {
        throw new IllegalArgumentException(where + ".args[" + i + "]: index must be 0..5, not " + a.path("index"));
      }
      repeated |= !seen.add(index);
      all.add(comparison(a, (int) index, s, where + ".args[" + i + "]"));
    }
    if (!repeated) {
      return List.of(all);
    }
    return all.stream().map(List::of).toList();
  }

  private static String comparison(JsonNode a, int index, Syscall s, String where) {
    long value = a.path("value").asLong();
    long two = a.path("valueTwo").asLong();
    int width = s.arguments().stream().filter(x -> x.index() == index).mapToInt(SyscallArg::width).findFirst().orElse(8);
    // argN is the 64-bit register; a narrower argument is its low word, compared unsigned as libseccomp's
    // 32-bit ABIs do, without the high word a caller may leave set.
    String field = width < 8 ? "(arg" + index + " & 0xffffffff)" : "arg" + index;
    long wide = width < 8 ? 0xffffffffL : -1L;
    String op = switch (a.path("op").asText()) {
      case "SCMP_CMP_EQ" -> "==";
      case "SCMP_CMP_NE" -> "!=";
      case "SCMP_CMP_LT" -> "<";
      case "SCMP_CMP_LE" -> "<=";
      case "SCMP_CMP_GT" -> ">";
      case "SCMP_CMP_GE" -> ">=";
      case "SCMP_CMP_MASKED_EQ" -> "&";
      default -> throw new IllegalArgumentException(where + ": unknown operator '" + a.path("op").asText() + "'");
    };
    if (op.equals("&")) {
      return "(arg" + index + " & " + hex(value & wide) + ") == " + hex(fits(two, width, where, "valueTwo"));
    }
    return field + " " + op + " " + hex(fits(value, width, where, "value"));
  }

  // A 4-byte argument holds 32 bits: a value whose high half is zero or the sign extension of its
  // low half (-100 as 0xffffffffffffff9c) is its low half; any other value names no 32-bit value.
  private static long fits(long v, int width, String where, String field) {
    if (width >= 8) {
      return v;
    }
    long high = v >> 32;
    if (high == 0 || (high == -1 && (int) v < 0)) {
      return v & 0xffffffffL;
    }
    throw new IllegalArgumentException(where + ": " + field + " 0x" + Long.toHexString(v) + " does not fit the 4-byte argument");
  }

  private static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }
}
