package org.evfilter.events.schema;

import java.util.Objects;

/**
 * One field of an event record as a tracefs {@code format} file describes it: what a filter
 * predicate can name, with the width and signedness its comparisons use.
 *
 * @param name the field name a filter uses
 * @param cType the C type as the kernel stores it ({@code char[16]} for arrays)
 * @param offset byte offset in the record
 * @param size size in bytes (0 for the generic {@code comm} and {@code stacktrace})
 * @param signed whether ordered comparisons are signed, and numbers are parsed as signed
 * @param kind how the filter engine treats the field
 */
public record EventField(
    String name, String cType, int offset, int size, boolean signed, FieldKind kind) {

  public EventField {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(cType, "cType");
    Objects.requireNonNull(kind, "kind");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("empty field name");
    }
    if (offset < 0 || size < 0) {
      throw new IllegalArgumentException("negative offset or size for field " + name);
    }
  }

  /** A field read from a format file: its kind follows from its C type. */
  public static EventField of(String name, String cType, int offset, int size, boolean signed) {
    return new EventField(name, cType, offset, size, signed, FieldKind.ofCType(cType));
  }

  /** The element count of an array field ({@code unsigned long[6]} has 6; {@code char[]} has 0). */
  public java.util.OptionalInt arrayLength() {
    int open = cType.lastIndexOf('[');
    int close = cType.lastIndexOf(']');
    if (open < 0 || close < open) {
      return java.util.OptionalInt.empty();
    }
    String n = cType.substring(open + 1, close).trim();
    return n.matches("\\d+") ? java.util.OptionalInt.of(Integer.parseInt(n)) : java.util.OptionalInt.of(0);
  }

  /**
   * Whether the kernel has a comparison function for the field's width (1, 2, 4 or 8 bytes): a
   * predicate on any other (an array, a size-0 field) is a no-op that never matches.
   */
  public boolean comparableWidth() {
    return size == 1 || size == 2 || size == 4 || size == 8;
  }

  /** Whether the field holds a pointer ({@code char *}, {@code void *}, ...). */
  public boolean isPointer() {
    return cType.trim().endsWith("*");
  }

  /** Whether this is one of the fields every event has ({@code common_*}). */
  public boolean isCommon() {
    return name.startsWith("common_");
  }
}
