package org.evfilter.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FormatFile;

/** A tracefs {@code format} file given on the command line, as an event schema. */
final class FormatFiles {
  private FormatFiles() {}

  /**
   * Reads {@code file}; tracefs keeps formats at {@code events/SUBSYSTEM/EVENT/format}, so the
   * subsystem is taken from the path where there is one.
   */
  static EventSchema read(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    String system = Optional.ofNullable(dir).map(Path::getParent).map(Path::getFileName).map(Path::toString).orElse("event");
    return FormatFile.parse(system, Files.readString(file, StandardCharsets.ISO_8859_1));
  }
}
