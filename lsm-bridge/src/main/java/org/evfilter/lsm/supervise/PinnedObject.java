package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.ENOENT;

import java.nio.charset.StandardCharsets;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * The object a syscall names: where it is looked up ({@code where}), where it is as the task sees
 * it ({@code canonical} when it was resolved, else null), what it is labelled, and a descriptor
 * pinning it ({@code pinned}, -1 when it was absent).
 *
 * @param absentErrno why the object could not be pinned (ENOENT, ENOTDIR, EACCES), 0 when it was
 */
record PinnedObject(Lookup where, String canonical, int pinned, LabelResolver.Identity identity, long labels, int absentErrno) {
  /** The path as it is looked up from {@link #base}. */
  byte[] path() {
    return where.path();
  }

  /** The directory the path is looked up from, -1 for the supervisor's own root (an absolute path on the host). */
  int base() {
    return where.base();
  }

  boolean present() {
    return pinned >= 0;
  }

  /** The errno a call on this object answers when it was absent at the check. */
  int absence() {
    return absentErrno == 0 ? ENOENT : absentErrno;
  }

  /** The object's file type bits ({@code S_IFMT}), 0 when it was absent. */
  int type() {
    return identity == null ? 0 : identity.mode() & ObjectPinner.S_IFMT;
  }

  /** For messages: resolved now if the label came from the cache (valid while base is open). */
  String display(SupervisorNatives natives) {
    if (canonical != null) {
      return canonical;
    }
    String p = new String(path(), StandardCharsets.ISO_8859_1);
    if (base() < 0 || (where.within() & Lookup.RESOLVE_IN_ROOT) != 0 && p.startsWith("/")) {
      return p; // already the task's path: absolute on the host, or from the task's root
    }
    return ObjectPinner.under(where.root().view(natives.readlink("/proc/self/fd/" + base())), p);
  }
}
