package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.ENOENT;
import static org.evfilter.events.syscalls.FileFlags.AT_FDCWD;

import java.nio.charset.StandardCharsets;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * The object a syscall names: where it is looked up ({@code path} from {@code base}, -1 for the
 * supervisor's own root, the lookup bound by the openat2 resolve flags {@code within}, the task's
 * paths read back through {@code root}), where it is as the task sees it ({@code canonical} when it
 * was resolved, else null), what it is labelled, and a descriptor pinning it ({@code pinned}, -1
 * when it was absent). The lookup's parts are fields of their own, not a {@link Lookup}: one
 * object per pinned path on the supervisor's hot path.
 *
 * @param absentErrno why the object could not be pinned (ENOENT, ENOTDIR, EACCES), 0 when it was
 */
record PinnedObject(byte[] path, String canonical, int base, int pinned, LabelResolver.Identity identity, long labels,
    int absentErrno, long within, TaskRoot root) {
  boolean present() {
    return pinned >= 0;
  }

  /** The directory to pass to an *at call: {@code base}, or AT_FDCWD for the supervisor's own. */
  int dirfd() {
    return base < 0 ? AT_FDCWD : base;
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
    if (base < 0 || (within & Lookup.RESOLVE_IN_ROOT) != 0 && p.startsWith("/")) {
      return p; // already the task's path: absolute on the host, or from the task's root
    }
    return ObjectPinner.under(root.view(natives.where(base)), p);
  }
}
