package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The commands' shared JSON mapper, created on first use: picocli loads every command class at
 * start, and a mapper built in their static initialisers cost every command (even {@code --help})
 * about 200 ms of class loading.
 */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}
}
