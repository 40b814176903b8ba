package org.evfilter.lsm.supervise;

/**
 * The root directory a task's absolute paths start from, as the supervisor's readlink prints it
 * ({@code /} for a task in the supervisor's root, or in a mount namespace of its own, where
 * readlink prints the paths of that namespace): what turns the path of an object the supervisor
 * reads back from a descriptor into the path the task sees, which file_contexts labels.
 */
record TaskRoot(String printed) {
  /** The supervisor's own root. */
  static final TaskRoot HOST = new TaskRoot("/");

  /** Whether {@code path}, as readlink prints it, is at or beneath this root. */
  boolean holds(String path) {
    return printed.equals("/") ? path.startsWith("/") : path.equals(printed) || path.startsWith(printed + "/");
  }

  /**
   * The path the task sees of an object readlink printed as {@code path}; an object outside the
   * task's root (reached through a descriptor from elsewhere) keeps the path the supervisor sees.
   */
  String view(String path) {
    if (printed.equals("/") || !holds(path)) {
      return path;
    }
    return path.length() == printed.length() ? "/" : path.substring(printed.length());
  }
}
