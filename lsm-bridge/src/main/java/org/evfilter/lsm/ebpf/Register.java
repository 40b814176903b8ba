package org.evfilter.lsm.ebpf;

/**
 * The eleven eBPF registers. {@code R0} holds return values, {@code R1}-{@code R5} helper
 * arguments (and the program's context in {@code R1} on entry), {@code R6}-{@code R9} survive
 * helper calls, {@code R10} is the read-only frame pointer.
 */
public enum Register {
  R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10;

  /** The register number in an instruction. */
  public int index() {
    return ordinal();
  }
}
