package org.evfilter.tests.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.profiles.ExportWarning;
import org.evfilter.lsm.profiles.OciExport;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.tests.kernel.KernelAccess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Profiles from {@code export -f oci} under runc and crun on the real kernel, and the runtimes'
 * seccomp agent message: a profile without a listener loads and decides in the kernel; one
 * naming a listener makes the runtime send its agent the container's state and listener (the
 * message {@code evfilter serve} parses); an agent supervising with the policy in the container's
 * root allows a labelled file, refuses another naming its label, and the container's exit status
 * is the runtime's.
 */
@Tag("kernel")
class RuncAgentTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  // /etc/secret is secret_t by its path in the container.
  private static final String LABELLED = "default allow\nerrno(EACCES) open, openat: label & secret_t\n";
  @TempDir Path work;

  private BoundPolicy policy(String name, String text) throws IOException {
    Files.writeString(work.resolve("contexts"), "/etc/secret  secret_t\n");
    Path file = Files.writeString(work.resolve(name + ".evf"), "labels \"contexts\"\n" + text);
    return PolicyBinder.bind(file.toString(), Files.readString(file), KernelFacts.ofThisMachine(), Arch.X86_64);
  }

  private RuncBundle bundle(String runtime) throws Exception {
    KernelAccess.assumeAvailable("containers under exported profiles");
    Path busybox = RootFileSystem.busybox("containers under exported profiles");
    RuncBundle b = RuncBundle.create(RuncBundle.runtime(runtime, "containers under exported profiles"), work.resolve("bundle"), busybox);
    Files.writeString(b.rootfs().resolve("etc/public"), "public words\n");
    Files.writeString(b.rootfs().resolve("etc/secret"), "secret words\n");
    return b;
  }

  private static void show(String what, RuncBundle.Result r) {
    System.out.println(what + ": status " + r.status() + "\n--- stdout\n" + r.stdout() + "--- stderr\n" + r.stderr());
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void aProfileWithoutAListenerDecidesInTheKernel(String runtime) throws Exception {
    OciExport.Exported e = OciExport.oci(policy("plain", "default allow\nerrno(EPERM) mkdir, mkdirat\n"), Arch.X86_64);
    assertTrue(e.warnings().isEmpty(), e.warnings().toString());
    try (RuncBundle b = bundle(runtime)) {
      RuncBundle.Result r = b.seccomp(e.seccomp()).command("/bin/sh", "-c", "cat /etc/secret; mkdir /tmp/d; exit 7").run(60);
      show(runtime + ", no listener", r);
      assertEquals(7, r.status(), r.stderr());
      assertTrue(r.stdout().contains("secret words"), r.stdout());
      assertTrue(r.stderr().contains("Operation not permitted"), "mkdir refused by the profile: " + r.stderr());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void aProfileSendingCallsToAListenerItDoesNotNameIsRefusedByTheRuntime(String runtime) throws Exception {
    OciExport.Exported e = OciExport.oci(policy("c1", LABELLED), Arch.X86_64);
    assertTrue(e.warnings().contains(new ExportWarning.NoListener(List.of("open", "openat"))), e.warnings().toString());
    try (RuncBundle b = bundle(runtime)) {
      RuncBundle.Result r = b.seccomp(e.seccomp()).command("/bin/cat", "/etc/public").run(60);
      show(runtime + ", notify without listenerPath", r);
      assertNotEquals(0, r.status());
      assertTrue(!r.stdout().contains("public words"), r.stdout());
    }
  }

  // The agent: python3, recording the runtime's message, then (exec) running argv with the listener.
  private Process agent(Path socket, Path message, String mode, List<String> argv) throws Exception {
    Path script = work.resolve("agent.py");
    try (InputStream in = RuncAgentTest.class.getResourceAsStream("/containers/agent.py")) {
      Files.write(script, in.readAllBytes());
    }
    List<String> cmd = new ArrayList<>(List.of("python3", script.toString(), mode, socket.toString(), message.toString(), "--"));
    cmd.addAll(argv);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("agent.log").toFile()).start();
    for (int i = 0; i < 200 && !Files.exists(socket); i++) {
      Thread.sleep(25);
    }
    assertTrue(Files.exists(socket), "the agent did not listen: " + Files.readString(work.resolve("agent.log")));
    return p;
  }

  // The agent handing the listener to ListenerAgent, which supervises with c1.evf in the container's root.
  private Process supervisingAgent(Path socket) throws Exception {
    return agent(socket, work.resolve("message.json"), "exec", List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-cp", System.getProperty("java.class.path"), ListenerAgent.class.getName(), "{fd}", work.resolve("c1.evf").toString()));
  }

  // The profile for c1.evf naming the agent at socket.
  private OciExport.Exported withAgent(Path socket) throws IOException {
    return OciExport.oci(policy("c1", LABELLED), Arch.X86_64, OciExport.NarrowComparisons.LIBSECCOMP,
        Optional.of(new OciExport.Listener(socket.toString(), "c1")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void theRuntimeSendsTheAgentTheContainersStateAndListener(String runtime) throws Exception {
    Path socket = work.resolve("agent.sock");
    OciExport.Exported e = withAgent(socket);
    assertEquals(socket.toString(), e.seccomp().path("listenerPath").asText());
    try (RuncBundle b = bundle(runtime)) {
      Path message = work.resolve("message.json");
      Process agent = agent(socket, message, "record", List.of());
      try {
        RuncBundle.Result r = b.seccomp(e.seccomp()).annotation("org.evfilter.test", "oci").command("/bin/cat", "/etc/public").run(60);
        show(runtime + ", agent that closes the listener", r);
        assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
        JsonNode got = JSON.readTree(message.toFile());
        System.out.println(runtime + "'s agent message: " + got.toPrettyString());
        JsonNode m = got.path("message");
        assertEquals(1, got.path("descriptors").asInt());
        assertEquals("anon_inode:seccomp notify", got.path("kind").asText());
        assertEquals("[\"seccompFd\"]", m.path("fds").toString());
        assertTrue(m.path("pid").asInt() > 0, m.toString());
        assertEquals("c1", m.path("metadata").asText());
        assertEquals(work.resolve("bundle").toString(), m.path("state").path("bundle").asText());
        assertEquals(m.path("pid").asInt(), m.path("state").path("pid").asInt());
        assertEquals("oci", m.path("state").path("annotations").path("org.evfilter.test").asText());
        // The listener closed: every call the agent should have decided fails; nothing is read.
        assertNotEquals(0, r.status());
        assertTrue(!r.stdout().contains("public words"), r.stdout());
      } finally {
        agent.destroyForcibly().waitFor();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void anAgentSupervisingInTheContainersRootAllowsOneFileAndRefusesTheLabelledOne(String runtime) throws Exception {
    Path socket = work.resolve("agent.sock");
    OciExport.Exported e = withAgent(socket);
    try (RuncBundle b = bundle(runtime)) {
      Process agent = supervisingAgent(socket);
      try {
        RuncBundle.Result r = b.seccomp(e.seccomp()).command("/bin/sh", "-c", "cat /etc/public; cat /etc/secret; exit 7").run(90);
        show(runtime + ", supervised", r);
        agent.waitFor(30, TimeUnit.SECONDS);
        String log = Files.readString(work.resolve("agent.log"));
        System.out.println("--- agent\n" + log);
        assertEquals(7, r.status(), r.stderr() + log);
        assertTrue(r.stdout().contains("public words"), r.stdout() + r.stderr() + log);
        assertTrue(r.stderr().contains("/etc/secret': Permission denied") && !r.stdout().contains("secret words"), r.stdout() + r.stderr());
        assertTrue(log.contains("denied openat /etc/secret (secret_t)"), log);
      } finally {
        agent.destroyForcibly().waitFor();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void theAgentKilledMidRunFailsTheNextSupervisedCallClosed(String runtime) throws Exception {
    Path socket = work.resolve("agent.sock");
    OciExport.Exported e = withAgent(socket);
    try (RuncBundle b = bundle(runtime)) {
      Process agent = supervisingAgent(socket);
      try {
        RuncBundle.Running c = b.seccomp(e.seccomp())
            .command("/bin/sh", "-c", "cat /etc/public; echo first; sleep 3; cat /etc/public; echo \"after $?\"").start();
        b.awaitOutput(c, "first", 60);
        agent.destroyForcibly().waitFor(); // SIGKILL, while the container sleeps
        RuncBundle.Result r = b.waitFor(c, 60);
        show(runtime + ", agent killed", r);
        assertEquals(1, r.stdout().split("public words", -1).length - 1, "read once, before the kill: " + r.stdout());
        assertTrue(r.stderr().contains("Function not implemented"), "ENOSYS after the kill: " + r.stderr());
        assertTrue(r.stdout().contains("after 1"), r.stdout());
      } finally {
        agent.destroyForcibly().waitFor();
      }
    }
  }
}
