package org.evfilter.lsm.ebpf.lower;

import java.util.Objects;
import org.evfilter.predicates.Atom;

/**
 * An atom the lowering could not express for its context, and why; it was replaced by a constant
 * that makes the enclosing rule fail (false where the atom stands plainly, true under an odd number
 * of negations), as the ftrace comparison replaces what event filters cannot say.
 *
 * @param origin what the assembler's origin was when the atom was met (the rule)
 */
public record Replacement(Object origin, Atom atom, String reason) {
  public Replacement {
    Objects.requireNonNull(atom, "atom");
    Objects.requireNonNull(reason, "reason");
  }
}
