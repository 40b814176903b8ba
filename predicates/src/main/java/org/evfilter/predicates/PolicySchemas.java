package org.evfilter.predicates;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.net.SocketFields;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FieldKind;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;

/**
 * The fields a policy rule's filter can read: what seccomp sees ({@code nr}, {@code arch}, {@code
 * instruction_pointer}, {@code arg0}..{@code arg5}), the syscall's named arguments when the rule
 * names syscalls, and the object's {@code label} set; on the syscalls that write or remove an xattr,
 * also {@code new_label}, the label set the object would have once the call is done (what makes a
 * rule a relabelling rule); on the calls that name a socket address, the {@link SocketFields} of the
 * socket and the address, where {@code label} is the address's network labels (or a unix socket
 * path's file labels). A rule's schema is named {@code seccomp/SYSCALL} ({@code seccomp/any} for
 * rules on every syscall), as errors and {@code evfilter check --event} name it.
 */
public final class PolicySchemas {
  static final String LABEL_FIELD = "label";
  static final String NEW_LABEL_FIELD = "new_label";

  /** The syscalls that write or remove an xattr: where a label xattr may be changed. */
  static final java.util.Set<String> XATTR_WRITERS = java.util.Set.of("setxattr", "lsetxattr", "fsetxattr", "setxattrat",
      "removexattr", "lremovexattr", "fremovexattr", "removexattrat");

  // An argument with one of these names (io_submit's 'nr') is reachable as argN only.
  private static final java.util.Set<String> SECCOMP_NAMES = java.util.Set.of(
      "nr", "arch", "instruction_pointer", "label", "new_label", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5");

  private PolicySchemas() {}

  /** Whether label names ({@code tmp_t}) stand for their bits on {@code field}. */
  static boolean labelled(String field) {
    return field.equals(LABEL_FIELD) || field.equals(NEW_LABEL_FIELD);
  }

  /**
   * The mask a rule's comparison applies to {@code field} before comparing: socket(2) and
   * socketpair(2) take {@code SOCK_NONBLOCK|SOCK_CLOEXEC} in their {@code type} register, which a
   * rule on the socket's type ignores ({@code type == SOCK_STREAM} holds for a non-blocking one);
   * all ones elsewhere.
   */
  static long valueMask(EventSchema schema, EventField field) {
    boolean socketType = schema.system().equals("seccomp") && (schema.name().equals("socket") || schema.name().equals("socketpair"))
        && field.name().equals("type");
    return socketType ? ~SocketFields.SOCK_FLAGS & 0xffffffffL : -1L;
  }

  /** Whether {@code field} is one of the socket fields a rule on {@code schema}'s syscall reads. */
  static boolean socketField(EventField field) {
    return SocketFields.indexOf(field).isPresent();
  }

  /** The prefix of rule schemas' names. */
  public static final String SYSTEM = "seccomp";

  /**
   * The schema a policy rule's filter binds to, by its name: {@code seccomp/connect} for rules on
   * connect, {@code seccomp/any} for rules on every syscall; empty when the name is not a rule
   * schema's or names no syscall of {@code arch}.
   */
  public static Optional<EventSchema> named(String name, Arch arch) {
    if (!name.startsWith(SYSTEM + "/")) {
      return Optional.empty();
    }
    String syscall = name.substring(SYSTEM.length() + 1);
    if (syscall.equals("any")) {
      return Optional.of(of(Optional.empty(), arch));
    }
    return SyscallTable.of(arch).byName(syscall).map(s -> of(Optional.of(s.name()), arch));
  }

  /**
   * For a field a tracefs syscall event lacks but a policy rule on the same syscall reads (the
   * endpoint of {@code syscalls/sys_enter_connect}): where to find it; else empty.
   */
  static String ruleHint(EventSchema schema, String field) {
    String prefix = "sys_enter_";
    if (!schema.system().equals("syscalls") || !schema.name().startsWith(prefix)) {
      return "";
    }
    String syscall = schema.name().substring(prefix.length());
    boolean socketField = SocketFields.named(syscall) && SocketFields.ALL.stream().anyMatch(f -> f.name().equals(field));
    return socketField ? " (the socket and the address the call names are read by policy rules: --event " + SYSTEM + "/" + syscall
        + " reads them, as 'allow " + syscall + ": ...' does)" : "";
  }

  /** The schema of rules on {@code syscall}, or of rules on every syscall when empty. */
  static EventSchema of(Optional<String> syscall, Arch arch) {
    List<EventField> fields = new ArrayList<>();
    fields.add(EventField.of("nr", "int", 0, 4, true));
    fields.add(EventField.of("arch", "u32", 4, 4, false));
    fields.add(EventField.of("instruction_pointer", "u64", 8, 8, false));
    for (int i = 0; i < 6; i++) {
      fields.add(EventField.of("arg" + i, "u64", 16 + 8 * i, 8, false));
    }
    fields.add(new EventField(LABEL_FIELD, "u64", 64, 8, false, FieldKind.NUMERIC));
    if (syscall.isPresent() && SocketFields.named(syscall.get())) {
      fields.addAll(SocketFields.ALL);
    }
    if (syscall.isPresent() && XATTR_WRITERS.contains(syscall.get())) {
      fields.add(new EventField(NEW_LABEL_FIELD, "u64", 72, 8, false, FieldKind.NUMERIC));
    }
    // Named arguments at their real width: an 'int' compares its low 32 bits, as the kernel reads it.
    syscall
        .flatMap(name -> SyscallTable.of(arch).byName(name))
        .ifPresent(s -> s.arguments().stream().filter(a -> !SECCOMP_NAMES.contains(a.name()))
            // sendto's 'addr' is the address it points to, not the pointer (which stays arg4).
            .filter(a -> fields.stream().noneMatch(f -> f.name().equals(a.name()))).forEach(a -> fields.add(new EventField(
            a.name(), a.cType(), 16 + 8 * a.index(), a.width(), a.signed(),
            a.kind() == SyscallArg.Kind.STRING ? FieldKind.PTR_STRING : FieldKind.NUMERIC))));
    return new EventSchema(SYSTEM, syscall.orElse("any"), -1, fields);
  }
}
