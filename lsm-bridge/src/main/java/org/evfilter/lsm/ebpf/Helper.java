package org.evfilter.lsm.ebpf;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The eBPF helper functions by id, read from the one table generated from the kernel headers
 * ({@code lsm-bridge/scripts/gen-bpf-helpers.sh}): the ids evfilter's programs call, and the
 * names the disassembler prints as the verifier's log does ({@code bpf_map_lookup_elem}).
 */
public final class Helper {
  private static final List<String> NAMES = load();

  public static final int MAP_LOOKUP_ELEM = id("bpf_map_lookup_elem");
  public static final int MAP_UPDATE_ELEM = id("bpf_map_update_elem");
  public static final int MAP_DELETE_ELEM = id("bpf_map_delete_elem");
  public static final int KTIME_GET_NS = id("bpf_ktime_get_ns");
  public static final int GET_CURRENT_PID_TGID = id("bpf_get_current_pid_tgid");
  public static final int GET_CURRENT_UID_GID = id("bpf_get_current_uid_gid");
  public static final int GET_CURRENT_CGROUP_ID = id("bpf_get_current_cgroup_id");
  public static final int GET_CURRENT_COMM = id("bpf_get_current_comm");
  public static final int PROBE_READ_USER = id("bpf_probe_read_user");
  public static final int PROBE_READ_USER_STR = id("bpf_probe_read_user_str");
  public static final int GET_RETVAL = id("bpf_get_retval");
  public static final int SET_RETVAL = id("bpf_set_retval");

  private Helper() {}

  /** The helper's name ({@code bpf_set_retval}), or {@code unknown} as the kernel says for ids it has no name for. */
  public static String name(int id) {
    return id >= 0 && id < NAMES.size() ? NAMES.get(id) : "unknown";
  }

  /** The id of a helper the table has (its name with the {@code bpf_} prefix). */
  public static int id(String name) {
    int id = NAMES.indexOf(name);
    if (id < 0) {
      throw new IllegalStateException("the helper table has no " + name + " (see lsm-bridge/scripts/gen-bpf-helpers.sh)");
    }
    return id;
  }

  private static List<String> load() {
    List<String> names = new ArrayList<>();
    try (InputStream in = Helper.class.getResourceAsStream("helpers");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.trim().split(" ");
        if (Integer.parseInt(f[0]) != names.size()) {
          throw new IllegalStateException("the helper table skips id " + names.size());
        }
        names.add(f[1]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(names);
  }
}
