package org.evfilter.lsm.supervise;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** A channel to a made-up task: records each answer as text ({@code addfd} for an injected descriptor). */
final class RecordingChannel implements Channel {
  final List<String> answers = new ArrayList<>();
  /** Whether the notification is still pending (false: the task is gone). */
  boolean pending = true;
  /** Thrown by the next injection, when set. */
  RuntimeException injectFails;
  private final IntFunction<String> describe;

  /** {@code describe}: what an injected descriptor is, appended to {@code addfd} (null: nothing). */
  RecordingChannel(IntFunction<String> describe) {
    this.describe = describe;
  }

  @Override
  public boolean valid(long id) {
    return pending;
  }

  @Override
  public boolean answer(long id, NotificationAnswer a) {
    answers.add(a.toString());
    return true;
  }

  @Override
  public int inject(long id, int fd, boolean cloexec) {
    if (injectFails != null) {
      throw injectFails;
    }
    answers.add(describe == null ? "addfd" : "addfd " + describe.apply(fd));
    return 3;
  }
}
