package org.evfilter.predicates.labels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.evfilter.events.vfs.VfsEvent.FileType;

/**
 * Label rules in SELinux {@code file_contexts} syntax ({@code REGEX [-TYPE] CONTEXT}), matched with
 * SELinux's precedence: the regex is anchored at both ends; an entry without regex metacharacters
 * beats every entry with them, and otherwise the last matching entry in the file wins. An entry with
 * a file type applies only to that type. The label is the context's type ({@code tmp_t} of {@code
 * system_u:object_r:tmp_t:s0}), or the context itself when it is a bare name; {@code <<none>>}
 * means "no label".
 */
public final class FileContexts {
  /**
   * One entry.
   *
   * @param line its place among all entries read (later ones take precedence)
   * @param origin where it was written, {@code FILE:LINE}
   */
  public record Entry(int line, Pattern regex, Optional<FileType> type, Optional<String> label, boolean literal, String origin) {}

  private final List<Entry> byPrecedence;

  private FileContexts(List<Entry> entries) {
    List<Entry> sorted = new ArrayList<>(entries);
    // Highest precedence first: literal entries, then later entries before earlier ones.
    sorted.sort(Comparator.comparing(Entry::literal).reversed().thenComparing(Comparator.comparingInt(Entry::line).reversed()));
    this.byPrecedence = List.copyOf(sorted);
  }

  public static FileContexts of(List<Entry> entries) {
    return new FileContexts(entries);
  }

  /** The label of {@code path}, if an entry gives one. */
  public Optional<String> label(String path, FileType type) {
    for (Entry e : byPrecedence) {
      if (e.type.isPresent() && type != FileType.UNKNOWN && e.type.get() != type) {
        continue;
      }
      if (e.regex.matcher(path).matches()) {
        return e.label;
      }
    }
    return Optional.empty();
  }

  public List<Entry> entries() {
    return byPrecedence;
  }

  /** The file type of a {@code -TYPE} column. */
  public static Optional<FileType> type(String column) {
    return switch (column) {
      case "--" -> Optional.of(FileType.REGULAR);
      case "-d" -> Optional.of(FileType.DIRECTORY);
      case "-c" -> Optional.of(FileType.CHARACTER_DEVICE);
      case "-b" -> Optional.of(FileType.BLOCK_DEVICE);
      case "-s" -> Optional.of(FileType.SOCKET);
      case "-p" -> Optional.of(FileType.FIFO);
      case "-l" -> Optional.of(FileType.SYMLINK);
      default -> Optional.empty();
    };
  }

  /** Whether a regex has metacharacters (SELinux's test for a literal path). */
  public static boolean literal(String regex) {
    for (char c : regex.toCharArray()) {
      if (".^$?*+|[({\\".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }
}
