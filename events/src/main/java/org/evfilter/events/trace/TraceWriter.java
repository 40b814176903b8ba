package org.evfilter.events.trace;

import java.io.Closeable;
import java.io.IOException;
import org.evfilter.events.SyscallEvent;

/** Writes syscall events to a trace file, one at a time. */
public interface TraceWriter extends Closeable, java.io.Flushable {
  void write(SyscallEvent event) throws IOException;
}
