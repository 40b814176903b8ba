package org.evfilter.events.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads tracefs {@code events/SUBSYSTEM/EVENT/format} files into {@link EventSchema}s.
 *
 * <p>The field lines look like {@code field:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;}.
 * An array's bracket belongs to the type ({@code char[16]}), as the kernel stores it, so that
 * {@link FieldKind#ofCType} classifies it the way {@code filter_assign_type()} does.
 */
public final class FormatFile {
  private static final Pattern FIELD =
      Pattern.compile(
          "^\\s*field:(?<decl>[^;]+);\\s*offset:(?<off>\\d+);\\s*size:(?<size>\\d+);"
              + "\\s*signed:(?<signed>[01]);\\s*$");
  private static final Pattern NAME = Pattern.compile("^name:\\s*(\\S+)\\s*$");
  private static final Pattern ID = Pattern.compile("^ID:\\s*(\\d+)\\s*$");

  private FormatFile() {}

  /**
   * Parses one format file.
   *
   * @param system the subsystem the event belongs to (the format file does not say)
   * @param text the file's content
   * @throws FormatFileException naming the line that is not a format file's
   */
  public static EventSchema parse(String system, String text) {
    String name = null;
    int id = -1;
    List<EventField> fields = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      Matcher m;
      if ((m = NAME.matcher(line)).matches()) {
        name = m.group(1);
      } else if ((m = ID.matcher(line)).matches()) {
        id = small(i + 1, m.group(1), "ID");
      } else if (line.trim().startsWith("field:")) {
        m = FIELD.matcher(line);
        if (!m.matches()) {
          throw new FormatFileException(i + 1, "malformed field line: " + line.trim());
        }
        fields.add(field(i + 1, m));
      }
    }
    if (name == null) {
      throw new FormatFileException(1, "no 'name:' line");
    }
    return new EventSchema(system, name, id, fields);
  }

  private static EventField field(int lineNo, Matcher m) {
    String decl = m.group("decl").trim();
    int space = decl.lastIndexOf(' ');
    if (space <= 0) {
      throw new FormatFileException(lineNo, "field declaration without a type: " + decl);
    }
    String type = decl.substring(0, space).trim();
    String name = decl.substring(space + 1);
    int bracket = name.indexOf('[');
    if (bracket >= 0) {
      type = type + name.substring(bracket);
      name = name.substring(0, bracket);
    }
    if (name.isEmpty()) {
      throw new FormatFileException(lineNo, "field declaration without a name: " + decl);
    }
    return EventField.of(
        name,
        type,
        small(lineNo, m.group("off"), "offset"),
        small(lineNo, m.group("size"), "size"),
        m.group("signed").equals("1"));
  }

  // Offsets, sizes and ids of real events are small; anything past 2^31 is not a format file.
  private static int small(int lineNo, String digits, String what) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new FormatFileException(lineNo, what + " " + digits + " is out of range");
    }
  }
}
