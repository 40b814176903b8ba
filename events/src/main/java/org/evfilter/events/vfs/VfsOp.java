package org.evfilter.events.vfs;

/** What a syscall does to a file-system object, in the terms an object manager decides. */
public enum VfsOp {
  OPEN,
  CREATE,
  EXEC,
  UNLINK,
  RENAME,
  LINK,
  SYMLINK,
  MKDIR,
  RMDIR,
  CHMOD,
  CHOWN,
  TRUNCATE,
  SETXATTR,
  /** connect(2) to a unix socket path. */
  CONNECT,
  /** bind(2) of a unix socket to a path. */
  BIND
}
