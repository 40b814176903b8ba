package org.evfilter.events.schema;

/**
 * How the kernel's filter engine treats an event field, as {@code filter_assign_type()} and the
 * generic fields of {@code trace_events.c} classify it: it decides which operators and values a
 * predicate on the field accepts.
 */
public enum FieldKind {
  /** A scalar (or an array the engine cannot compare, which then never matches). */
  NUMERIC(false),
  /** {@code char name[N]} inside the record. */
  STATIC_STRING(true),
  /** {@code __data_loc char[]}: a string stored after the record. */
  DYN_STRING(true),
  /** {@code __rel_loc char[]}: a string stored relative to the field. */
  RDYN_STRING(true),
  /** {@code char *} or {@code const char *}: a pointer, to kernel or (with .ustring) user memory. */
  PTR_STRING(true),
  /** {@code __data_loc cpumask_t}. */
  CPUMASK(false),
  /** The generic {@code cpu}/{@code CPU}/{@code common_cpu} field: the CPU the event fired on. */
  CPU(false),
  /** The generic {@code comm}/{@code COMM} field: the current task's command name. */
  COMM(true),
  /** The generic {@code stacktrace}/{@code STACKTRACE} field (accepted, never matches). */
  STACKTRACE(false),
  /**
   * An IPv4 or IPv6 address (evfilter's socket rules: no tracefs event has one); compares with
   * {@code ==}, {@code !=} and {@code in} sets of networks.
   */
  INET_ADDRESS(false);

  private final boolean string;

  FieldKind(boolean string) {
    this.string = string;
  }

  /** Whether the kernel's {@code is_string_field()} holds: the field takes quoted values. */
  public boolean isString() {
    return string;
  }

  /** Classifies a C type exactly as the kernel's {@code filter_assign_type()} does. */
  public static FieldKind ofCType(String type) {
    if (type.contains("__data_loc")) {
      if (type.contains("char")) {
        return DYN_STRING;
      }
      if (type.contains("cpumask_t")) {
        return CPUMASK;
      }
    }
    if (type.contains("__rel_loc") && type.contains("char")) {
      return RDYN_STRING;
    }
    if (type.indexOf('[') >= 0 && type.contains("char")) {
      return STATIC_STRING;
    }
    if (type.equals("char *") || type.equals("const char *")) {
      return PTR_STRING;
    }
    return NUMERIC;
  }
}
