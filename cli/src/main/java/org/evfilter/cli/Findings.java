package org.evfilter.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.evfilter.predicates.eval.PolicyAnalysis;

/** The words for {@link PolicyAnalysis}'s findings: one line of text, or a JSON object, for run and explain alike. */
final class Findings {
  private Findings() {}

  /** What the finding says, without its origin. */
  static String message(PolicyAnalysis.Finding f) {
    if (f instanceof PolicyAnalysis.LabelHole h) {
      return String.join(", ", h.syscalls()) + (h.syscalls().size() == 1 ? " is" : " are")
          + " allowed around the label rules: " + why(h.hole()) + (h.hole() == PolicyAnalysis.Hole.RELABEL
              ? "; narrow the rule's new_label condition, or remove the rule, to close it"
              : "; deny " + String.join(", ", h.syscalls()) + " to close it");
    }
    return ((PolicyAnalysis.Remark) f).message();
  }

  /** {@code origin: message}, as run and explain print a warning. */
  static String line(PolicyAnalysis.Finding f) {
    return f.origin() + ": " + message(f);
  }

  /** Adds the finding to a JSON array: kind, origin, message, and a label hole's hole and syscalls. */
  static void json(ArrayNode into, PolicyAnalysis.Finding f) {
    ObjectNode o = into.addObject().put("kind", f.kind().name()).put("origin", f.origin()).put("message", message(f));
    if (f instanceof PolicyAnalysis.LabelHole h) {
      o.put("hole", h.hole().name());
      ArrayNode names = o.putArray("syscalls");
      h.syscalls().forEach(names::add);
    }
  }

  // A switch expression: a new hole does not compile until it has its words.
  private static String why(PolicyAnalysis.Hole hole) {
    return switch (hole) {
      case BY_HANDLE -> "a file opened from a handle has no path, so no label is looked up (name_to_handle_at"
          + " gives the handle; a handle taken outside the sandbox works too)";
      case HANDLE_NAME -> "the handle it gives, open_by_handle_at opens without a path";
      case IO_URING -> "the kernel performs the opens and other calls queued on an io_uring, and seccomp never sees them";
      case OTHER_TASK -> "another task, such as the one the supervisor is deciding for, can be made to act, or to"
          + " change what it asked after the check";
      case MOUNT -> "paths can be re-arranged: a tree labelled by its path (file_contexts) reappears under another"
          + " path, with that path's labels";
      case USERFAULTFD -> "a fault on the task's memory stalls the supervisor's reads of it, so the task can change a"
          + " path between the check and the call";
      case RELABEL -> "this rule reads new_label: the task may write or remove the label xattr where it holds, so the"
          + " labels it names stop belonging to their objects there";
    };
  }
}
