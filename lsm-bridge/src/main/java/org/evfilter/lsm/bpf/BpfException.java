package org.evfilter.lsm.bpf;

/** A program the kernel would refuse: which instruction ({@code -1}: the program) and why. */
public final class BpfException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int instruction;

  public BpfException(int instruction, String message) {
    super((instruction < 0 ? "" : "instruction " + instruction + ": ") + message);
    this.instruction = instruction;
  }

  public int instruction() {
    return instruction;
  }
}
