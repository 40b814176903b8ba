package org.evfilter.lsm.landlock;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A file_contexts regex that names what Landlock can name: a path whose components each match
 * one name (literal, or a regex that cannot match {@code /}, as {@code [^/]+}), optionally
 * followed by {@code (/.*)?} for everything beneath it. Expanded against the file system at
 * launch, it is the directories and files Landlock rules are attached to.
 *
 * @param regex the entry's regex as written
 * @param components one regex per path component (literal ones unescaped in {@code literals})
 * @param literals each component's literal name, or null where it is a pattern
 * @param subtree whether the entry covers everything beneath what its components name
 */
record FileTree(String regex, List<String> components, List<String> literals, boolean subtree) {
  private static final String BENEATH = "(/.*)?";

  /** The tree a regex names, if it names one. */
  static Optional<FileTree> parse(String regex) {
    boolean subtree = regex.endsWith(BENEATH);
    String prefix = subtree ? regex.substring(0, regex.length() - BENEATH.length()) : regex;
    if (!prefix.startsWith("/")) {
      return Optional.empty();
    }
    List<String> components = new ArrayList<>();
    List<String> literals = new ArrayList<>();
    int depth = 0;
    StringBuilder cur = new StringBuilder();
    for (int i = 1; i <= prefix.length(); i++) {
      char c = i < prefix.length() ? prefix.charAt(i) : '/';
      if (c == '/' && depth == 0) {
        if (cur.isEmpty()) {
          if (i == prefix.length() && components.isEmpty()) {
            break; // "/" itself
          }
          return Optional.empty();
        }
        String comp = cur.toString();
        if (!oneName(comp)) {
          return Optional.empty();
        }
        components.add(comp);
        literals.add(literal(comp));
        cur.setLength(0);
        continue;
      }
      if (c == '\\' && i + 1 < prefix.length()) {
        cur.append(c).append(prefix.charAt(++i));
        continue;
      }
      if (c == '[') {
        int end = classEnd(prefix, i);
        if (end < 0) {
          return Optional.empty();
        }
        cur.append(prefix, i, end + 1);
        i = end;
        continue;
      }
      if (c == '/' || c == '^' || c == '$') {
        return Optional.empty(); // a slash inside a group spans components
      }
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (depth < 0 || c == '|' && depth == 0) {
        return Optional.empty();
      }
      cur.append(c);
    }
    return Optional.of(new FileTree(regex, List.copyOf(components), java.util.Collections.unmodifiableList(literals), subtree));
  }

  // Whether a component's regex matches names only, never across a slash.
  private static boolean oneName(String comp) {
    for (int i = 0; i < comp.length(); i++) {
      char c = comp.charAt(i);
      if (c == '\\') {
        char e = comp.charAt(i + 1);
        if (Character.isLetterOrDigit(e) && e != 'd' && e != 'w' || e == '/') {
          return false;
        }
        i++;
      } else if (c == '[') {
        int end = classEnd(comp, i);
        String body = comp.substring(i + 1, end);
        boolean negated = body.startsWith("^");
        boolean slash = body.contains("/");
        if (negated != slash || !negated && !body.matches("[A-Za-z0-9_.@+=:,~ -]*") || body.contains("\\") || body.contains("&&")
            || body.contains("[")) {
          return false; // a class that may match '/', or one too clever to tell
        }
        i = end;
      } else if (c == '.') {
        return false;
      }
    }
    try {
      Pattern.compile(comp);
      return true;
    } catch (java.util.regex.PatternSyntaxException e) {
      return false;
    }
  }

  private static int classEnd(String s, int open) {
    int i = open + 1;
    if (i < s.length() && s.charAt(i) == '^') {
      i++;
    }
    if (i < s.length() && s.charAt(i) == ']') {
      i++;
    }
    for (; i < s.length(); i++) {
      if (s.charAt(i) == '\\') {
        i++;
      } else if (s.charAt(i) == ']') {
        return i;
      }
    }
    return -1;
  }

  // The name a component matches, when it matches one only.
  private static String literal(String comp) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < comp.length(); i++) {
      char c = comp.charAt(i);
      if (c == '\\') {
        char e = comp.charAt(++i);
        if (Character.isLetterOrDigit(e)) {
          return null;
        }
        out.append(e);
      } else if (".^$?*+|[](){}".indexOf(c) >= 0) {
        return null;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Whether some path may be named by both this tree and {@code other} (conservative: true when
   * two patterns might match one name).
   */
  boolean mayOverlap(FileTree other) {
    int n = Math.min(components.size(), other.components.size());
    for (int i = 0; i < n; i++) {
      String a = literals.get(i);
      String b = other.literals.get(i);
      if (a != null && b != null ? !a.equals(b)
          : a != null ? !Pattern.matches(other.components.get(i), a)
          : b != null && !Pattern.matches(components.get(i), b)) {
        return false;
      }
    }
    int m = components.size();
    int o = other.components.size();
    return m == o || m < o && subtree || o < m && other.subtree;
  }

  /** The path's leading literal components ({@code /home/} of {@code /home/[^/]+}). */
  String literalPrefix() {
    StringBuilder out = new StringBuilder("/");
    for (String l : literals) {
      if (l == null) {
        return out.toString();
      }
      out.append(l).append('/');
    }
    return out.toString();
  }

  /**
   * Whether an entry whose regex is not a tree may match a path of this tree: conservatively, when
   * its literal start and this tree's are on one path.
   */
  boolean mayOverlap(String otherRegex) {
    String p = literalStart(otherRegex);
    String mine = literalPrefix();
    String m0 = mine.length() > 1 ? mine.substring(0, mine.length() - 1) : mine;
    return m0.startsWith(p) || p.startsWith(m0);
  }

  // What every match starts with: the characters before the first metacharacter, less the one a
  // quantifier makes optional; nothing when an alternative at the top may start anywhere.
  private static String literalStart(String regex) {
    int depth = 0;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '[') {
        int end = classEnd(regex, i);
        i = end < 0 ? regex.length() : end;
      } else if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == '|' && depth == 0) {
        return "";
      }
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (".^$?*+|[](){}\\".indexOf(c) >= 0) {
        if ((c == '?' || c == '*' || c == '{') && out.length() > 0) {
          out.setLength(out.length() - 1);
        }
        break;
      }
      out.append(c);
    }
    return out.toString();
  }

  /** One place the tree names on this file system. */
  record Node(Path path, boolean directory, long device, long inode, int links) {}

  /**
   * What the tree names now: every existing path it matches, reached through directories that are
   * not symbolic links (a link's target is labelled by its own path). A symbolic link it names
   * itself is left out for the same reason.
   */
  List<Node> expand() throws IOException {
    List<Path> level = List.of(Path.of("/"));
    for (int i = 0; i < components.size(); i++) {
      List<Path> next = new ArrayList<>();
      String lit = literals.get(i);
      Pattern p = lit == null ? Pattern.compile(components.get(i)) : null;
      for (Path dir : level) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        if (lit != null) {
          if (!lit.isEmpty() && !lit.equals(".") && !lit.equals("..")) {
            next.add(dir.resolve(lit));
          }
          continue;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
          for (Path child : s) {
            if (p.matcher(child.getFileName().toString()).matches()) {
              next.add(child);
            }
          }
        } catch (IOException e) {
          // An unreadable directory names nothing Landlock could be given either.
        }
      }
      level = next;
    }
    List<Node> out = new ArrayList<>();
    for (Path path : level) {
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        continue; // not there (yet): Landlock cannot be given it
      }
      if (a.isSymbolicLink()) {
        continue;
      }
      Object key = Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      long ino = (Long) Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS);
      int links = (Integer) Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
      out.add(new Node(path, a.isDirectory(), (Long) key, ino, links));
    }
    return out;
  }
}
