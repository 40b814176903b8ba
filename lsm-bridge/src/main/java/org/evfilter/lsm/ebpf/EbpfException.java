package org.evfilter.lsm.ebpf;

import java.util.Objects;

/** Carries an {@link EbpfError} out of the toolkit; callers read {@link #error()}, not the message. */
public final class EbpfException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient EbpfError error;

  public EbpfException(EbpfError error) {
    super(Objects.requireNonNull(error).message());
    this.error = error;
  }

  public EbpfError error() {
    return error;
  }
}
