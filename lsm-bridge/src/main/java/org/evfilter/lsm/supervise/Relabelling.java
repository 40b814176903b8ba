package org.evfilter.lsm.supervise;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import java.nio.file.FileVisitResult;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.evfilter.events.vfs.VfsEvent.FileType;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * Labels belong to objects: what a move, a link or an xattr write would make of an object's label
 * set, computed as the {@link LabelResolver} computes it (an object's label xattrs go with it
 * wherever it goes; file_contexts labels it by the path it is at). The supervisor refuses, with
 * EXDEV, a link, rename or exchange after which an object, or anything beneath a moved directory,
 * would carry other labels than before; and it decides a label xattr's write with {@code
 * new_label}, the set the object would carry after it.
 */
final class Relabelling {
  private final LabelResolver labels;

  Relabelling(LabelResolver labels) {
    this.labels = labels;
  }

  /** Whether {@code name} is an xattr that labels its object ({@link LabelResolver#XATTRS}). */
  static boolean labelling(byte[] name) {
    String n = new String(name, java.nio.charset.StandardCharsets.ISO_8859_1);
    return LabelResolver.XATTRS.contains(n);
  }

  /**
   * Whether the object {@code object} (a path the supervisor walks, not following a final
   * symlink), at {@code from} as the task sees it, keeps its label set, and every object beneath it
   * when it is a directory, once it is also or only at {@code to}. False when that cannot be found
   * out (an entry beneath it that cannot be read): then the move is refused, never made unchecked.
   */
  boolean keeps(Path object, String from, String to) {
    String here = trimmed(from);
    String there = trimmed(to);
    if (here.equals(there)) {
      return true;
    }
    if (!Files.exists(object, LinkOption.NOFOLLOW_LINKS)) {
      return true; // nothing is moved: the kernel answers (ENOENT)
    }
    boolean[] kept = {true};
    try {
      Files.walkFileTree(object, new SimpleFileVisitor<Path>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) throws IOException {
          return visitFile(dir, a);
        }

        @Override
        public FileVisitResult visitFile(Path inside, BasicFileAttributes a) throws IOException {
          String beneath = inside.toString().substring(object.toString().length());
          kept[0] = keepsOne(inside, a, here + beneath, there + beneath);
          return kept[0] ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path object, IOException e) throws IOException {
          throw e;
        }
      });
      return kept[0];
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  // One object: its xattrs label it wherever it is; else its path does, here and there. One
  // llistxattr tells most objects carry no label xattr.
  private boolean keepsOne(Path object, BasicFileAttributes a, String here, String there) throws IOException {
    if (LinuxXattrs.mayCarry(object, LabelResolver.XATTRS) && labels.xattrLabels(object).isPresent()) {
      return true;
    }
    FileType type = a.isDirectory() ? FileType.DIRECTORY : a.isRegularFile() ? FileType.REGULAR : a.isSymbolicLink() ? FileType.SYMLINK
        : LabelResolver.type((Integer) Files.getAttribute(object, "unix:mode", LinkOption.NOFOLLOW_LINKS));
    return labels.byPath(here, type) == labels.byPath(there, type);
  }

  /**
   * Whether an object that is not a directory (a hard link's target, pinned), its label xattrs
   * read by {@code xattr}, keeps its label set once it is also at {@code to}.
   */
  boolean keeps(Function<String, Optional<byte[]>> xattr, int mode, String from, String to) {
    FileType type = LabelResolver.type(mode);
    return labels.labelsFromXattrs(xattr).isPresent() || labels.byPath(trimmed(from), type) == labels.byPath(trimmed(to), type);
  }

  /**
   * The label set an object at {@code path} of mode {@code mode} carries once the label xattr
   * {@code name} is set to {@code value} (removed when empty), {@code current} reading the value
   * of each label xattr it carries now: another label xattr of higher precedence still decides,
   * and with none left, file_contexts labels it by its path.
   */
  long after(Function<String, Optional<byte[]>> current, String name, Optional<byte[]> value, String path, int mode) {
    Optional<Long> set = labels.labelsFromXattrs(x -> x.equals(name) ? value : current.apply(x));
    return set.orElseGet(() -> labels.byPath(trimmed(path), LabelResolver.type(mode)));
  }

  // "a/b/" is "a/b": file_contexts matches paths without a trailing slash.
  private static String trimmed(String path) {
    int end = path.length();
    while (end > 1 && path.charAt(end - 1) == '/') {
      end--;
    }
    return path.substring(0, end);
  }
}
