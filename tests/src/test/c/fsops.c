/*
 * fsops: a file-system workload whose outcome per operation can be compared between enforcement
 * designs. Reads operations, one per line, from the file argv[1]:
 *
 *   read|write|rdwr|append|trunc|create|creat-ro|readdir|opath|mkdir|rmdir|unlink PATH
 *   rename|link|symlink FROM TO
 *   exchange FROM TO          renameat2(RENAME_EXCHANGE)
 *   copy FROM TO              read FROM, create TO (O_EXCL) and write it: what mv does across labels
 *   setlabel PATH VALUE       setxattr user.evfilter.label (fsetlabel: fsetxattr on a descriptor of PATH)
 *   rmlabel|frmlabel PATH     removexattr user.evfilter.label (frmlabel: fremovexattr)
 *   setother PATH             setxattr user.other
 *   show PATH                 read PATH: "ok:" and its first word when it could
 *
 * and prints per operation "OP PATH [TO] (exists|missing): ok|ERRNO-NAME", where exists says
 * whether PATH (following links) existed before the operation. Every call is the *at syscall with
 * AT_FDCWD, made directly, so the syscalls are the same whatever libc does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *name(int e) {
  switch (e) {
    case 0: return "ok";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EXDEV: return "EXDEV";
    case ELOOP: return "ELOOP";
    case EINVAL: return "EINVAL";
    default: return strerrorname_np(e) ? strerrorname_np(e) : "E?";
  }
}

static int open_op(const char *path, int flags) {
  int fd = (int) syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errno;
  }
  close(fd);
  return 0;
}

static int copy_op(const char *from, const char *to) {
  int in = (int) syscall(SYS_openat, AT_FDCWD, from, O_RDONLY | O_CLOEXEC, 0);
  if (in < 0) {
    return errno;
  }
  int out = (int) syscall(SYS_openat, AT_FDCWD, to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    int e = errno;
    close(in);
    return e;
  }
  char buf[4096];
  ssize_t n;
  int e = 0;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    if (write(out, buf, (size_t) n) != n) {
      e = errno;
      break;
    }
  }
  close(in);
  close(out);
  return e;
}

// The file's first word, if it can be read: what a confined program would learn of it.
static char shown[64];

static int show_op(const char *path) {
  int fd = (int) syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    return errno;
  }
  ssize_t n = read(fd, shown, sizeof shown - 1);
  close(fd);
  shown[n < 0 ? 0 : n] = 0;
  shown[strcspn(shown, " \n")] = 0;
  return 0;
}

static int fd_xattr_op(const char *path, const char *value) {
  int fd = (int) syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    return errno;
  }
  int r = value ? fsetxattr(fd, "user.evfilter.label", value, strlen(value), 0) : fremovexattr(fd, "user.evfilter.label");
  int e = r == 0 ? 0 : errno;
  close(fd);
  return e;
}

int main(int argc, char **argv) {
  FILE *in = argc > 1 ? fopen(argv[1], "r") : NULL;
  if (in == NULL) {
    fprintf(stderr, "usage: fsops OPS-FILE\n");
    return 2;
  }
  char line[8192];
  while (fgets(line, sizeof line, in) != NULL) {
    line[strcspn(line, "\n")] = 0;
    char op[32], a[4096], b[4096] = "";
    int n = sscanf(line, "%31s %4095s %4095s", op, a, b);
    if (n < 2) {
      continue;
    }
    struct stat st;
    int exists = syscall(SYS_newfstatat, AT_FDCWD, a, &st, 0) == 0;
    int r;
    if (!strcmp(op, "read")) r = open_op(a, O_RDONLY);
    else if (!strcmp(op, "write")) r = open_op(a, O_WRONLY);
    else if (!strcmp(op, "rdwr")) r = open_op(a, O_RDWR);
    else if (!strcmp(op, "append")) r = open_op(a, O_WRONLY | O_APPEND);
    else if (!strcmp(op, "trunc")) r = open_op(a, O_WRONLY | O_TRUNC);
    else if (!strcmp(op, "create")) r = open_op(a, O_WRONLY | O_CREAT | O_EXCL);
    else if (!strcmp(op, "creat-ro")) r = open_op(a, O_RDONLY | O_CREAT);
    else if (!strcmp(op, "readdir")) r = open_op(a, O_RDONLY | O_DIRECTORY);
    else if (!strcmp(op, "opath")) r = open_op(a, O_PATH);
    else if (!strcmp(op, "mkdir")) r = syscall(SYS_mkdirat, AT_FDCWD, a, 0755) == 0 ? 0 : errno;
    else if (!strcmp(op, "rmdir")) r = syscall(SYS_unlinkat, AT_FDCWD, a, AT_REMOVEDIR) == 0 ? 0 : errno;
    else if (!strcmp(op, "unlink")) r = syscall(SYS_unlinkat, AT_FDCWD, a, 0) == 0 ? 0 : errno;
    else if (!strcmp(op, "rename")) r = syscall(SYS_renameat, AT_FDCWD, a, AT_FDCWD, b) == 0 ? 0 : errno;
    else if (!strcmp(op, "link")) r = syscall(SYS_linkat, AT_FDCWD, a, AT_FDCWD, b, 0) == 0 ? 0 : errno;
    else if (!strcmp(op, "symlink")) r = syscall(SYS_symlinkat, a, AT_FDCWD, b) == 0 ? 0 : errno;
    else if (!strcmp(op, "exchange")) r = syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0 ? 0 : errno;
    else if (!strcmp(op, "copy")) r = copy_op(a, b);
    else if (!strcmp(op, "setlabel")) r = setxattr(a, "user.evfilter.label", b, strlen(b), 0) == 0 ? 0 : errno;
    else if (!strcmp(op, "fsetlabel")) r = fd_xattr_op(a, b);
    else if (!strcmp(op, "rmlabel")) r = removexattr(a, "user.evfilter.label") == 0 ? 0 : errno;
    else if (!strcmp(op, "frmlabel")) r = fd_xattr_op(a, NULL);
    else if (!strcmp(op, "setother")) r = setxattr(a, "user.other", "x", 1, 0) == 0 ? 0 : errno;
    else if (!strcmp(op, "show")) r = show_op(a);
    else {
      fprintf(stderr, "fsops: unknown operation %s\n", op);
      return 2;
    }
    printf("%s %s%s%s (%s): %s%s%s\n", op, a, *b ? " " : "", b, exists ? "exists" : "missing", name(r),
        !strcmp(op, "show") && r == 0 ? ":" : "", !strcmp(op, "show") && r == 0 ? shown : "");
    fflush(stdout);
  }
  return 0;
}
