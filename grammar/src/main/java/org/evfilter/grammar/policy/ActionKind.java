package org.evfilter.grammar.policy;

import java.util.Arrays;
import java.util.Optional;

/**
 * The actions a rule can take, declared in the kernel's seccomp precedence: when several rules
 * match, the one declared first here (the most restrictive) wins.
 */
public enum ActionKind {
  KILL_PROCESS("kill_process", Argument.NONE),
  KILL_THREAD("kill_thread", Argument.NONE),
  TRAP("trap", Argument.NONE),
  ERRNO("errno", Argument.REQUIRED),
  USER_NOTIF("user_notif", Argument.NONE),
  TRACE("trace", Argument.OPTIONAL),
  LOG("log", Argument.NONE),
  ALLOW("allow", Argument.NONE);

  /** Whether the action takes a value in parentheses: {@code errno(EPERM)}, {@code trace(7)}. */
  public enum Argument {
    NONE,
    OPTIONAL,
    REQUIRED
  }

  private final String keyword;
  private final Argument argument;

  ActionKind(String keyword, Argument argument) {
    this.keyword = keyword;
    this.argument = argument;
  }

  /** The word a policy uses. */
  public String keyword() {
    return keyword;
  }

  public Argument argument() {
    return argument;
  }

  /** Whether this action is more restrictive than {@code other} (wins over it). */
  public boolean outranks(ActionKind other) {
    return ordinal() < other.ordinal();
  }

  /**
   * Whether a call decided with this action is carried out: allowed, logged, or sent to the
   * supervisor, which performs what the policy lets through. The one definition of "lets the call
   * through" for whoever decides it.
   */
  public boolean permits() {
    return this == ALLOW || this == LOG || this == USER_NOTIF;
  }

  /**
   * Whether a seccomp program returning this action lets the call reach the kernel without a
   * supervisor deciding it: allow, log, and trace (a tracer decides then, not the policy).
   */
  public boolean passesUnsupervised() {
    return this == ALLOW || this == LOG || this == TRACE;
  }

  public static Optional<ActionKind> ofKeyword(String word) {
    return Arrays.stream(values()).filter(a -> a.keyword.equals(word)).findFirst();
  }
}
