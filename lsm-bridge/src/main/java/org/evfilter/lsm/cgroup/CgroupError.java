package org.evfilter.lsm.cgroup;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Why a cgroup leaf could not be made, filled or removed, as a value.
 *
 * @param path the cgroup file or directory concerned ({@code /proc/self/mountinfo} when no cgroup
 *     v2 is mounted)
 * @param detail the system's words ({@code Permission denied}), or empty
 */
public record CgroupError(Kind kind, Path path, String detail) {
  /** What went wrong. */
  public enum Kind {
    /** No cgroup v2 hierarchy is mounted: cgroup programs cannot be attached here. */
    NOT_MOUNTED,
    /** The hierarchy is there but this process may not create a cgroup in it (not root, read-only, delegated elsewhere). */
    NOT_WRITABLE,
    /** Writing a pid to {@code cgroup.procs} was refused (no such process, or a process this one may not move). */
    MOVE_REFUSED
  }

  public CgroupError {
    Objects.requireNonNull(kind);
    Objects.requireNonNull(path);
    Objects.requireNonNull(detail);
  }

  /** Plain words for a person. */
  public String message() {
    String what = switch (kind) {
      case NOT_MOUNTED -> "no cgroup v2 hierarchy is mounted (see " + path + ")";
      case NOT_WRITABLE -> "cannot create a cgroup in " + path;
      case MOVE_REFUSED -> "cannot move a process into " + path;
    };
    return detail.isEmpty() ? what : what + ": " + detail;
  }
}
