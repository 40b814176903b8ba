package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.ENOENT;

import java.nio.charset.StandardCharsets;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * The object a syscall names: where it is ({@code canonical} when it was resolved, else null), what
 * it is labelled, and a descriptor pinning it ({@code pinned}, -1 when it was absent; {@code base},
 * the directory a relative {@code path} is in, -1 for an absolute one).
 *
 * @param absentErrno why the object could not be pinned (ENOENT, ENOTDIR, EACCES), 0 when it was
 */
record PinnedObject(byte[] path, String canonical, int base, int pinned, LabelResolver.Identity identity, long labels,
    int absentErrno) {
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
    String p = new String(path, StandardCharsets.ISO_8859_1);
    if (base < 0) {
      return p;
    }
    return ObjectPinner.under(natives.where(base), p);
  }
}
