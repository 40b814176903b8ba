package org.evfilter.tests.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.profiles.OciExport;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes manifests in {@code dist/kubernetes} are well-formed and agree with each other:
 * known kinds and API versions; the DaemonSet's socket directory is the one every localhost
 * profile names as its listenerPath and the service listens on; each profile's listenerMetadata
 * names a policy the DaemonSet ships, and the profile is what {@code export -f oci
 * --listener-path} writes for it; the pod's localhost profile is one the DaemonSet installs.
 */
class KubernetesManifestsTest {
  private static final Path DIR = Path.of("..", "dist", "kubernetes");
  private static final Map<String, Set<String>> KINDS = Map.of("v1", Set.of("Namespace", "ConfigMap", "Secret", "Pod"), "apps/v1",
      Set.of("DaemonSet"));
  private static final String KUBELET_SECCOMP = "/var/lib/kubelet/seccomp";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<JsonNode> documents() throws IOException {
    List<JsonNode> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (var it = new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(f.toFile())) {
          while (it.hasNext()) {
            JsonNode d = it.next();
            if (d != null && !d.isMissingNode() && !d.isEmpty()) {
              all.add(d);
            }
          }
        }
      }
    }
    return all;
  }

  private static JsonNode one(List<JsonNode> docs, String kind, String name) {
    List<JsonNode> found = docs.stream().filter(d -> d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText()
        .equals(name)).toList();
    assertEquals(1, found.size(), kind + " " + name);
    return found.get(0);
  }

  private static JsonNode named(JsonNode list, String name) {
    for (JsonNode e : list) {
      if (e.path("name").asText().equals(name)) {
        return e;
      }
    }
    throw new AssertionError("no " + name + " in " + list);
  }

  @Test
  void everyDocumentIsAKindItsApiVersionHasAndNamed() throws IOException {
    List<JsonNode> docs = documents();
    assertTrue(docs.size() >= 6, "the manifests: " + docs.size() + " documents");
    for (JsonNode d : docs) {
      String api = d.path("apiVersion").asText();
      assertTrue(KINDS.getOrDefault(api, Set.of()).contains(d.path("kind").asText()), api + " " + d.path("kind"));
      assertFalse(d.path("metadata").path("name").asText().isEmpty(), d.toString());
    }
  }

  @Test
  void theDaemonSetServesTheSocketAndPoliciesTheProfilesName(@TempDir Path work) throws IOException {
    List<JsonNode> docs = documents();
    JsonNode ds = one(docs, "DaemonSet", "evfilter-serve");
    String namespace = ds.path("metadata").path("namespace").asText();
    one(docs, "Namespace", namespace);
    JsonNode pod = ds.path("spec").path("template");
    ds.path("spec").path("selector").path("matchLabels").fields()
        .forEachRemaining(l -> assertEquals(l.getValue(), pod.path("metadata").path("labels").path(l.getKey()), l.getKey()));
    assertTrue(pod.path("spec").path("hostPID").asBoolean(), "runc's pid is the node's: the service reads /proc/PID there");
    JsonNode volumes = pod.path("spec").path("volumes");
    JsonNode serve = named(pod.path("spec").path("containers"), "serve");
    List<String> command = new ArrayList<>();
    serve.path("command").forEach(a -> command.add(a.asText()));
    assertEquals("serve", command.get(1), command.toString());
    String socket = command.get(command.indexOf("--socket") + 1);
    String policiesAt = command.get(command.indexOf("--policies") + 1);

    // The socket's directory is the node's, where the runtime connects.
    String socketDir = Path.of(socket).getParent().toString();
    String socketVolume = mountedAt(serve, socketDir);
    assertEquals(socketDir, named(volumes, socketVolume).path("hostPath").path("path").asText());
    assertTrue(serve.path("securityContext").path("privileged").asBoolean());

    // The policies, from a ConfigMap of this namespace, mounted where --policies says.
    JsonNode policies = one(docs, "ConfigMap", named(volumes, mountedAt(serve, policiesAt)).path("configMap").path("name").asText());
    assertEquals(namespace, policies.path("metadata").path("namespace").asText());
    Path policyDir = Files.createDirectories(work.resolve("policies"));
    policies.path("data").fields().forEachRemaining(f -> write(policyDir.resolve(f.getKey()), f.getValue().asText()));

    // The profiles, copied to the kubelet's seccomp directory: each names the socket and a policy shipped.
    JsonNode init = named(pod.path("spec").path("initContainers"), "install-profiles");
    String hostSeccomp = named(volumes, "kubelet-seccomp").path("hostPath").path("path").asText();
    assertEquals(KUBELET_SECCOMP, hostSeccomp);
    assertTrue(init.path("command").toString().contains(mountPathOf(init, "kubelet-seccomp") + "/evfilter/"), init.toString());
    JsonNode profiles = one(docs, "ConfigMap", named(volumes, "profiles").path("configMap").path("name").asText());
    assertFalse(profiles.path("data").isEmpty());
    for (var f : (Iterable<Map.Entry<String, JsonNode>>) profiles.path("data")::fields) {
      JsonNode profile = JSON.readTree(f.getValue().asText());
      assertEquals(socket, profile.path("listenerPath").asText(), f.getKey());
      String metadata = profile.path("listenerMetadata").asText();
      Path policyFile = policyDir.resolve(metadata + ".evf");
      assertTrue(Files.exists(policyFile), f.getKey() + " names the policy " + metadata + ", which the DaemonSet does not ship");
      BoundPolicy policy = PolicyBinder.bind(policyFile.toString(), Files.readString(policyFile), KernelFacts.ofThisMachine(), Arch.X86_64);
      assertEquals(OciExport.oci(policy, Arch.X86_64, OciExport.NarrowComparisons.LIBSECCOMP,
          Optional.of(new OciExport.Listener(socket, metadata))).seccomp(), profile, f.getKey() + " is not what export writes");
    }
  }

  @Test
  void thePodsLocalhostProfileIsOneTheDaemonSetInstalls() throws IOException {
    List<JsonNode> docs = documents();
    JsonNode profiles = one(docs, "ConfigMap", "evfilter-seccomp-profiles");
    JsonNode seccomp = one(docs, "Pod", "shop").path("spec").path("securityContext").path("seccompProfile");
    assertEquals("Localhost", seccomp.path("type").asText());
    String local = seccomp.path("localhostProfile").asText();
    assertTrue(local.startsWith("evfilter/"), local);
    assertTrue(profiles.path("data").has(local.substring("evfilter/".length())), local + " is not installed");
    JsonNode pod = one(docs, "Pod", "shop");
    for (JsonNode v : pod.path("spec").path("volumes")) {
      if (v.has("secret")) {
        one(docs, "Secret", v.path("secret").path("secretName").asText());
      }
    }
  }

  // The volume a container mounts at path.
  private static String mountedAt(JsonNode container, String path) {
    for (JsonNode m : container.path("volumeMounts")) {
      if (m.path("mountPath").asText().equals(path)) {
        return m.path("name").asText();
      }
    }
    throw new AssertionError(container.path("name").asText() + " mounts nothing at " + path);
  }

  // Where a container mounts the volume.
  private static String mountPathOf(JsonNode container, String volume) {
    for (JsonNode m : container.path("volumeMounts")) {
      if (m.path("name").asText().equals(volume)) {
        return m.path("mountPath").asText();
      }
    }
    throw new AssertionError(container.path("name").asText() + " does not mount " + volume);
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
