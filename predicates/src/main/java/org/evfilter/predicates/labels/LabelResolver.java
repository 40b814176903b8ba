package org.evfilter.predicates.labels;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.vfs.VfsEvent.FileType;

/**
 * Resolves an object's label set: the {@code user.evfilter.label} xattr on the inode, else its
 * {@code security.selinux} context's type (where the {@link XattrReader} can read it), else the
 * file_contexts rules on the path. What the xattrs say is cached by (device, inode, ctime): a
 * change to the inode (setxattr, chmod) changes ctime and so the key. What the path says is
 * cached by the path: the same inode reached by another hard link, or after its directory was
 * renamed (which leaves the inode's ctime alone), is labelled by the path it is reached by now.
 */
public final class LabelResolver {
  /** The xattrs that label an inode, in order of precedence. */
  public static final java.util.List<String> XATTRS = java.util.List.of("user.evfilter.label", "security.selinux");

  private final Map<String, Long> bits;
  private final FileContexts rules;
  // Per inode: the labels its xattrs give, if they give any.
  private final Cache<InodeKey, Optional<Long>> cache;
  private final Cache<PathKey, Long> byPathCache;

  private record PathKey(String path, FileType type) {}
  private final XattrReader xattrs;

  private record InodeKey(long device, long inode, long ctimeNanos) {}

  /**
   * @param bits the declared labels and their bits
   * @param rules the file_contexts rules
   * @param cacheSize how many inodes' label sets to keep
   */
  public LabelResolver(Map<String, Long> bits, FileContexts rules, long cacheSize) {
    this(bits, rules, cacheSize, XattrReader.USER_ONLY);
  }

  /** As above, reading xattrs with {@code xattrs} (one that reads {@code security.*} too). */
  public LabelResolver(Map<String, Long> bits, FileContexts rules, long cacheSize, XattrReader xattrs) {
    this.xattrs = xattrs;
    this.bits = Map.copyOf(bits);
    this.rules = rules;
    // Upkeep on the calling thread, as the decision cache's (see DecisionCache).
    this.cache = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).recordStats().build();
    this.byPathCache = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).build();
  }

  /** The label set of the object at {@code path}; by the path alone when the file does not exist. */
  public long labels(String path) {
    Path p = Path.of(path);
    try {
      Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino,ctime,mode", LinkOption.NOFOLLOW_LINKS);
      InodeKey key = new InodeKey((Long) a.get("dev"), (Long) a.get("ino"), nanos((FileTime) a.get("ctime")));
      FileType type = type((Integer) a.get("mode"));
      Optional<Long> x = cache.get(key, k -> xattr(p));
      return x.isPresent() ? x.get() : cachedByPath(path, type);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return byPath(path, FileType.UNKNOWN);
    }
  }

  /** What identifies an inode's labels: device, inode, change time (an xattr change updates it), mode. */
  public record Identity(long device, long inode, long ctimeNanos, int mode) {}

  /**
   * The label set of the object this process has open as {@code fd}: its xattrs read through the
   * descriptor (the object itself, even if its path changed since), its identity {@code id} (from
   * {@code fstat}), the file_contexts rules applied to {@code path}, asked only when its xattrs
   * give it no labels and there are rules.
   */
  public long labelsOfOpen(int fd, Identity id, java.util.function.Supplier<String> path) {
    InodeKey key = new InodeKey(id.device(), id.inode(), id.ctimeNanos());
    Optional<Long> x = cache.get(key, k -> xattrOfOpen(fd));
    if (x.isPresent()) {
      return x.get();
    }
    return rules.entries().isEmpty() ? 0 : cachedByPath(path.get(), type(id.mode()));
  }

  /**
   * The label set of an object that is not there (or not reachable) at {@code path}: what the
   * file_contexts rules give the path, whatever lies there now; {@code path} is asked only when
   * there are rules.
   */
  public long labelsOfAbsent(java.util.function.Supplier<String> path) {
    return rules.entries().isEmpty() ? 0 : cachedByPath(path.get(), FileType.UNKNOWN);
  }

  private long cachedByPath(String path, FileType type) {
    return byPathCache.get(new PathKey(path, type), k -> byPath(k.path(), k.type()));
  }

  /** The label set the rules give a path of a type (no file system access). */
  public long byPath(String path, FileType type) {
    return rules.label(path, type).map(this::bitsOf).orElse(0L);
  }

  /** Hits, misses and evictions of the label cache. */
  public org.evfilter.predicates.eval.AvcStats cacheStats() {
    var s = cache.stats();
    return new org.evfilter.predicates.eval.AvcStats(s.requestCount(), s.hitCount(), s.missCount(), s.evictionCount());
  }

  /** The label set the xattrs of the object at {@code p} (not following a final symlink) give it, if they give one. */
  public Optional<Long> xattrLabels(Path p) {
    return xattr(p);
  }

  private Optional<Long> xattr(Path p) {
    return xattr(name -> xattrs.read(p, name));
  }

  private Optional<Long> xattrOfOpen(int fd) {
    return xattr(name -> xattrs.readOpen(fd, name));
  }

  /**
   * The label set xattrs give an object, {@code read} giving the value of each xattr it carries
   * ({@link #XATTRS}, in order of precedence), if they give one.
   */
  public Optional<Long> labelsFromXattrs(java.util.function.Function<String, Optional<byte[]>> read) {
    return xattr(read);
  }

  private Optional<Long> xattr(java.util.function.Function<String, Optional<byte[]>> read) {
    for (String name : XATTRS) {
      Optional<byte[]> value = read.apply(name);
      if (value.isPresent()) {
        String text = new String(value.get(), StandardCharsets.UTF_8).replace("\0", "").strip();
        long set = 0;
        for (String part : text.split("[,\\s]+")) {
          if (!part.isEmpty()) {
            String[] fields = part.split(":");
            set |= bitsOf(fields.length >= 3 ? fields[2] : part);
          }
        }
        return Optional.of(set);
      }
    }
    return Optional.empty();
  }

  private long bitsOf(String label) {
    return bits.getOrDefault(label, 0L);
  }

  private static long nanos(FileTime t) {
    return t.to(java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** The file type a {@code st_mode} names. */
  public static FileType type(int mode) {
    return switch (mode & 0170000) {
      case 0100000 -> FileType.REGULAR;
      case 0040000 -> FileType.DIRECTORY;
      case 0120000 -> FileType.SYMLINK;
      case 0020000 -> FileType.CHARACTER_DEVICE;
      case 0060000 -> FileType.BLOCK_DEVICE;
      case 0010000 -> FileType.FIFO;
      case 0140000 -> FileType.SOCKET;
      default -> FileType.UNKNOWN;
    };
  }

  /** A resolver that knows no labels. */
  public static LabelResolver none() {
    return new LabelResolver(Map.of(), FileContexts.of(List.of()), 1);
  }
}
