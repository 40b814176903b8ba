package org.evfilter.lsm.landlock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
public record LandlockRuleset(int abi, long handled, List<Rule> rules, long scanned, Set<List<Long>> anchors) {
  public LandlockRuleset {
    rules = List.copyOf(rules);
    anchors = Set.copyOf(anchors);
  }

  /**
   * The inodes (device, inode) a rule is attached to and every directory above them: Landlock's
   * rules follow inodes, labels follow paths, so none of them may be moved, and no ruled file
   * linked, while the ruleset is in force (the supervisor refuses it; see {@code Supervisor}).
   */
  public Set<List<Long>> anchors() {
    return anchors;
  }

  // How the JVM encodes file names to bytes: the bytes the launcher must open.
  private static final java.nio.charset.Charset NATIVE = nativeCharset();

  private static java.nio.charset.Charset nativeCharset() {
    try {
      return java.nio.charset.Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    } catch (IllegalArgumentException e) {
      return StandardCharsets.UTF_8;
    }
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
    /**
     * The objects at or beneath {@code roots} (not following symbolic links) carrying label
     * xattrs, with their values.
     *
     * @throws IOException when the scan could not look at everything (then nothing is concluded)
     */
    Found find(List<Path> roots) throws IOException;
  }

  /**
   * An object carrying label xattrs: its path (bytes as ISO-8859-1 characters, as the supervisor
   * names paths), its type, and the value of each label xattr it carries.
   */
  public record Carrier(String path, FileType type, Map<String, byte[]> xattrs) {}

  /** What a scan found: how many objects it looked at, and those carrying label xattrs. */
  public record Found(long scanned, List<Carrier> carrying) {}

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
        if (rights != 0 && !n.directory() && n.links() != 1) {
          String why = n.path() + " has " + n.links() + " hard links: a Landlock rule on a file holds at every one of them,"
              + " a label by path at this one only";
          LandlockLowering.deciding(policy, plan, policy.labelBits().getOrDefault(g.label(), 0L), 0).forEach(nr -> excluded.putIfAbsent(nr, why));
          continue;
        }
        if (rights != 0) {
          byInode.merge(List.of(n.device(), n.inode()), new Rule(n.path(), n.device(), n.inode(), n.directory(), rights),
              (a, b) -> new Rule(a.path(), a.device(), a.inode(), a.directory(), a.rights() | b.rights()));
        }
      }
    }
    for (Rule r : byInode.values()) {
      mountedElsewhere(r.path()).ifPresent(why -> LandlockLowering.deciding(policy, plan,
          policy.labelBits().getOrDefault(labelOf(plan, r.path()), 0L), 0).forEach(nr -> excluded.putIfAbsent(nr, why)));
    }
    Found found;
    try {
      found = carriers.find(byInode.values().stream().map(Rule::path).toList());
    } catch (IOException e) {
      String why = e.getMessage() + ": labels xattrs give there are unknown";
      plan.lowered().keySet().forEach(nr -> excluded.putIfAbsent(nr, why));
      return new Built(Optional.empty(), excluded);
    }
    for (Carrier c : found.carrying()) {
      Optional<Long> x = labels.labelsFromXattrs(name -> Optional.ofNullable(c.xattrs().get(name)));
      if (x.isEmpty()) {
        continue;
      }
      long byPath = labels.byPath(c.path(), c.type());
      if (x.get() != byPath) {
        for (int nr : LandlockLowering.deciding(policy, plan, x.get(), byPath)) {
          excluded.putIfAbsent(nr, c.path() + " is labelled " + names(policy, x.get()) + " by its xattr and " + names(policy, byPath)
              + " by its path, which Landlock decides by");
        }
      }
    }
    if (!excluded.isEmpty()) {
      return new Built(Optional.empty(), excluded);
    }
    Set<List<Long>> anchors = new java.util.HashSet<>(byInode.keySet());
    for (Rule r : byInode.values()) {
      for (Path up = r.path().getParent(); up != null; up = up.getParent()) {
        anchors.add(List.of((Long) Files.getAttribute(up, "unix:dev"), (Long) Files.getAttribute(up, "unix:ino")));
      }
    }
    return new Built(Optional.of(new LandlockRuleset(plan.abi(), plan.handled(), new ArrayList<>(byInode.values()), found.scanned(),
        anchors)), Map.of());
  }

  private static String labelOf(LandlockPlan plan, Path p) {
    for (LandlockPlan.TreeGrant g : plan.trees()) {
      if (java.util.regex.Pattern.matches(g.regex(), p.toString())) {
        return g.label();
      }
    }
    return "";
  }

  // Why a ruled path's inode is reachable at another path too (a bind mount of it or of a directory
  // above it, or its file system mounted twice), if it is: /proc/self/mountinfo.
  static Optional<String> mountedElsewhere(Path path) {
    try {
      return mountedElsewhere(path, Files.readAllLines(Path.of("/proc/self/mountinfo")));
    } catch (IOException e) {
      return Optional.of("cannot read /proc/self/mountinfo (" + e.getMessage() + ") to rule out bind mounts of " + path);
    }
  }

  /** As above, with the lines of a {@code mountinfo}. */
  static Optional<String> mountedElsewhere(Path path, List<String> mountinfo) {
    List<String[]> mounts = new ArrayList<>();
    for (String line : mountinfo) {
      String[] f = line.split(" ");
      if (f.length > 4) {
        mounts.add(new String[] {f[2], unescape(f[3]), unescape(f[4])}); // device, root, mount point
      }
    }
    String[] home = null;
    for (String[] m : mounts) {
      if (under(path.toString(), m[2]) && (home == null || m[2].length() >= home[2].length())) {
        home = m; // the last mount on the longest prefix: the one the path is on
      }
    }
    if (home == null) {
      return Optional.empty();
    }
    String rel = path.toString().substring(home[2].equals("/") ? 0 : home[2].length());
    String inFs = (home[1].equals("/") ? "" : home[1]) + (rel.isEmpty() ? "" : rel);
    inFs = inFs.isEmpty() ? "/" : inFs;
    for (String[] m : mounts) {
      if (m == home || !m[0].equals(home[0])) {
        continue;
      }
      if (under(inFs, m[1]) || under(m[1], inFs)) {
        return Optional.of(path + " is also reachable through the mount at " + m[2] + " (" + m[1] + " of its file system):"
            + " Landlock's rules follow inodes, labels follow paths");
      }
    }
    return Optional.empty();
  }

  private static boolean under(String path, String dir) {
    return dir.equals("/") || path.equals(dir) || path.startsWith(dir + "/");
  }

  private static String unescape(String s) {
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
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
      byte[] path = r.path().toString().getBytes(NATIVE);
      out.writeBytes(String.format("rule %x %x %x %x\n", r.rights(), r.device(), r.inode(), path.length)
          .getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(path);
      out.write('\n');
    }
    return out.toByteArray();
  }
}
