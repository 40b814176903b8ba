package org.evfilter.lsm.supervise;

import java.util.List;
import org.evfilter.lsm.natives.SeccompListener;

/**
 * One notified syscall being answered: where to answer it, the notification, the syscall's name,
 * the objects pinned for it (closed by the supervisor once it is answered) and, for messages, what
 * else it names (a socket call's endpoint).
 */
record Call(Channel channel, SeccompListener.Notification n, String name, List<PinnedObject> targets, List<String> named) {
  /** Answers the notification; false when it is gone. */
  boolean answer(NotificationAnswer a) {
    return channel.answer(n.id(), a);
  }

  long arg(int index) {
    return n.args()[index];
  }
}
