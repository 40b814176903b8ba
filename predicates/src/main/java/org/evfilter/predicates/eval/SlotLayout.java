package org.evfilter.predicates.eval;

import java.util.OptionalInt;
import org.evfilter.events.schema.EventField;

/** Where each field of a schema lives in an {@link EventView}. */
public interface SlotLayout {
  /** The slot of {@code field}, or empty when events of this layout never carry it. */
  OptionalInt slot(EventField field);

  /**
   * The slot a string predicate reads: {@code user} for {@code .ustring}. A layout whose pointers
   * are user addresses (syscall arguments) answers a slot that is always unread for a plain read,
   * since the kernel then reads user memory as kernel memory and faults.
   */
  default OptionalInt textSlot(EventField field, boolean user) {
    return slot(field);
  }
}
