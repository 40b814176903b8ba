package org.evfilter.lsm.supervise;

import java.util.List;
import org.evfilter.lsm.natives.SeccompListener;

/**
 * One notified syscall being answered: where to answer it, the notification, the syscall's name and
 * the objects pinned for it (closed by the supervisor once it is answered).
 */
record Call(Channel channel, SeccompListener.Notification n, String name, List<PinnedObject> targets) {
  long arg(int index) {
    return n.args()[index];
  }
}
