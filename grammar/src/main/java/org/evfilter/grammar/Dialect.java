package org.evfilter.grammar;

/** Which language a filter is read in. */
public enum Dialect {
  /**
   * Exactly what the kernel accepts in {@code events/SUBSYSTEM/EVENT/filter}: every extension is
   * refused with the error the kernel would give ({@code --strict-ftrace}).
   */
  FTRACE,
  /**
   * The kernel's language plus evfilter's extensions: symbolic constants, {@code in} sets and
   * ranges, masked comparisons, {@code #} comments, and no 4096-byte limit.
   */
  EVFILTER
}
