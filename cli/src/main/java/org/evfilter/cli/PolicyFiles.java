package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.evfilter.grammar.FilterException;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;

/** Loading a policy for a command, with the errors said the same way everywhere. */
final class PolicyFiles {
  private PolicyFiles() {}

  /** The bound policy, or empty after printing why it could not be loaded. */
  static Optional<BoundPolicy> load(String command, Path file, PrintWriter err) {
    return load(command, file, java.util.List.of(), err);
  }

  /** The bound policy with more labels files, or empty after printing why not. */
  static Optional<BoundPolicy> load(String command, Path file, java.util.List<Path> labels, PrintWriter err) {
    return load(command, file, labels, org.evfilter.events.syscalls.Arch.X86_64, err);
  }

  /** The policy and the files it was read from, or empty after printing why not. */
  static Optional<PolicyBinder.Loaded> loadWithSources(String command, Path file, java.util.List<Path> labels,
      org.evfilter.events.syscalls.Arch arch, PrintWriter err) {
    try {
      return Optional.of(PolicyBinder.loadWithSources(file, labels, KernelFacts.ofThisMachine(), arch));
    } catch (FilterException e) {
      err.println(Text.display(e.render()));
    } catch (NoSuchFileException e) {
      err.println("evfilter " + command + ": no such file: " + e.getFile());
    } catch (FileSystemException e) {
      // The policy or a labels file given with it: the exception names which.
      String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : String.valueOf(e.getReason());
      err.println("evfilter " + command + ": cannot read " + (e.getFile() == null ? file : e.getFile()) + ": " + why);
    } catch (IOException e) {
      err.println("evfilter " + command + ": cannot read " + file + ": " + e.getMessage());
    }
    return Optional.empty();
  }

  /** The policy bound with {@code arch}'s syscall names and argument layouts, or empty after printing why not. */
  static Optional<BoundPolicy> load(String command, Path file, java.util.List<Path> labels, org.evfilter.events.syscalls.Arch arch,
      PrintWriter err) {
    return loadWithSources(command, file, labels, arch, err).map(PolicyBinder.Loaded::policy);
  }
}
