package org.evfilter.lsm.ebpf;

/**
 * The eBPF program types evfilter loads ({@code enum bpf_prog_type}); the cgroup types need an
 * {@link AttachType} at load time.
 */
public enum ProgramType {
  SOCKET_FILTER(1),
  TRACEPOINT(5),
  CGROUP_SKB(8),
  /** Socket creation, release and post-bind ({@code struct bpf_sock}). */
  CGROUP_SOCK(9),
  CGROUP_DEVICE(15),
  RAW_TRACEPOINT(17),
  /** connect, bind, sendmsg, recvmsg, getpeername, getsockname ({@code struct bpf_sock_addr}). */
  CGROUP_SOCK_ADDR(18),
  CGROUP_SYSCTL(23),
  CGROUP_SOCKOPT(25);

  private final int value;

  ProgramType(int value) {
    this.value = value;
  }

  /** The kernel's number for it. */
  public int value() {
    return value;
  }
}
