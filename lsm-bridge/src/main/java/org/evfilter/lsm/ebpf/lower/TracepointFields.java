package org.evfilter.lsm.ebpf.lower;

import static org.evfilter.lsm.ebpf.Register.R0;
import static org.evfilter.lsm.ebpf.Register.R1;
import static org.evfilter.lsm.ebpf.Register.R10;
import static org.evfilter.lsm.ebpf.Register.R2;
import static org.evfilter.lsm.ebpf.Register.R3;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FieldKind;
import org.evfilter.lsm.ebpf.AluOp;
import org.evfilter.lsm.ebpf.Helper;
import org.evfilter.lsm.ebpf.Size;

/**
 * The fields of a trace event's record as a tracepoint program's context holds them: each at the
 * offset and size its {@code format} file gives, except the common header, which the verifier does
 * not let a program read ({@code common_pid} is then the current task's, from {@code
 * bpf_get_current_pid_tgid}; the other common fields are not in this context); {@code comm} from
 * {@code bpf_get_current_comm}, pointers to strings read with
 * {@code bpf_probe_read_user_str} ({@code .ustring}) or {@code bpf_probe_read_kernel_str} (a plain
 * read, which fails on a user address as the kernel's filter does).
 *
 * <p>{@link #forPolicy} reads a policy's names instead ({@code nr}, {@code argN} and the named
 * arguments of the seccomp view) on a syscall-entry event ({@code raw_syscalls/sys_enter} or
 * {@code syscalls/sys_enter_NAME}); their strings are in user memory. What the record does not
 * hold ({@code arch}, {@code instruction_pointer}, labels) is not in this context.
 */
public final class TracepointFields implements FieldSource {
  private static final int TASK_COMM_LEN = 16;
  private static final int PROBE_READ_KERNEL_STR = Helper.id("bpf_probe_read_kernel_str");

  private final EventSchema event;
  private final boolean policy;

  private TracepointFields(EventSchema event, boolean policy) {
    this.event = Objects.requireNonNull(event, "event");
    this.policy = policy;
  }

  /** Filters bound to {@code event}'s own format. */
  public static TracepointFields forFilters(EventSchema event) {
    return new TracepointFields(event, false);
  }

  /** A policy's rules on the syscall-entry event {@code event}. */
  public static TracepointFields forPolicy(EventSchema event) {
    TracepointFields f = new TracepointFields(event, true);
    if (f.syscallNumber().isEmpty()) {
      throw new IllegalArgumentException(event.path() + " is not a syscall-entry event (no __syscall_nr or id field)");
    }
    return f;
  }

  public EventSchema event() {
    return event;
  }

  @Override
  public Optional<NumberLoad> number(EventField field) {
    if (!policy && field.name().equals("common_pid")) {
      // The record's common header is not readable by the program; the pid is the current task's.
      return Optional.of((a, context, dst) -> a.call(Helper.GET_CURRENT_PID_TGID).alu32(AluOp.MOV, dst, R0));
    }
    return location(field).map(offset -> (a, context, dst) -> a.ldx(size(field.size()), dst, context, offset));
  }

  @Override
  public Optional<TextLoad> text(EventField field, boolean user) {
    if (field.kind() == FieldKind.COMM) {
      return Optional.of((a, context, stack, bytes) -> a.mov(R1, R10).alu64(AluOp.ADD, R1, stack).mov(R2, TASK_COMM_LEN)
          .call(Helper.GET_CURRENT_COMM));
    }
    if (field.kind() != FieldKind.PTR_STRING) {
      return Optional.empty();
    }
    boolean userMemory = user || policy;
    return location(field).map(offset -> (a, context, stack, bytes) -> a.ldx(Size.DW, R3, context, offset)
        .mov(R1, R10).alu64(AluOp.ADD, R1, stack).mov(R2, bytes)
        .call(userMemory ? Helper.PROBE_READ_USER_STR : PROBE_READ_KERNEL_STR));
  }

  @Override
  public int textArea(EventField field, boolean user) {
    return field.kind() == FieldKind.COMM ? TASK_COMM_LEN : FilterLowering.MAX_STRING;
  }

  // Where the record keeps the field, if it does.
  private Optional<Integer> location(EventField field) {
    if (!policy) {
      return event.field(field.name()).filter(f -> f.offset() == field.offset() && f.size() == field.size()
          && f.kind() == field.kind() && !f.isCommon() && f.kind() != FieldKind.CPU).map(EventField::offset);
    }
    if (field.name().equals("nr")) {
      return syscallNumber().map(EventField::offset);
    }
    int index = field.name().matches("arg[0-5]") ? field.name().charAt(3) - '0' : (field.offset() - 16) / 8;
    boolean argument = field.name().matches("arg[0-5]") || (field.offset() >= 16 && field.offset() < 64 && field.offset() % 8 == 0
        && !field.name().equals("label") && !field.name().equals("new_label"));
    return argument ? argument(index) : Optional.empty();
  }

  private Optional<EventField> syscallNumber() {
    return event.fields().stream().filter(f -> f.name().equals("__syscall_nr") || f.name().equals("id")).findFirst();
  }

  // raw_syscalls/sys_enter has 'unsigned long args[6]'; a syscall's own event one field per argument.
  private Optional<Integer> argument(int index) {
    Optional<EventField> array = event.field("args").filter(f -> f.arrayLength().orElse(0) == 6);
    if (array.isPresent()) {
      return Optional.of(array.get().offset() + 8 * index);
    }
    List<EventField> own = event.fields().stream().filter(f -> !f.isCommon() && !f.name().equals("__syscall_nr")).toList();
    return index < own.size() && own.get(index).size() == 8 ? Optional.of(own.get(index).offset()) : Optional.empty();
  }

  private static Size size(int bytes) {
    return switch (bytes) {
      case 1 -> Size.B;
      case 2 -> Size.H;
      case 4 -> Size.W;
      default -> Size.DW;
    };
  }
}
