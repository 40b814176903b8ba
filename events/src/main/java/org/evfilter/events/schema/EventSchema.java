package org.evfilter.events.schema;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The record layout of one trace event ({@code SUBSYSTEM/EVENT}), as its tracefs {@code format}
 * file gives it: the fields a filter on that event may name.
 *
 * <p>{@link #field(String)} resolves a name the way the kernel's {@code trace_find_event_field()}
 * does: the event's own fields first, then the generic fields ({@code cpu}, {@code comm}, ...),
 * then the common fields.
 */
public final class EventSchema {
  /** The generic fields every event accepts, in the kernel's {@code trace_define_generic_fields}. */
  public static final List<EventField> GENERIC_FIELDS =
      List.of(
          new EventField("CPU", "int", 0, 4, true, FieldKind.CPU),
          new EventField("cpu", "int", 0, 4, true, FieldKind.CPU),
          new EventField("common_cpu", "int", 0, 4, true, FieldKind.CPU),
          new EventField("COMM", "char *", 0, 0, false, FieldKind.COMM),
          new EventField("comm", "char *", 0, 0, false, FieldKind.COMM),
          new EventField("STACKTRACE", "char *", 0, 0, false, FieldKind.STACKTRACE),
          new EventField("stacktrace", "char *", 0, 0, false, FieldKind.STACKTRACE));

  private final String system;
  private final String name;
  private final int id;
  private final List<EventField> fields;
  private final Map<String, EventField> byName;

  public EventSchema(String system, String name, int id, List<EventField> fields) {
    this.system = Objects.requireNonNull(system, "system");
    this.name = Objects.requireNonNull(name, "name");
    this.id = id;
    this.fields = List.copyOf(fields);
    Map<String, EventField> lookup = new HashMap<>();
    for (EventField f : this.fields) {
      if (f.isCommon()) {
        lookup.putIfAbsent(f.name(), f);
      }
    }
    for (EventField f : GENERIC_FIELDS) {
      lookup.put(f.name(), f);
    }
    for (EventField f : this.fields) {
      if (!f.isCommon()) {
        lookup.put(f.name(), f);
      }
    }
    this.byName = Map.copyOf(lookup);
  }

  /** The subsystem, e.g. {@code syscalls}. */
  public String system() {
    return system;
  }

  /** The event name, e.g. {@code sys_enter_openat}. */
  public String name() {
    return name;
  }

  /** {@code SUBSYSTEM/EVENT}. */
  public String path() {
    return system + "/" + name;
  }

  /** The event id from the format file. */
  public int id() {
    return id;
  }

  /** The record's own fields in format-file order, common fields included. */
  public List<EventField> fields() {
    return fields;
  }

  /** Resolves a field name in the kernel's lookup order. */
  public Optional<EventField> field(String fieldName) {
    return Optional.ofNullable(byName.get(fieldName));
  }

  /** Every name a filter on this event can use, for suggestions. */
  public java.util.Set<String> fieldNames() {
    return byName.keySet();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EventSchema s
        && s.system.equals(system)
        && s.name.equals(name)
        && s.id == id
        && s.fields.equals(fields);
  }

  @Override
  public int hashCode() {
    return Objects.hash(system, name, id, fields);
  }

  @Override
  public String toString() {
    return "EventSchema[" + path() + ", " + fields.size() + " fields]";
  }
}
