package org.evfilter.lsm.natives;

import com.sun.jna.Structure;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import com.sun.jna.Structure.FieldOrder;

/**
 * The kernel structures the supervisor passes to syscalls, laid out by JNA from their fields
 * (x86_64) instead of written at hand-counted byte offsets. On the supervisor's hot path they are
 * read and written through a {@link Laid#view} at the offsets JNA computed for each field
 * ({@link Structure#read}/{@link Structure#write} reflect over every field, each time).
 */
public final class Structs {
  private Structs() {}

  /** A structure whose memory is also reached directly, at its fields' offsets. */
  public abstract static class Laid extends Structure {
    /** Where {@code field} is in the structure, as JNA laid it out. */
    public final int offset(String field) {
      return fieldOffset(field);
    }

    /** The structure's memory in native byte order (absolute gets and puts are not native calls). */
    public final ByteBuffer view() {
      return getPointer().getByteBuffer(0, size()).order(ByteOrder.nativeOrder());
    }
  }

  /** {@code struct stat} (x86_64, 144 bytes). Read only the fields needed: each read is a native call. */
  @FieldOrder({"st_dev", "st_ino", "st_nlink", "st_mode", "st_uid", "st_gid", "pad0", "st_rdev", "st_size", "st_blksize",
      "st_blocks", "st_atime", "st_atime_nsec", "st_mtime", "st_mtime_nsec", "st_ctime", "st_ctime_nsec", "unused"})
  public static final class Stat extends Laid {
    public long st_dev;
    public long st_ino;
    public long st_nlink;
    public int st_mode;
    public int st_uid;
    public int st_gid;
    public int pad0;
    public long st_rdev;
    public long st_size;
    public long st_blksize;
    public long st_blocks;
    public long st_atime;
    public long st_atime_nsec;
    public long st_mtime;
    public long st_mtime_nsec;
    public long st_ctime;
    public long st_ctime_nsec;
    public long[] unused = new long[3];

    private static final Stat LAYOUT = new Stat();
    /** The offsets of what identifies an inode and its labels: device, inode, mode, change time. */
    public static final int DEV = LAYOUT.offset("st_dev");
    public static final int INO = LAYOUT.offset("st_ino");
    public static final int MODE = LAYOUT.offset("st_mode");
    public static final int CTIME = LAYOUT.offset("st_ctime");
    public static final int CTIME_NSEC = LAYOUT.offset("st_ctime_nsec");
  }

  /** {@code struct statfs} of fstatfs(2) on x86_64: which file system an object is on ({@code f_type}). */
  @FieldOrder({"f_type", "f_bsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree", "f_fsid", "f_namelen", "f_frsize",
      "f_flags", "f_spare"})
  public static final class Statfs extends Laid {
    /** procfs's magic number. */
    public static final long PROC_SUPER_MAGIC = 0x9fa0;

    public long f_type;
    public long f_bsize;
    public long f_blocks;
    public long f_bfree;
    public long f_bavail;
    public long f_files;
    public long f_ffree;
    public int[] f_fsid = new int[2];
    public long f_namelen;
    public long f_frsize;
    public long f_flags;
    public long[] f_spare = new long[4];

    private static final Statfs LAYOUT = new Statfs();
    public static final int TYPE = LAYOUT.offset("f_type");
  }

  /** {@code struct open_how} of openat2(2). */
  @FieldOrder({"flags", "mode", "resolve"})
  public static final class OpenHow extends Laid {
    public long flags;
    public long mode;
    public long resolve;

    private static final OpenHow LAYOUT = new OpenHow();
    public static final int FLAGS = LAYOUT.offset("flags");
    public static final int MODE = LAYOUT.offset("mode");
    public static final int RESOLVE = LAYOUT.offset("resolve");
  }

  /** {@code struct seccomp_notif}: one notification as the kernel hands it over. */
  @FieldOrder({"id", "pid", "flags", "nr", "arch", "instruction_pointer", "args"})
  public static final class SeccompNotif extends Laid {
    public long id;
    public int pid;
    public int flags;
    public int nr;
    public int arch;
    public long instruction_pointer;
    public long[] args = new long[6];

    private static final SeccompNotif LAYOUT = new SeccompNotif();
    public static final int ID = LAYOUT.offset("id");
    public static final int PID = LAYOUT.offset("pid");
    public static final int NR = LAYOUT.offset("nr");
    public static final int ARCH = LAYOUT.offset("arch");
    public static final int IP = LAYOUT.offset("instruction_pointer");
    public static final int ARGS = LAYOUT.offset("args");
  }

  /** {@code struct seccomp_notif_resp}: the answer to one notification. */
  @FieldOrder({"id", "val", "error", "flags"})
  public static final class SeccompNotifResp extends Laid {
    public long id;
    public long val;
    public int error;
    public int flags;

    private static final SeccompNotifResp LAYOUT = new SeccompNotifResp();
    public static final int ID = LAYOUT.offset("id");
    public static final int VAL = LAYOUT.offset("val");
    public static final int ERROR = LAYOUT.offset("error");
    public static final int FLAGS = LAYOUT.offset("flags");
  }

  /** {@code struct seccomp_notif_addfd}: a descriptor to install in the notified task. */
  @FieldOrder({"id", "flags", "srcfd", "newfd", "newfd_flags"})
  public static final class SeccompNotifAddfd extends Laid {
    public long id;
    public int flags;
    public int srcfd;
    public int newfd;
    public int newfd_flags;

    private static final SeccompNotifAddfd LAYOUT = new SeccompNotifAddfd();
    public static final int ID = LAYOUT.offset("id");
    public static final int FLAGS = LAYOUT.offset("flags");
    public static final int SRCFD = LAYOUT.offset("srcfd");
    public static final int NEWFD = LAYOUT.offset("newfd");
    public static final int NEWFD_FLAGS = LAYOUT.offset("newfd_flags");
  }

  /** {@code struct sockaddr_un}: a unix socket's path. */
  @FieldOrder({"sun_family", "sun_path"})
  public static final class SockaddrUn extends Structure {
    public short sun_family;
    public byte[] sun_path = new byte[108];
  }

  /** {@code struct ucred}: a unix socket peer's credentials ({@code SO_PEERCRED}). */
  @FieldOrder({"pid", "uid", "gid"})
  public static final class Ucred extends Structure {
    public int pid;
    public int uid;
    public int gid;
  }

  /** {@code struct timeval}: a socket timeout ({@code SO_RCVTIMEO}, {@code SO_SNDTIMEO}). */
  @FieldOrder({"tv_sec", "tv_usec"})
  public static final class Timeval extends Structure {
    public long tv_sec;
    public long tv_usec;
  }

  /** {@code struct iovec}: one buffer of a {@code sendmsg}/{@code recvmsg}. */
  @FieldOrder({"iov_base", "iov_len"})
  public static final class Iovec extends Structure {
    public com.sun.jna.Pointer iov_base;
    public long iov_len;
  }

  /**
   * {@code struct cmsghdr} followed by room for {@link #MAX_FDS} descriptors ({@code SCM_RIGHTS}):
   * {@code CMSG_SPACE(MAX_FDS * sizeof(int))} bytes, the ancillary data of one message.
   */
  @FieldOrder({"cmsg_len", "cmsg_level", "cmsg_type", "fds"})
  public static final class Cmsghdr extends Structure {
    /** The most descriptors one message may carry. */
    public static final int MAX_FDS = 4;
    /** {@code CMSG_LEN(0)}: the header's size. */
    public static final int HEADER = 16;
    public long cmsg_len;
    public int cmsg_level;
    public int cmsg_type;
    public int[] fds = new int[MAX_FDS];
  }

  /** {@code struct msghdr} of {@code sendmsg}/{@code recvmsg}: no address (connected sockets). */
  @FieldOrder({"msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen", "msg_flags"})
  public static final class Msghdr extends Structure {
    public com.sun.jna.Pointer msg_name;
    public int msg_namelen;
    public com.sun.jna.Pointer msg_iov;
    public long msg_iovlen;
    public com.sun.jna.Pointer msg_control;
    public long msg_controllen;
    public int msg_flags;
  }
}
