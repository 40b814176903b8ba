package org.evfilter.events.trace;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;

/**
 * Reads syscall events from a trace, one at a time and in constant memory. In every format, blank
 * lines and lines starting with {@code #} (comments; in TSV also the column header) hold no event.
 * Lines that cannot be read are never dropped silently: they are counted, and the first {@link
 * #MAX_PROBLEMS} are kept with their line numbers.
 */
public interface TraceReader extends Closeable {
  /** How many problems are kept in full; the rest are only counted. */
  int MAX_PROBLEMS = 1000;

  /** The next event, or empty at the end of the trace. */
  Optional<SyscallEvent> read() throws IOException;

  /** The lines that could not be read, up to {@link #MAX_PROBLEMS}. */
  List<TraceProblem> problems();

  /** How many lines could not be read. */
  long problemCount();

  /** How many lines were read, events or not. */
  long lines();

  /** How many bytes of the input have been consumed, for progress. */
  long bytesRead();
}
