package org.evfilter.lsm.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A cgroup v2 leaf made for one run, {@code <mount>/<parent>/run-<pid>-<n>} where {@code pid} is
 * the process that made it: cgroup programs are attached to it, the run's processes moved into it,
 * and it is removed when they are gone. A leaf whose maker died without removing it (killed) is
 * removed at the next creation under the same parent, once it is empty.
 */
public final class CgroupLeaf implements AutoCloseable {
  /** The parent cgroup evfilter's runs go under. */
  public static final String PARENT = "evfilter";

  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
  private static final Pattern LEAF = Pattern.compile("run-(\\d+)-\\d+");
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final Path dir;
  private boolean removed;

  private CgroupLeaf(Path dir) {
    this.dir = dir;
  }

  /** Where cgroup v2 is mounted, from {@code /proc/self/mountinfo}. */
  public static Optional<Path> mount() {
    try {
      return mount(Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The first cgroup2 mount point among mountinfo lines (the file system type follows the {@code -} separator). */
  static Optional<Path> mount(List<String> mountinfo) {
    for (String line : mountinfo) {
      String[] f = line.split(" ");
      for (int i = 6; i + 1 < f.length; i++) {
        if (f[i].equals("-")) {
          if (f[i + 1].equals("cgroup2")) {
            return Optional.of(Path.of(f[4].replace("\\040", " ")));
          }
          break;
        }
      }
    }
    return Optional.empty();
  }

  /** A new leaf under {@link #PARENT} of the cgroup v2 mount. */
  public static CgroupLeaf create() {
    Path mount = mount().orElseThrow(() -> new CgroupException(new CgroupError(CgroupError.Kind.NOT_MOUNTED, MOUNTINFO, "")));
    return create(mount.resolve(PARENT));
  }

  /**
   * A new leaf under {@code parent} (made if missing), after removing the empty leaves there whose
   * makers are dead.
   */
  public static CgroupLeaf create(Path parent) {
    makeParent(parent);
    removeStale(parent);
    long self = ProcessHandle.current().pid();
    while (true) {
      Path dir = parent.resolve("run-" + self + "-" + SEQUENCE.getAndIncrement());
      try {
        Files.createDirectory(dir);
        return new CgroupLeaf(dir);
      } catch (FileAlreadyExistsException taken) {
        // Left by an earlier process with this pid: take the next number.
      } catch (NoSuchFileException parentGone) {
        makeParent(parent); // the last leaf of another run went, and its parent with it: make it again
      } catch (IOException e) {
        throw new CgroupException(new CgroupError(CgroupError.Kind.NOT_WRITABLE, parent, reason(e)));
      }
    }
  }

  /**
   * Removes the leaves under {@code parent} whose maker is no longer running and which hold no
   * process; the paths removed.
   */
  public static List<Path> removeStale(Path parent) {
    List<Path> gone = new ArrayList<>();
    try (Stream<Path> s = Files.list(parent)) {
      for (Path dir : s.toList()) {
        Matcher m = LEAF.matcher(dir.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty() && rmdir(dir)) {
          gone.add(dir);
        }
      }
    } catch (IOException e) {
      return gone;
    }
    return gone;
  }

  /** The leaf's directory: the target of cgroup program attachments. */
  public Path path() {
    return dir;
  }

  /** Moves process {@code pid} (all its threads) into the leaf; its later children are born there. */
  public void moveIn(long pid) {
    try {
      Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid), StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new CgroupException(new CgroupError(CgroupError.Kind.MOVE_REFUSED, dir, reason(e)));
    }
  }

  /** The processes in the leaf now. */
  public List<Long> pids() {
    try {
      return Files.readAllLines(dir.resolve("cgroup.procs")).stream().filter(l -> !l.isBlank()).map(Long::parseLong).toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new CgroupException(new CgroupError(CgroupError.Kind.NOT_WRITABLE, dir, reason(e)));
    }
  }

  /**
   * Whether a process is in the leaf or below it ({@code populated} of {@code cgroup.events}, which
   * the kernel updates when the last one exits and which {@code poll} can wait on).
   */
  public boolean populated() {
    try {
      return Files.readAllLines(dir.resolve("cgroup.events")).contains("populated 1");
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new CgroupException(new CgroupError(CgroupError.Kind.NOT_WRITABLE, dir, reason(e)));
    }
  }

  /**
   * Removes the leaf if no process is in it (the kernel detaches its programs with it); false when
   * processes remain, so it stays for {@link #removeStale} after this process dies.
   */
  public boolean remove() {
    if (!removed) {
      removed = rmdir(dir);
      if (removed && dir.getParent().getFileName().toString().equals(PARENT)) {
        rmdir(dir.getParent()); // the machine as it was before the first run: fails while other runs' leaves remain
      }
    }
    return removed;
  }

  private static void makeParent(Path parent) {
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new CgroupException(new CgroupError(CgroupError.Kind.NOT_WRITABLE, parent, reason(e)));
    }
  }

  /** {@link #remove()}. */
  @Override
  public void close() {
    remove();
  }

  private static boolean rmdir(Path dir) {
    try {
      Files.delete(dir);
      return true;
    } catch (NoSuchFileException gone) {
      return true;
    } catch (FileSystemException busy) {
      return false; // EBUSY: processes (or a child cgroup) remain
    } catch (IOException e) {
      return false;
    }
  }

  private static String reason(IOException e) {
    return e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage());
  }
}
