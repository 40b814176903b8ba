package org.evfilter.lsm.natives;

import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * The kernel structures the supervisor passes to syscalls, laid out by JNA from their fields
 * (x86_64) instead of written at hand-counted byte offsets.
 */
public final class Structs {
  private Structs() {}

  /** {@code struct stat} (x86_64, 144 bytes). Read only the fields needed: each read is a native call. */
  @FieldOrder({"st_dev", "st_ino", "st_nlink", "st_mode", "st_uid", "st_gid", "pad0", "st_rdev", "st_size", "st_blksize",
      "st_blocks", "st_atime", "st_atime_nsec", "st_mtime", "st_mtime_nsec", "st_ctime", "st_ctime_nsec", "unused"})
  public static final class Stat extends Structure {
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

    /** Reads what identifies the inode and its labels: device, inode, mode, change time. */
    public void readIdentity() {
      readField("st_dev");
      readField("st_ino");
      readField("st_mode");
      readField("st_ctime");
      readField("st_ctime_nsec");
    }
  }

  /** {@code struct statfs} of fstatfs(2) on x86_64: which file system an object is on ({@code f_type}). */
  @FieldOrder({"f_type", "f_bsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree", "f_fsid", "f_namelen", "f_frsize",
      "f_flags", "f_spare"})
  public static final class Statfs extends Structure {
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
  }

  /** {@code struct open_how} of openat2(2). */
  @FieldOrder({"flags", "mode", "resolve"})
  public static final class OpenHow extends Structure {
    public long flags;
    public long mode;
    public long resolve;
  }

  /** {@code struct seccomp_notif}: one notification as the kernel hands it over. */
  @FieldOrder({"id", "pid", "flags", "nr", "arch", "instruction_pointer", "args"})
  public static final class SeccompNotif extends Structure {
    public long id;
    public int pid;
    public int flags;
    public int nr;
    public int arch;
    public long instruction_pointer;
    public long[] args = new long[6];
  }

  /** {@code struct seccomp_notif_resp}: the answer to one notification. */
  @FieldOrder({"id", "val", "error", "flags"})
  public static final class SeccompNotifResp extends Structure {
    public long id;
    public long val;
    public int error;
    public int flags;
  }

  /** {@code struct seccomp_notif_addfd}: a descriptor to install in the notified task. */
  @FieldOrder({"id", "flags", "srcfd", "newfd", "newfd_flags"})
  public static final class SeccompNotifAddfd extends Structure {
    public long id;
    public int flags;
    public int srcfd;
    public int newfd;
    public int newfd_flags;
  }
}
