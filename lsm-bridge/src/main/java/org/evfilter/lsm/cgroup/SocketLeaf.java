package org.evfilter.lsm.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.evfilter.lsm.ebpf.CgroupAttachment;
import org.evfilter.lsm.ebpf.EbpfException;
import org.evfilter.lsm.ebpf.LoadedProgram;

/**
 * The cgroup leaf of one run with its socket programs attached: made before the command starts
 * (the launcher moves the command in), and removed — which detaches the programs — once its last
 * process has exited. The programs are attached plainly, not by links: they stay with the leaf
 * when evfilter is killed, so the processes left in it stay decided; the next run removes the
 * leaf once it is empty ({@link CgroupLeaf#removeStale}).
 */
public final class SocketLeaf implements AutoCloseable {
  private static final long POLL_MS = 10;

  private final CgroupLeaf leaf;

  private SocketLeaf(CgroupLeaf leaf) {
    this.leaf = leaf;
  }

  /**
   * A new leaf with {@code programs} loaded and attached; nothing is left behind when one fails.
   *
   * @throws CgroupException when the leaf cannot be made
   * @throws EbpfException when a program is refused (the verifier's refusal names the rule)
   */
  public static SocketLeaf attach(List<SocketHooks.HookProgram> programs) {
    CgroupLeaf leaf = CgroupLeaf.create();
    List<LoadedProgram> loaded = new ArrayList<>();
    try {
      for (SocketHooks.HookProgram p : programs) {
        LoadedProgram l = LoadedProgram.load(p.program(), p.hook(), "evsock_" + p.hook().name().replace("CGROUP_", "").replace("INET", "").toLowerCase());
        loaded.add(l);
        CgroupAttachment.attach(leaf.path(), l, p.hook()).release();
      }
    } catch (RuntimeException e) {
      leaf.remove();
      throw e;
    } finally {
      // The cgroup holds the programs it runs; our descriptors are not needed.
      loaded.forEach(LoadedProgram::close);
    }
    return new SocketLeaf(leaf);
  }

  /** The leaf's directory, which the launcher enters. */
  public Path path() {
    return leaf.path();
  }

  /**
   * Removes the leaf, waiting up to {@code millis} for its last processes to exit; false when some
   * remain (children that outlived the command): the leaf and its programs then stay for them.
   */
  public boolean remove(long millis) {
    long until = System.nanoTime() + millis * 1_000_000;
    while (leaf.populated() && System.nanoTime() < until) {
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return leaf.remove();
  }

  /**
   * Removes the leaf from a daemon thread once the command has been in it and its last process has
   * exited (or when nobody entered it within a minute): for a caller that does not see the
   * command end (the service, when the launcher runs the command alone).
   */
  public void removeWhenDone() {
    Thread t = new Thread(() -> {
      try {
        long until = System.nanoTime() + 60_000_000_000L;
        while (!leaf.populated() && System.nanoTime() < until) {
          Thread.sleep(100);
        }
        while (leaf.populated()) {
          Thread.sleep(100);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      leaf.remove();
    }, "remove " + leaf.path().getFileName());
    t.setDaemon(true);
    t.start();
  }

  /** {@link #remove(long)}, waiting a second. */
  @Override
  public void close() {
    remove(1000);
  }
}
