package org.evfilter.lsm.ebpf;

/**
 * The cgroup hooks a program attaches to ({@code enum bpf_attach_type}), each with the program type
 * it takes. A program is loaded for one hook ({@code expected_attach_type}) and attached there.
 */
public enum AttachType {
  CGROUP_INET_INGRESS(0, ProgramType.CGROUP_SKB),
  CGROUP_INET_EGRESS(1, ProgramType.CGROUP_SKB),
  CGROUP_INET_SOCK_CREATE(2, ProgramType.CGROUP_SOCK),
  CGROUP_DEVICE(6, ProgramType.CGROUP_DEVICE),
  CGROUP_INET4_BIND(8, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET6_BIND(9, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET4_CONNECT(10, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET6_CONNECT(11, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET4_POST_BIND(12, ProgramType.CGROUP_SOCK),
  CGROUP_INET6_POST_BIND(13, ProgramType.CGROUP_SOCK),
  CGROUP_UDP4_SENDMSG(14, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_UDP6_SENDMSG(15, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_SYSCTL(18, ProgramType.CGROUP_SYSCTL),
  CGROUP_UDP4_RECVMSG(19, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_UDP6_RECVMSG(20, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_GETSOCKOPT(21, ProgramType.CGROUP_SOCKOPT),
  CGROUP_SETSOCKOPT(22, ProgramType.CGROUP_SOCKOPT),
  CGROUP_INET4_GETPEERNAME(29, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET6_GETPEERNAME(30, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET4_GETSOCKNAME(31, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET6_GETSOCKNAME(32, ProgramType.CGROUP_SOCK_ADDR),
  CGROUP_INET_SOCK_RELEASE(34, ProgramType.CGROUP_SOCK);

  private final int value;
  private final ProgramType programType;

  AttachType(int value, ProgramType programType) {
    this.value = value;
    this.programType = programType;
  }

  /** The kernel's number for it. */
  public int value() {
    return value;
  }

  /** The type of the programs this hook runs. */
  public ProgramType programType() {
    return programType;
  }
}
