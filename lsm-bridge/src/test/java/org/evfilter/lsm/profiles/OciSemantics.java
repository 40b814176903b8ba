package org.evfilter.lsm.profiles;

import com.fasterxml.jackson.databind.JsonNode;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy.Verdict;

/**
 * What runc with libseccomp decides for a call under an exported {@code linux.seccomp}: an entry
 * matches when every comparison holds on the whole 64-bit argument; of the matching entries the
 * most restrictive action wins, the lower errno of two (evfilter's reading where libseccomp leaves
 * overlaps undefined).
 */
final class OciSemantics {
  private OciSemantics() {}

  static Verdict decide(JsonNode seccomp, String syscall, long[] args) {
    Verdict best = null;
    for (JsonNode e : seccomp.path("syscalls")) {
      boolean named = false;
      for (JsonNode n : e.path("names")) {
        named |= n.asText().equals(syscall);
      }
      if (named && matches(e.path("args"), args)) {
        Verdict v = verdict(e.path("action").asText(), e.path("errnoRet").asInt(1));
        if (best == null || v.kind().outranks(best.kind()) || v.kind() == best.kind() && v.data() < best.data()) {
          best = v;
        }
      }
    }
    return best != null ? best : verdict(seccomp.path("defaultAction").asText(), seccomp.path("defaultErrnoRet").asInt(1));
  }

  private static boolean matches(JsonNode comparisons, long[] args) {
    for (JsonNode c : comparisons) {
      long a = args[c.path("index").asInt()];
      long v = c.path("value").asLong();
      int order = Long.compareUnsigned(a, v);
      boolean holds = switch (c.path("op").asText()) {
        case "SCMP_CMP_EQ" -> a == v;
        case "SCMP_CMP_NE" -> a != v;
        case "SCMP_CMP_LT" -> order < 0;
        case "SCMP_CMP_LE" -> order <= 0;
        case "SCMP_CMP_GT" -> order > 0;
        case "SCMP_CMP_GE" -> order >= 0;
        case "SCMP_CMP_MASKED_EQ" -> (a & v) == c.path("valueTwo").asLong();
        default -> throw new IllegalArgumentException(c.toString());
      };
      if (!holds) {
        return false;
      }
    }
    return true;
  }

  private static Verdict verdict(String action, int errno) {
    return switch (action) {
      case "SCMP_ACT_ALLOW" -> new Verdict(ActionKind.ALLOW, 0);
      case "SCMP_ACT_ERRNO" -> new Verdict(ActionKind.ERRNO, errno);
      case "SCMP_ACT_KILL_PROCESS" -> new Verdict(ActionKind.KILL_PROCESS, 0);
      case "SCMP_ACT_KILL_THREAD" -> new Verdict(ActionKind.KILL_THREAD, 0);
      case "SCMP_ACT_TRAP" -> new Verdict(ActionKind.TRAP, 0);
      case "SCMP_ACT_TRACE" -> new Verdict(ActionKind.TRACE, errno);
      case "SCMP_ACT_LOG" -> new Verdict(ActionKind.LOG, 0);
      case "SCMP_ACT_NOTIFY" -> new Verdict(ActionKind.USER_NOTIF, 0);
      default -> throw new IllegalArgumentException(action);
    };
  }
}
