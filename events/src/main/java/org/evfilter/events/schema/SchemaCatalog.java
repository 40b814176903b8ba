package org.evfilter.events.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Event schemas by {@code SUBSYSTEM/EVENT}: the bundled x86_64 syscall snapshot, or the events of
 * a mounted tracefs.
 *
 * <p>The snapshot ({@code x86_64-syscalls.format}) holds {@code syscalls/sys_enter_*},
 * {@code syscalls/sys_exit_*} and {@code raw_syscalls/*}, taken from a real kernel by {@code
 * events/scripts/snapshot-tracefs-formats.sh}.
 */
public final class SchemaCatalog {
  private static final String SNAPSHOT = "x86_64-syscalls.format";

  private final Map<String, EventSchema> schemas;
  private final String origin;

  private SchemaCatalog(Map<String, EventSchema> schemas, String origin) {
    this.schemas = Collections.unmodifiableMap(schemas);
    this.origin = origin;
  }

  /** The schemas bundled with evfilter (x86_64 syscall events). */
  public static SchemaCatalog bundled() {
    return Bundled.INSTANCE;
  }

  /**
   * Every event of a mounted tracefs, read lazily: {@code root} is the tracefs mount (or an
   * instance directory) holding {@code events/}.
   */
  public static Optional<EventSchema> fromTracefs(Path root, String path) {
    Path format = root.resolve("events").resolve(path).resolve("format");
    if (!path.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+") || !Files.isRegularFile(format)) {
      return Optional.empty();
    }
    try {
      String text = Files.readString(format, StandardCharsets.ISO_8859_1);
      return Optional.of(FormatFile.parse(path.substring(0, path.indexOf('/')), text));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + format, e);
    }
  }

  /**
   * Parses a snapshot: format files concatenated, each after a line {@code ### SUBSYSTEM/EVENT};
   * lines starting with {@code #} before the first event are comments.
   */
  public static SchemaCatalog parseSnapshot(String text, String origin) {
    Map<String, EventSchema> schemas = new LinkedHashMap<>();
    String current = null;
    int currentLine = 0;
    StringBuilder body = new StringBuilder();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i <= lines.length; i++) {
      boolean end = i == lines.length;
      if (end || lines[i].startsWith("### ")) {
        if (current != null) {
          try {
            schemas.put(current, FormatFile.parse(current.substring(0, current.indexOf('/')), body.toString()));
          } catch (FormatFileException e) {
            throw new FormatFileException(currentLine + e.line(), origin + ": " + e.reason());
          }
        }
        if (!end) {
          current = lines[i].substring(4).trim();
          if (current.indexOf('/') <= 0) {
            throw new FormatFileException(i + 1, origin + ": expected '### SUBSYSTEM/EVENT'");
          }
          currentLine = i + 1;
          body.setLength(0);
        }
      } else if (current != null) {
        body.append(lines[i]).append('\n');
      }
    }
    return new SchemaCatalog(schemas, origin);
  }

  /** The schema of {@code SUBSYSTEM/EVENT}, if this catalog has it. */
  public Optional<EventSchema> find(String path) {
    return Optional.ofNullable(schemas.get(path));
  }

  /** All {@code SUBSYSTEM/EVENT} names, in snapshot order. */
  public Set<String> events() {
    return schemas.keySet();
  }

  /** Where the schemas came from, for messages. */
  public String origin() {
    return origin;
  }

  private static final class Bundled {
    static final SchemaCatalog INSTANCE = load();

    private static SchemaCatalog load() {
      try (InputStream in = SchemaCatalog.class.getResourceAsStream(SNAPSHOT)) {
        if (in == null) {
          throw new IllegalStateException("bundled schema snapshot " + SNAPSHOT + " is missing");
        }
        return parseSnapshot(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1), SNAPSHOT);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
