package org.evfilter.events.vfs;

import java.util.List;
import java.util.Objects;
import org.evfilter.events.SyscallEvent;

/**
 * A file-system operation derived from a syscall that carries paths: what is done ({@code op}),
 * to which paths (the object first; a rename's or link's second path is the new name, a symlink's
 * the target), with which access ({@link Access} bits), and what is known of the object: device and
 * inode, type, label set, owner (-1 or {@link FileType#UNKNOWN} where a trace does not say).
 */
public record VfsEvent(
    VfsOp op,
    List<String> paths,
    int access,
    long device,
    long inode,
    FileType fileType,
    long labels,
    int uid,
    int gid,
    SyscallEvent source) {

  /** Access bits, as the kernel's {@code MAY_*}. */
  public static final class Access {
    public static final int EXEC = 1;
    public static final int WRITE = 2;
    public static final int READ = 4;
    public static final int APPEND = 8;

    private Access() {}
  }

  /** The object's type, as {@code S_IFMT} would say. */
  public enum FileType {
    UNKNOWN,
    REGULAR,
    DIRECTORY,
    SYMLINK,
    CHARACTER_DEVICE,
    BLOCK_DEVICE,
    FIFO,
    SOCKET
  }

  public VfsEvent {
    Objects.requireNonNull(op, "op");
    paths = List.copyOf(paths);
    Objects.requireNonNull(fileType, "fileType");
    Objects.requireNonNull(source, "source");
    if (paths.isEmpty()) {
      throw new IllegalArgumentException("a VFS event has at least one path");
    }
  }

  /** The object's path. */
  public String path() {
    return paths.get(0);
  }

  /** The same event with the object's label set. */
  public VfsEvent withLabels(long labelSet) {
    return new VfsEvent(op, paths, access, device, inode, fileType, labelSet, uid, gid, source);
  }
}
