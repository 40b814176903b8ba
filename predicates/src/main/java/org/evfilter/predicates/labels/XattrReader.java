package org.evfilter.predicates.labels;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Optional;

/**
 * Reads an extended attribute of a file (not following a final symlink). The JDK reads only the
 * {@code user.} namespace ({@link #USER_ONLY}); the enforcement module supplies a reader for every
 * namespace, {@code security.selinux} included.
 */
public interface XattrReader {
  /** The value of {@code name} (e.g. {@code user.evfilter.label}), if the file has it. */
  Optional<byte[]> read(Path file, String name);

  /**
   * The value of {@code name} on the object open as descriptor {@code fd} of this process (what it
   * is now, whatever its path). By default through {@code /proc/self/fd/N}, following it.
   */
  default Optional<byte[]> readOpen(int fd, String name) {
    return USER_ONLY_FOLLOWING.read(Path.of("/proc/self/fd/" + fd), name);
  }

  /** {@code user.*} attributes through the JDK; others are never found. */
  XattrReader USER_ONLY = (file, name) -> userAttribute(file, name, LinkOption.NOFOLLOW_LINKS);

  /** As {@link #USER_ONLY}, following a final symlink (such as {@code /proc/self/fd/N}). */
  XattrReader USER_ONLY_FOLLOWING = (file, name) -> userAttribute(file, name);

  private static Optional<byte[]> userAttribute(Path file, String name, LinkOption... options) {
    if (!name.startsWith("user.")) {
      return Optional.empty();
    }
    try {
      UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, options);
      String key = name.substring("user.".length());
      if (view == null || !view.list().contains(key)) {
        return Optional.empty();
      }
      ByteBuffer buf = ByteBuffer.allocate(view.size(key));
      view.read(key, buf);
      return Optional.of(java.util.Arrays.copyOf(buf.array(), buf.position()));
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }
}
