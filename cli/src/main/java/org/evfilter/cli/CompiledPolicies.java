package org.evfilter.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.evfilter.lsm.plan.Reason;
import org.evfilter.lsm.supervise.RunCache;

/**
 * The plans {@code serve} made, kept by what they were made from: the policy's and its labels
 * files' paths and the planning options, each entry valid while every file it was read from (the
 * policy, its includes, its labels files) has the content it had (SHA-256). A file changed means
 * the policy is read and planned again. A plan that depends on the file system beyond those files
 * (a Landlock ruleset, expanded and scanned at each launch) keeps only the bound policy: it is
 * planned again at each run. A policy read within a second of a change to one of its files is not
 * kept (see {@link RunCache#settled}).
 */
final class CompiledPolicies {
  private static final int ENTRIES = 64;

  /** What a plan is made from besides the files' contents. */
  record Key(Path policy, List<Path> labels, boolean landlock, Integer landlockAbi, boolean cgroupSockets) {}

  private record Source(Path path, byte[] digest) {}

  private record KeptPlan(List<Source> sources, RunPlanning.Planned planned, boolean whole) {}

  private final Map<Key, KeptPlan> entries = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, KeptPlan> eldest) {
      return size() > ENTRIES;
    }
  };

  /** The plan for {@code key}: kept, planned again from the kept policy, or read and planned anew. */
  RunPlanning.Outcome plan(Key key) {
    KeptPlan kept;
    synchronized (entries) {
      kept = entries.get(key);
    }
    if (kept != null && unchanged(kept.sources())) {
      return kept.whole() ? kept.planned() : RunPlanning.plan(kept.planned().sources(), key.policy(), key.landlock(), key.landlockAbi(), key.cgroupSockets());
    }
    long readFrom = System.currentTimeMillis();
    RunPlanning.Outcome read = RunPlanning.load(key.policy(), key.labels());
    if (!(read instanceof RunPlanning.Loaded loaded)) {
      return read;
    }
    RunPlanning.Outcome planned = RunPlanning.plan(loaded.sources(), key.policy(), key.landlock(), key.landlockAbi(), key.cgroupSockets());
    if (planned instanceof RunPlanning.Planned p) {
      List<Source> sources = new ArrayList<>();
      for (Path file : loaded.sources().sources()) {
        digest(file).ifPresent(d -> sources.add(new Source(file, d)));
      }
      // Kept only when what was read is what is there: no file changed while it was read.
      if (sources.size() == loaded.sources().sources().size() && RunCache.settled(loaded.sources().sources(), readFrom)) {
        boolean whole = p.plan().ruleset().isEmpty() && p.plan().reasons().stream().noneMatch(r -> r instanceof Reason.FoundAtLaunch);
        synchronized (entries) {
          entries.put(key, new KeptPlan(sources, p, whole));
        }
      }
    }
    return planned;
  }

  private static boolean unchanged(List<Source> sources) {
    for (Source s : sources) {
      Optional<byte[]> now = digest(s.path());
      if (now.isEmpty() || !Arrays.equals(now.get(), s.digest())) {
        return false;
      }
    }
    return true;
  }

  private static Optional<byte[]> digest(Path file) {
    try {
      return Optional.of(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (IOException e) {
      return Optional.empty();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
