package org.evfilter.tests.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.samples.fileserver.LabelledFileServer;
import org.junit.jupiter.api.Test;

/** The sample object manager: an HTTP file server deciding each request through the policy's AVC. */
class FileServerTest {
  private static final Path POLICY = Path.of("../samples/policies/valid/fileserver.evf").toAbsolutePath().normalize();

  @Test
  void servesWhatTheLabelsAllowRefusesTheRestAndCachesDecisions() throws Exception {
    Path root = Files.createTempDirectory(Path.of("/tmp"), "evfilter-fileserver");
    Path open = Files.writeString(root.resolve("public.txt"), "public\n");
    Path secret = Files.writeString(root.resolve("secret.txt"), "secret\n");
    Files.getFileAttributeView(secret, UserDefinedFileAttributeView.class)
        .write("evfilter.label", ByteBuffer.wrap("secret_t".getBytes(StandardCharsets.US_ASCII)));
    BoundPolicy policy = PolicyBinder.load(POLICY, KernelFacts.ofThisMachine());
    HttpClient http = HttpClient.newHttpClient();
    try (LabelledFileServer server = new LabelledFileServer(root, policy, 0)) {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(server.uri().resolve("public.txt")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode());
        assertEquals("public\n", ok.body());
        HttpResponse<String> no = http.send(HttpRequest.newBuilder(server.uri().resolve("secret.txt")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(403, no.statusCode());
        assertTrue(no.body().contains("errno(13)") && no.body().contains("fileserver.evf:8:1") && no.body().contains("secret_t"),
            no.body());
      }
      assertEquals(404, http.send(HttpRequest.newBuilder(server.uri().resolve("../../etc/passwd")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      // Six requests, two objects: four answered by the cache.
      assertEquals(6, server.avcStats().lookups());
      assertEquals(4, server.avcStats().hits());
      assertTrue(http.send(HttpRequest.newBuilder(server.uri().resolve(".avc")).build(), HttpResponse.BodyHandlers.ofString())
          .body().contains("hits 4"));
    } finally {
      Files.delete(open);
      Files.delete(secret);
      Files.delete(root);
    }
  }
}
