package org.evfilter.lsm.supervise;

/**
 * Where the supervisor looks up a path of a task in a root of its own: {@code path} from the
 * directory open as {@code base}, with the openat2 resolve flags {@code within} that keep every
 * lookup of it inside the task's file tree ({@code RESOLVE_IN_ROOT} from the task's root,
 * {@code RESOLVE_BENEATH} from a directory outside it), the task's paths read back through
 * {@code root}. A {@link PinnedObject} keeps the same parts as fields of its own.
 */
record Lookup(int base, byte[] path, long within, TaskRoot root) {
  static final long RESOLVE_NO_MAGICLINKS = 0x02;
  static final long RESOLVE_BENEATH = 0x08;
  static final long RESOLVE_IN_ROOT = 0x10;
}
