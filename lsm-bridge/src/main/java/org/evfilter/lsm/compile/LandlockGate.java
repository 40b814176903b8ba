package org.evfilter.lsm.compile;

import java.util.List;
import org.evfilter.lsm.bpf.SeccompData;

/**
 * Which calls of a syscall whose labels Landlock decides still go to the supervisor: those whose
 * flags argument has one of {@code notifyBits} set, or (with {@code accessModeThree}) whose access
 * mode is 3, for opens Landlock does not check ({@code O_PATH}, {@code O_TMPFILE}, access mode 3
 * opens no read or write side).
 *
 * @param flagsArg the index of the flags argument, or -1 when the syscall has none (no call is kept)
 */
public record LandlockGate(int flagsArg, long notifyBits, boolean accessModeThree) {
  /** A syscall all of whose label-dependent calls Landlock decides. */
  public static final LandlockGate NONE = new LandlockGate(-1, 0, false);

  Condition condition() {
    if (flagsArg < 0) {
      return Condition.FALSE;
    }
    int low = SeccompData.argLow(flagsArg);
    Condition bits = new Condition.AnyBit(low, 4, notifyBits);
    if (!accessModeThree) {
      return bits;
    }
    return new Condition.Any(List.of(bits, new Condition.Compare(low, 4, 3, IntervalSet.unsigned(32, 3, 3))));
  }
}
