package org.evfilter.lsm.service;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The message runc and crun send to a seccomp agent's {@code listenerPath} (the OCI runtime spec's
 * {@code ContainerProcessState}) with the container's listener attached: which attached descriptor
 * is which ({@code fds}), the container's pid, the profile's {@code listenerMetadata}, and the
 * container's state (id, bundle, annotations).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OciState(String ociVersion, List<String> fds, int pid, String metadata, JsonNode state) {
  /** The descriptor name runtimes give the seccomp listener. */
  public static final String SECCOMP_FD = "seccompFd";

  /** The container's id, for log lines ("?" when the state has none). */
  public String containerId() {
    return state != null && state.hasNonNull("id") ? state.get("id").asText() : "?";
  }
}
