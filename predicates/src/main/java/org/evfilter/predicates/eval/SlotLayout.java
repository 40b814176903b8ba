package org.evfilter.predicates.eval;

import java.util.OptionalInt;
import org.evfilter.events.schema.EventField;

/** Where each field of a schema lives in an {@link EventView}. */
public interface SlotLayout {
  /** The slot of {@code field}, or empty when events of this layout never carry it. */
  OptionalInt slot(EventField field);
}
