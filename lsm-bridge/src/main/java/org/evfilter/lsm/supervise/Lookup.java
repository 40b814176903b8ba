package org.evfilter.lsm.supervise;

/**
 * Where the supervisor looks a task's path up: {@code path} from the directory open as {@code base}
 * (-1: the supervisor's own root and working directory, for a task that shares them), with the
 * openat2 resolve flags {@code within} that keep every lookup of it inside the task's file tree
 * ({@code RESOLVE_IN_ROOT} from the task's root, {@code RESOLVE_BENEATH} from a directory outside
 * it), the task's paths read back through {@code root}.
 */
record Lookup(int base, byte[] path, long within, TaskRoot root) {
  static final long RESOLVE_NO_MAGICLINKS = 0x02;
  static final long RESOLVE_BENEATH = 0x08;
  static final long RESOLVE_IN_ROOT = 0x10;

  /** The directory to pass to an *at call: {@code base}, or AT_FDCWD for the supervisor's own. */
  int dirfd() {
    return base < 0 ? org.evfilter.events.syscalls.FileFlags.AT_FDCWD : base;
  }

  /** The same lookup of another path from another base (an entry in its pinned parent). */
  Lookup at(int otherBase, byte[] otherPath) {
    return new Lookup(otherBase, otherPath, within, root);
  }
}
