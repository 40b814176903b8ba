package org.evfilter.predicates.eval;

/**
 * What a compiled filter reads from an event: numbers and strings by slot. Slots are fixed when the
 * filter is compiled ({@link SlotLayout}), so evaluation does no lookups and allocates nothing.
 */
public interface EventView {
  /** The raw value of a numeric slot (the filter applies the field's width and sign). */
  long number(int slot);

  /** The string in a slot, or null when the event does not carry it. */
  String text(int slot);
}
