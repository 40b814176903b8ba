package org.evfilter.samples.fileserver;

import static org.evfilter.events.syscalls.FileFlags.AT_FDCWD;
import static org.evfilter.events.syscalls.FileFlags.O_RDONLY;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.eval.AvcStats;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.DecisionCache;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * A user-space object manager built on the library: an HTTP file server that decides every request
 * with an evfilter policy, through the AVC, as Ingo Molnar's design has an object manager decide:
 * a GET of a file is the {@code openat} of it (read only), labelled by its xattr or its path's
 * file_contexts rule; the policy's verdict allows it (200) or refuses it (403, naming the rule and
 * the labels). {@code GET /.avc} shows the cache's statistics.
 *
 * <p>It decides on the path it then opens: a file swapped in between would be served unchecked.
 * Where that matters, decide on the opened descriptor as the supervisor in {@code lsm-bridge} does.
 */
public final class LabelledFileServer implements AutoCloseable {

  private final Path root;
  private final BoundPolicy policy;
  private final LabelResolver labels;
  private final DecisionCache avc;
  private final int openat;
  private final HttpServer server;

  /** Serves {@code root} under {@code policy} on {@code port} (0: any free port) of the loopback interface. */
  public LabelledFileServer(Path root, BoundPolicy policy, int port) throws IOException {
    this.root = root.toRealPath();
    this.policy = policy;
    this.labels = policy.labelResolver(4096);
    this.avc = new DecisionCache(PolicyEngine.compile(policy, Arch.X86_64), 4096);
    this.openat = SyscallTable.of(Arch.X86_64).byName("openat").orElseThrow().nr();
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Where it listens. */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  /** The AVC's statistics so far. */
  public AvcStats avcStats() {
    return avc.stats();
  }

  /** The decision for reading {@code file}: the verdict, and the rule that gave it (empty: the default). */
  public record Decision(BoundPolicy.Verdict verdict, Optional<BoundPolicy.Rule> rule, long labels) {}

  /** Decides reading {@code file} as the policy would decide its openat. */
  public Decision decide(Path file) {
    long set = labels.labels(file.toString());
    SyscallEvent e = SyscallEvent.builder(Arch.X86_64, openat, new long[] {AT_FDCWD, 0, O_RDONLY, 0, 0, 0})
        .strings(Map.of(1, file.toString())).build();
    SeccompView view;
    BoundPolicy.Verdict v;
    Optional<BoundPolicy.Rule> rule;
    // One request at a time through the cache's views: HttpServer's default executor is one thread.
    synchronized (avc) {
      view = new SeccompView().set(e, set);
      v = avc.decide(view, new CompiledFilter.Counter());
      rule = avc.engine().decidingRule(view);
    }
    return new Decision(v, rule, set);
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String path = x.getRequestURI().getPath();
      if (path.equals("/.avc")) {
        AvcStats s = avc.stats();
        reply(x, 200, String.format("lookups %d hits %d misses %d hit rate %.1f%%%n", s.lookups(), s.hits(), s.misses(), 100 * s.hitRate()));
        return;
      }
      Path file = root.resolve(path.substring(1)).normalize();
      if (!file.startsWith(root) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        reply(x, 404, "no such file\n");
        return;
      }
      Decision d = decide(file);
      if (d.verdict().kind() == ActionKind.ALLOW || d.verdict().kind() == ActionKind.LOG) {
        byte[] body = Files.readAllBytes(file);
        x.sendResponseHeaders(200, body.length);
        try (OutputStream o = x.getResponseBody()) {
          o.write(body);
        }
      } else {
        reply(x, 403, "denied: " + d.verdict() + " by " + d.rule().map(BoundPolicy.Rule::origin).orElse("the default")
            + " (labels: " + (d.labels() == 0 ? "none" : String.join(", ", policy.labelNames(d.labels()))) + ")\n");
      }
    }
  }

  private static void reply(HttpExchange x, int code, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    x.sendResponseHeaders(code, body.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** {@code LabelledFileServer POLICY.evf ROOT [PORT]}: serves until interrupted. */
  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 2) {
      System.err.println("usage: LabelledFileServer POLICY.evf ROOT [PORT]");
      System.exit(1);
    }
    BoundPolicy policy = PolicyBinder.load(Path.of(args[0]), KernelFacts.ofThisMachine());
    try (LabelledFileServer s = new LabelledFileServer(Path.of(args[1]), policy, args.length > 2 ? Integer.parseInt(args[2]) : 8080)) {
      System.out.println("serving " + args[1] + " under " + args[0] + " at " + s.uri() + " (GET /.avc for the cache)");
      Thread.currentThread().join();
    }
  }
}
