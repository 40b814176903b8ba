package org.evfilter.lsm.landlock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.evfilter.events.vfs.VfsEvent.FileType;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * A plan's Landlock ruleset as it is built at launch: its file_contexts trees expanded against the
 * file system (each directory or file with the rights its label is granted, and its device and
 * inode, which the launcher checks again when it opens it), after a scan of everything beneath
 * them for label xattrs, which Landlock cannot see.
 *
 * @param abi the Landlock ABI version it is built for
 * @param handled the file-system rights it handles
 * @param rules one rule per directory or file
 * @param scanned how many objects the xattr scan looked at
 */
public record LandlockRuleset(int abi, long handled, List<Rule> rules, long scanned) {
  public LandlockRuleset {
    rules = List.copyOf(rules);
  }

  /** Rights on a directory (and everything beneath it) or on a file. */
  public record Rule(Path path, long device, long inode, boolean directory, long rights) {}

  /**
   * The ruleset, or why syscalls must leave it: an object whose xattr labels it otherwise than its
   * path, a tree entry that names a directory without its contents. Re-plan without {@code
   * excluded} and build again.
   */
  public record Built(Optional<LandlockRuleset> ruleset, Map<Integer, String> excluded) {}

  /** Finds the objects beneath some paths that carry label xattrs. */
  public interface Carriers {
    /** The objects at or beneath {@code roots} (not following symbolic links) carrying label xattrs. */
    Found find(List<Path> roots) throws IOException;

    /** A finder by the JDK's walk: every object is stat'ed, and {@code mayCarry} asks of each. */
    static Carriers walking(Predicate<Path> mayCarry) {
      return roots -> {
        long[] scanned = {0};
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
          Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              visit(dir);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              visit(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE; // gone, or unreadable: the supervisor could not label it either
            }

            private void visit(Path p) {
              scanned[0]++;
              if (mayCarry.test(p)) {
                out.add(p);
              }
            }
          });
        }
        return new Found(scanned[0], out);
      };
    }
  }

  /** What a scan found: how many objects it looked at, and those carrying label xattrs. */
  public record Found(long scanned, List<Path> carrying) {}

  /**
   * Builds {@code plan}'s ruleset on this file system; {@code carriers} finds the objects beneath
   * its trees that carry label xattrs, and {@code labels} reads them as the supervisor does.
   */
  public static Built build(BoundPolicy policy, LandlockPlan plan, LabelResolver labels, Carriers carriers) throws IOException {
    Map<Integer, String> excluded = new LinkedHashMap<>();
    Map<List<Long>, Rule> byInode = new LinkedHashMap<>();
    for (LandlockPlan.TreeGrant g : plan.trees()) {
      for (FileTree.Node n : g.tree().expand()) {
        if (n.directory() && !g.tree().subtree()) {
          String why = g + " names the directory " + n.path() + " but not what is in it; Landlock grants a directory's"
              + " contents with it";
          LandlockLowering.deciding(policy, plan, policy.labelBits().getOrDefault(g.label(), 0L), 0).forEach(nr -> excluded.putIfAbsent(nr, why));
          continue;
        }
        long rights = n.directory() ? g.rights() : g.rights() & FsAccess.onFiles();
        if (rights != 0) {
          byInode.merge(List.of(n.device(), n.inode()), new Rule(n.path(), n.device(), n.inode(), n.directory(), rights),
              (a, b) -> new Rule(a.path(), a.device(), a.inode(), a.directory(), a.rights() | b.rights()));
        }
      }
    }
    Found found = carriers.find(byInode.values().stream().map(Rule::path).toList());
    for (Path p : found.carrying()) {
      Optional<Long> x = labels.xattrLabels(p);
      if (x.isEmpty()) {
        continue;
      }
      long byPath = labels.byPath(p.toString(), type(p));
      if (x.get() != byPath) {
        for (int nr : LandlockLowering.deciding(policy, plan, x.get(), byPath)) {
          excluded.putIfAbsent(nr, p + " is labelled " + names(policy, x.get()) + " by its xattr and " + names(policy, byPath)
              + " by its path, which Landlock decides by");
        }
      }
    }
    if (!excluded.isEmpty()) {
      return new Built(Optional.empty(), excluded);
    }
    return new Built(Optional.of(new LandlockRuleset(plan.abi(), plan.handled(), new ArrayList<>(byInode.values()), found.scanned())), Map.of());
  }

  private static FileType type(Path p) {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return a.isDirectory() ? FileType.DIRECTORY : a.isRegularFile() ? FileType.REGULAR : a.isSymbolicLink() ? FileType.SYMLINK
          : FileType.UNKNOWN;
    } catch (IOException e) {
      return FileType.UNKNOWN;
    }
  }

  private static String names(BoundPolicy policy, long set) {
    return set == 0 ? "nothing" : String.join(", ", policy.labelNames(set));
  }

  /**
   * What the launcher reads ({@code evfilter-launch}): a line {@code landlock ABI HANDLED}, then
   * per rule a line {@code rule RIGHTS DEVICE INODE LENGTH} and the path's bytes and a newline
   * (numbers in hex; the path as bytes, so any name passes).
   */
  public byte[] serialise() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(String.format("landlock %x %x\n", abi, handled).getBytes(StandardCharsets.US_ASCII));
    for (Rule r : rules) {
      byte[] path = r.path().toString().getBytes(StandardCharsets.ISO_8859_1);
      out.writeBytes(String.format("rule %x %x %x %x\n", r.rights(), r.device(), r.inode(), path.length)
          .getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(path);
      out.write('\n');
    }
    return out.toByteArray();
  }
}
