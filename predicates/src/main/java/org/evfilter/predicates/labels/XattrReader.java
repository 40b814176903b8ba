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

  /** {@code user.*} attributes through the JDK; others are never found. */
  XattrReader USER_ONLY = (file, name) -> {
    if (!name.startsWith("user.")) {
      return Optional.empty();
    }
    try {
      UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
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
  };
}
