package org.evfilter.lsm.cgroup;

import java.util.Objects;

/** Carries a {@link CgroupError} out of {@link CgroupLeaf}; callers read {@link #error()}. */
public final class CgroupException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient CgroupError error;

  public CgroupException(CgroupError error) {
    super(Objects.requireNonNull(error).message());
    this.error = error;
  }

  public CgroupError error() {
    return error;
  }
}
