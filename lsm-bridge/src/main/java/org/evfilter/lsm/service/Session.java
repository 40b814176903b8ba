package org.evfilter.lsm.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.evfilter.lsm.cgroup.CgroupException;
import org.evfilter.lsm.cgroup.SocketLeaf;
import org.evfilter.lsm.ebpf.EbpfException;
import org.evfilter.lsm.natives.Libc;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.lsm.natives.Structs;
import org.evfilter.lsm.natives.UnixSocket;
import org.evfilter.lsm.service.LaunchProtocol.Frame;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.Supervisor;

/**
 * One connection to the service, on its own thread: the opening message (a launcher's request or
 * a container runtime's state), its checks, then, for a sandbox with a listener, its supervision
 * until no task uses the filter. Whatever a peer sends that is not right ends the connection with
 * one log line saying what was wrong; the service goes on.
 */
final class Session {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What names a container's policy: a file name in the policies' directory, nothing that walks out of it. */
  static final Pattern METADATA = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  /** How long a denial waits for the launcher to have printed it; a launcher slower than that is no longer told. */
  private static final Duration DENIAL_WAIT = Duration.ofSeconds(2);

  private final Service service;
  private final UnixSocket peer;
  private final Structs.Ucred cred;
  private final String who;
  private final List<Integer> received = new ArrayList<>();

  Session(Service service, UnixSocket peer, Structs.Ucred cred, String who) {
    this.service = service;
    this.peer = peer;
    this.cred = cred;
    this.who = who;
  }

  /** Why a peer is turned away: said in one log line. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;

    Refusal(String why) {
      super(why, null, false, false);
    }
  }

  void run() {
    boolean handshaking = true;
    try {
      peer.timeouts(service.options().handshake());
      JsonNode first = opening();
      if (first.has("ociVersion")) {
        OciState state = parse(first, OciState.class);
        handshaking = false;
        service.handshakeDone();
        container(state);
      } else if (first.has("evfilter")) {
        LaunchProtocol.Request request = parse(first, LaunchProtocol.Request.class);
        handshaking = false;
        service.handshakeDone();
        launcher(request);
      } else {
        throw new Refusal("its message is neither evfilter's launcher's request nor an OCI container state");
      }
    } catch (Refusal r) {
      service.log("refused " + who + ": " + r.getMessage());
    } catch (IOException | RuntimeException e) {
      service.log(who + ": " + e.getMessage());
    } finally {
      if (handshaking) {
        service.handshakeDone();
      }
      received.forEach(Session::closeQuietly);
      peer.close();
    }
  }

  // The first JSON object, read as it arrives, with the descriptors that came along.
  private JsonNode opening() throws IOException, Refusal {
    int max = service.options().maxMessage();
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    while (true) {
      UnixSocket.Received r;
      try {
        r = peer.receive(Math.min(1 << 16, max + 1 - message.size()));
      } catch (SocketTimeoutException e) {
        throw new Refusal(message.size() == 0 ? "it sent nothing within " + seconds() : "its message was not whole within " + seconds());
      }
      for (int fd : r.fds()) {
        received.add(fd);
      }
      if (r.descriptorsLost()) {
        throw new Refusal("it sent more descriptors than one message may carry");
      }
      if (r.end()) {
        throw new Refusal(message.size() == 0 ? "it disconnected without a word" : "it disconnected in the middle of its message");
      }
      message.writeBytes(r.data());
      if (message.size() > max) {
        throw new Refusal("its message is larger than " + max + " bytes");
      }
      try {
        JsonNode node = JSON.readTree(message.toByteArray());
        if (node == null || !node.isObject()) {
          throw new Refusal("its message is not a JSON object");
        }
        return node;
      } catch (JsonEOFException e) {
        // not whole yet
      } catch (JsonProcessingException e) {
        throw new Refusal("its message is malformed JSON: " + e.getOriginalMessage());
      }
    }
  }

  private String seconds() {
    return service.options().handshake().toMillis() / 1000.0 + " s";
  }

  private static <T> T parse(JsonNode node, Class<T> type) throws Refusal {
    try {
      return JSON.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw new Refusal("its message is not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage());
    }
  }

  // ---- a container runtime (runc, crun): the OCI seccomp agent protocol ----

  private void container(OciState state) throws Refusal, IOException {
    String what = "container " + state.containerId() + " (pid " + state.pid() + ", from " + who + ")";
    int index = state.fds() == null ? -1 : state.fds().indexOf(OciState.SECCOMP_FD);
    if (received.isEmpty()) {
      throw new Refusal(what + ": no descriptor came with its state");
    }
    if (index < 0 || index >= received.size() || state.fds().size() != received.size()) {
      throw new Refusal(what + ": its fds " + state.fds() + " do not name the " + received.size() + " descriptors it sent");
    }
    String metadata = state.metadata() == null ? "" : state.metadata();
    if (!METADATA.matcher(metadata).matches()) {
      throw new Refusal(what + ": its listenerMetadata \"" + metadata + "\" is no policy name ([A-Za-z0-9][A-Za-z0-9._-]*)");
    }
    Path file = service.options().policies().resolve(metadata + ".evf");
    if (!Files.isRegularFile(file)) {
      throw new Refusal(what + ": its listenerMetadata names no policy: there is no " + file);
    }
    if (!alive(state.pid())) {
      throw new Refusal(what + ": the container's process " + state.pid() + " already died");
    }
    SeccompListener listener = listener(received.get(index), what);
    Policies.ContainerAnswer answer = service.policies().container(file);
    if (answer instanceof Policies.Unsupervised u) {
      throw new Refusal(what + ": " + u.why());
    }
    Policies.Supervision supervision = ((Policies.Supervised) answer).supervision();
    received.remove((Integer) listener.fd());
    received.forEach(Session::closeQuietly);
    received.clear();
    peer.close(); // the runtime says nothing more
    long id = admit(listener, what);
    String name = "sandbox " + id;
    try {
      service.log(name + ": " + what + ": supervised under " + file);
      Supervisor supervisor = supervision.supervisor(AuditLog.none()).inTaskRoot()
          .reportDenials(line -> service.log(name + ": " + line));
      Supervisor.Summary summary = supervisor.serve(listener);
      service.log(name + " ended: " + supervision.summary(summary));
    } finally {
      service.unregister(id);
      listener.close();
    }
  }

  // ---- evfilter's launcher: `evfilter run` through the service ----

  private void launcher(LaunchProtocol.Request request) throws Refusal, IOException {
    if (request.evfilter() != LaunchProtocol.VERSION) {
      send(LaunchProtocol.frame(Frame.FALLBACK, "the service speaks version " + LaunchProtocol.VERSION + " of the launcher's protocol"));
      throw new Refusal("its launcher speaks version " + request.evfilter() + " of the protocol, not " + LaunchProtocol.VERSION);
    }
    if (!received.isEmpty()) {
      throw new Refusal("its request came with descriptors (a request has none)");
    }
    if (request.args() == null || request.args().isEmpty() || !"run".equals(request.args().get(0)) || request.cwd() == null
        || !request.cwd().startsWith("/")) {
      throw new Refusal("its request is not `run` from an absolute working directory");
    }
    Policies.RunAnswer answer = service.policies().run(request.args(), Path.of(request.cwd()));
    if (answer instanceof Policies.Fallback f) {
      send(LaunchProtocol.frame(Frame.FALLBACK, f.why()));
      service.log(who + ": run left to evfilter itself: " + f.why());
      return;
    }
    if (answer instanceof Policies.Refused r) {
      send(LaunchProtocol.frame(Frame.ERROR, r.status(), r.message().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      service.log(who + ": run refused: " + r.message().strip().replace('\n', ' '));
      return;
    }
    Policies.Plan plan = (Policies.Plan) answer;
    if (plan.listen() && service.live() >= service.options().maxSandboxes()) {
      send(LaunchProtocol.frame(Frame.FALLBACK, "the service supervises " + service.options().maxSandboxes() + " sandboxes already"));
      throw new Refusal("its run would be one sandbox more than --max-sandboxes " + service.options().maxSandboxes());
    }
    Optional<SocketLeaf> leaf;
    try {
      leaf = plan.socketPrograms().isEmpty() ? Optional.empty() : Optional.of(SocketLeaf.attach(plan.socketPrograms()));
    } catch (CgroupException | EbpfException e) {
      send(LaunchProtocol.frame(Frame.ERROR, 3, ("evfilter run: cannot attach the socket programs: " + e.getMessage()
          + " (--socket-hooks=off has the supervisor decide socket rules)\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      throw new Refusal("its socket programs could not be attached: " + e.getMessage());
    }
    try {
      planned(plan, leaf);
    } finally {
      // Supervised, the command has ended when the session does; run alone by the launcher (or a
      // daemon it left) it may outlive the session: the leaf goes once it is empty.
      leaf.ifPresent(l -> {
        if (!plan.listen() || !l.remove(1000)) {
          l.removeWhenDone();
        }
      });
    }
  }

  private void planned(Policies.Plan plan, Optional<SocketLeaf> leaf) throws Refusal, IOException {
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    if (!plan.warnings().isEmpty()) {
      frames.writeBytes(LaunchProtocol.frame(Frame.WARNINGS, plan.warnings()));
    }
    plan.ruleset().ifPresent(r -> frames.writeBytes(LaunchProtocol.frame(Frame.RULESET, r)));
    plan.audit().ifPresent(a -> frames.writeBytes(LaunchProtocol.frame(Frame.AUDIT, a.toString())));
    leaf.ifPresent(l -> frames.writeBytes(LaunchProtocol.frame(Frame.CGROUP, l.path().toString())));
    frames.writeBytes(LaunchProtocol.frame(Frame.PROGRAM, plan.listen() ? 1 : 0, plan.program().toRaw()));
    send(frames.toByteArray());
    if (!plan.listen()) {
      service.log(who + ": run needs no supervision: the launcher runs it alone");
      return;
    }
    supervise(plan, handover(plan));
  }

  private record Handover(int pid, SeccompListener listener, Optional<Integer> audit) {}

  // The listener and the command's pid, checked: a seccomp listener, a live child of the peer.
  private Handover handover(Policies.Plan plan) throws Refusal, IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    while (got.size() < LaunchProtocol.HANDOVER_SIZE) {
      UnixSocket.Received r;
      try {
        r = peer.receive(LaunchProtocol.HANDOVER_SIZE - got.size());
      } catch (SocketTimeoutException e) {
        throw new Refusal("its launcher did not hand over the listener within " + seconds());
      }
      for (int fd : r.fds()) {
        received.add(fd);
      }
      if (r.end()) {
        throw new Refusal("its launcher disconnected before it handed over the listener (the command did not run)");
      }
      got.writeBytes(r.data());
    }
    int pid = LaunchProtocol.handoverPid(got.toByteArray());
    String what = "its launcher's handover";
    if (pid <= 0 || received.size() != (plan.audit().isPresent() ? 2 : 1)) {
      fail(what + " is not a pid with the listener" + (plan.audit().isPresent() ? " and the audit file" : ""));
    }
    SeccompListener listener = listener(received.get(0), what);
    if (parent(pid) != cred.pid) {
      fail(what + " names pid " + pid + ", which is not its child");
    }
    return new Handover(pid, listener, plan.audit().map(a -> received.get(1)));
  }

  // The launcher is told why before the refusal is logged: it stops the command it holds.
  private void fail(String why) throws Refusal, IOException {
    send(LaunchProtocol.frame(Frame.ERROR, 2, ("evfilter run: the service refused the handover: " + why + "\n")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    throw new Refusal(why);
  }

  private void supervise(Policies.Plan plan, Handover h) throws Refusal, IOException {
    String what = "run of pid " + h.pid() + " (from " + who + ")";
    long id;
    try {
      id = admit(h.listener(), what);
    } catch (Refusal r) {
      fail("the service supervises " + service.options().maxSandboxes() + " sandboxes already");
      throw r;
    }
    String name = "sandbox " + id;
    boolean[] launcherGone = {false};
    try {
      AuditLog audit = h.audit().isEmpty() ? AuditLog.none()
          : AuditLog.to(new FileOutputStream("/proc/self/fd/" + h.audit().get(), true));
      received.remove((Integer) h.listener().fd());
      received.forEach(Session::closeQuietly); // the audit file, open again above
      received.clear();
      try (audit) {
        h.listener().syncWakeUp();
        peer.timeouts(DENIAL_WAIT);
        send(LaunchProtocol.frame(Frame.GO, new byte[0]));
        service.log(name + ": " + what + ": supervised");
        Supervisor supervisor = plan.supervision().supervisor(audit);
        if (!plan.quiet()) {
          supervisor.reportDenials(line -> {
            if (!launcherGone[0]) {
              try {
                // Said before the task resumes, as run says it: the launcher acknowledges each line.
                send(LaunchProtocol.frame(Frame.DENIAL, "evfilter run: " + line));
                if (peer.receive(1).end()) {
                  launcherGone[0] = true;
                }
              } catch (IOException e) {
                launcherGone[0] = true; // the command goes on, supervised; nobody hears its denials
              }
            }
          });
        }
        Supervisor.Summary summary = supervisor.serve(h.listener());
        String line = plan.supervision().summary(summary);
        try {
          send(LaunchProtocol.frame(Frame.SUMMARY, line));
        } catch (IOException e) {
          launcherGone[0] = true;
        }
        service.log(name + " ended" + (launcherGone[0] ? " (its launcher was gone)" : "") + ": " + line.replaceFirst("^evfilter run: ", ""));
      }
    } finally {
      service.unregister(id);
      h.listener().close();
    }
  }

  // ---- shared checks ----

  private long admit(SeccompListener listener, String what) throws Refusal {
    return service.register(listener).orElseThrow(() ->
        new Refusal(what + ": the service supervises --max-sandboxes " + service.options().maxSandboxes() + " already"));
  }

  private static SeccompListener listener(int fd, String what) throws Refusal {
    return SeccompListener.adopt(fd).orElseThrow(() ->
        new Refusal(what + ": the descriptor is " + SeccompListener.describe(fd) + ", not a seccomp listener"));
  }

  private void send(byte[] frame) throws IOException {
    peer.send(frame);
  }

  private static boolean alive(int pid) {
    return pid > 0 && Files.exists(Path.of("/proc/" + pid));
  }

  // The parent of `pid` (the fourth field of /proc/PID/stat, after the command's name in parentheses); -1 when it is gone.
  private static int parent(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static void closeQuietly(int fd) {
    try {
      Libc.close(fd);
    } catch (com.sun.jna.LastErrorException e) {
      // already closed
    }
  }
}
