package org.evfilter.lsm.service;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The conversation between {@code evfilter-launch --service} and the service, version {@link
 * #VERSION}. The launcher opens with one JSON object, {@code {"evfilter": 1, "args": ["run", ...],
 * "cwd": "..."}}; the service answers with frames a C program reads easily: {@code u32 type, u32
 * length, payload}, host byte order (both ends run on one machine). A plan is {@code W} (warnings),
 * {@code L} (Landlock ruleset), {@code A} (audit file), {@code C} (the cgroup leaf the command
 * enters, whose programs decide its socket calls) when there are any, then {@code P}; or one
 * {@code F} (run evfilter yourself) or {@code E} (stop with this status). After a {@code P} with a
 * listener the launcher sends {@link #HANDOVER_SIZE} bytes {@code u32 'H', i32 pid} with the
 * listener (and the audit file) attached; the service answers {@code G} (start the command) or
 * {@code E}, then streams {@code D} (a denial line, which the launcher acknowledges with one byte once
 * printed, so that it comes before what the command prints after the refusal) and ends with {@code
 * S} (the summary line).
 */
public final class LaunchProtocol {
  private LaunchProtocol() {}

  /** The protocol's version: a launcher that speaks another is told to run evfilter itself. */
  public static final int VERSION = 1;

  /** The handover's size: {@code u32 'H', i32 pid}. */
  public static final int HANDOVER_SIZE = 8;

  /** The frame types. */
  public enum Frame {
    WARNINGS('W'), RULESET('L'), AUDIT('A'), CGROUP('C'), PROGRAM('P'), FALLBACK('F'), ERROR('E'), GO('G'), DENIAL('D'), SUMMARY('S');

    final int code;

    Frame(char code) {
      this.code = code;
    }
  }

  /** The launcher's opening message. */
  public record Request(int evfilter, List<String> args, String cwd) {}

  /** A frame of {@code type} carrying {@code payload}. */
  static byte[] frame(Frame type, byte[] payload) {
    return ByteBuffer.allocate(8 + payload.length).order(ByteOrder.nativeOrder()).putInt(type.code).putInt(payload.length)
        .put(payload).array();
  }

  /** A frame of {@code type} carrying text (UTF-8). */
  static byte[] frame(Frame type, String text) {
    return frame(type, text.getBytes(StandardCharsets.UTF_8));
  }

  /** A frame of {@code type} carrying a u32 then {@code rest}. */
  static byte[] frame(Frame type, int first, byte[] rest) {
    return frame(type, ByteBuffer.allocate(4 + rest.length).order(ByteOrder.nativeOrder()).putInt(first).put(rest).array());
  }

  /** The pid a handover names, or -1 when the bytes are no handover. */
  static int handoverPid(byte[] data) {
    if (data.length != HANDOVER_SIZE) {
      return -1;
    }
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
    return b.getInt() == 'H' ? b.getInt() : -1;
  }
}
