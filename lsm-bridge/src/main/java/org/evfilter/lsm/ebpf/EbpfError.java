package org.evfilter.lsm.ebpf;

import java.util.Objects;
import java.util.Optional;

/**
 * Why an eBPF program could not be built, loaded or attached, as a value: the instruction index
 * and the origin its producer tagged it with (a policy rule, say) where there is one, so the error
 * can name the rule rather than a slot number. {@link #message()} is for people; callers switch on
 * the type.
 */
public sealed interface EbpfError {
  /** Plain words for a person, naming the instruction and its origin where known. */
  String message();

  /** A jump to a label that was never bound. */
  record LabelNotBound(String label, int instruction, Optional<Object> origin) implements EbpfError {
    public LabelNotBound {
      Objects.requireNonNull(label);
      Objects.requireNonNull(origin);
    }

    @Override
    public String message() {
      return at(instruction, origin) + "jump to label " + label + ", which is never bound";
    }
  }

  /** A label bound to two places. */
  record LabelBoundTwice(String label, int instruction) implements EbpfError {
    public LabelBoundTwice {
      Objects.requireNonNull(label);
    }

    @Override
    public String message() {
      return at(instruction, Optional.empty()) + "label " + label + " is bound a second time";
    }
  }

  /** A label bound after the last instruction: there is nothing to jump to. */
  record LabelAtEnd(String label) implements EbpfError {
    public LabelAtEnd {
      Objects.requireNonNull(label);
    }

    @Override
    public String message() {
      return "label " + label + " is bound after the last instruction";
    }
  }

  /** A jump whose distance does not fit the signed 16-bit offset. */
  record JumpTooFar(String label, int instruction, int distance, Optional<Object> origin) implements EbpfError {
    public JumpTooFar {
      Objects.requireNonNull(label);
      Objects.requireNonNull(origin);
    }

    @Override
    public String message() {
      return at(instruction, origin) + "jump to " + label + " is " + distance + " instructions away; offsets are 16 bits ("
          + Short.MIN_VALUE + ".." + Short.MAX_VALUE + ")";
    }
  }

  /**
   * The verifier refused the program.
   *
   * @param instruction the slot the verifier stopped at, or -1 when its log names none
   * @param origin what the producer tagged that slot with
   * @param reason the verifier's words on the failing instruction ({@code R2 !read_ok})
   * @param log the whole verifier log (level 1), for {@code --verbose} output
   */
  record VerifierRefused(String program, int instruction, Optional<Object> origin, int errno, String reason, String log)
      implements EbpfError {
    public VerifierRefused {
      Objects.requireNonNull(program);
      Objects.requireNonNull(origin);
      Objects.requireNonNull(reason);
      Objects.requireNonNull(log);
    }

    @Override
    public String message() {
      return "the kernel's verifier refused " + program + ": " + at(instruction, origin) + reason;
    }
  }

  /**
   * A {@code bpf(2)} command, {@code perf_event_open(2)} or one of its ioctls failed.
   *
   * @param call the command ({@code BPF_PROG_ATTACH}) or call name
   * @param errno the error number it returned
   */
  record CallFailed(String call, int errno) implements EbpfError {
    public CallFailed {
      Objects.requireNonNull(call);
    }

    @Override
    public String message() {
      return call + " failed: errno " + errno;
    }
  }

  private static String at(int instruction, Optional<Object> origin) {
    if (instruction < 0) {
      return "";
    }
    return "instruction " + instruction + origin.map(o -> " (from " + o + ")").orElse("") + ": ";
  }
}
