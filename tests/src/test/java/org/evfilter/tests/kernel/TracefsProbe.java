package org.evfilter.tests.kernel;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs inside a private mount namespace where tracefs is mounted at {@code args[0]}: writes each
 * filter of {@code args[1]} to its event's {@code filter} file in a private tracing instance,
 * records whether the write succeeded and what the file then says, and resets the filter. The
 * instance is removed at the end, so nothing is left enabled.
 *
 * <p>Input: int n and n event names whose format files to return; then records of UTF event, int
 * length, filter bytes. Output: the n format files (int length, bytes), then records of boolean
 * written, int length, file bytes.
 */
public final class TracefsProbe {
  private TracefsProbe() {}

  public static void main(String[] args) throws IOException {
    Path tracefs = Path.of(args[0]);
    Path instance = tracefs.resolve("instances").resolve("evfilter-conformance-" + ProcessHandle.current().pid());
    Files.createDirectory(instance);
    try (DataInputStream in = new DataInputStream(Files.newInputStream(Path.of(args[1])));
        DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[2])))) {
      // First the format files the caller asks for, so it checks against this very kernel.
      int formats = in.readInt();
      for (int i = 0; i < formats; i++) {
        byte[] format = Files.readAllBytes(instance.resolve("events").resolve(in.readUTF()).resolve("format"));
        out.writeInt(format.length);
        out.write(format);
      }
      while (true) {
        String event;
        try {
          event = in.readUTF();
        } catch (EOFException end) {
          break;
        }
        byte[] filter = new byte[in.readInt()];
        in.readFully(filter);
        Path file = instance.resolve("events").resolve(event).resolve("filter");
        boolean written = write(file, filter);
        byte[] shown = readOnce(file);
        write(file, "0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.writeBoolean(written);
        out.writeInt(shown.length);
        out.write(shown);
      }
    } finally {
      Files.delete(instance);
    }
  }

  // The kernel's event_filter_read() answers only a read at offset 0: read it in one call.
  private static byte[] readOnce(Path file) throws IOException {
    try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
      byte[] buf = new byte[1 << 16];
      int n = in.read(buf);
      return java.util.Arrays.copyOf(buf, Math.max(n, 0));
    }
  }

  static boolean write(Path file, byte[] bytes) {
    // One write(2) of the whole filter, as 'echo' would do.
    try (FileOutputStream out = new FileOutputStream(file.toFile())) {
      out.write(bytes);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
