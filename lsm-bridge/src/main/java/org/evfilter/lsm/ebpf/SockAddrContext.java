package org.evfilter.lsm.ebpf;

/**
 * The context of a {@link ProgramType#CGROUP_SOCK_ADDR} program, {@code struct bpf_sock_addr}: the
 * byte offsets a program reads through R1 on entry (each field a u32 read with {@link Size#W}).
 * Addresses and the port are in network byte order, as in the caller's sockaddr; compare them with
 * {@link #networkOrder16} and {@link #networkOrder32}.
 */
public final class SockAddrContext {
  private SockAddrContext() {}

  /** The sockaddr's family as the caller passed it (AF_INET, AF_INET6). */
  public static final int USER_FAMILY = 0;
  /** The IPv4 address (connect4, bind4, sendmsg4...). */
  public static final int USER_IP4 = 4;
  /** The IPv6 address: four u32 words at 8, 12, 16, 20. */
  public static final int USER_IP6 = 8;
  /** The port, network order in the low 16 bits of a u32 read. */
  public static final int USER_PORT = 24;
  /** The socket's family, type and protocol. */
  public static final int FAMILY = 28;
  public static final int TYPE = 32;
  public static final int PROTOCOL = 36;
  /** The source address a sendmsg names (sendmsg4 / sendmsg6 only). */
  public static final int MSG_SRC_IP4 = 40;
  public static final int MSG_SRC_IP6 = 44;

  /** A port as the program reads it from {@link #USER_PORT}: its two bytes swapped (on this little-endian host). */
  public static int networkOrder16(int port) {
    return Short.reverseBytes((short) port) & 0xffff;
  }

  /** An IPv4 address (or IPv6 word) as the program reads it: the u32 of its four bytes in network order, read little-endian. */
  public static int networkOrder32(int address) {
    return Integer.reverseBytes(address);
  }
}
