/*
 * evfilter-launch: the process that becomes the sandboxed command.
 *
 * usage: evfilter-launch --control=SOCKET --program=PROGRAM.bpf [--listen] [--landlock=RULESET] [--cgroup=DIR] -- CMD [ARGS...]
 *
 * With --cgroup (a cgroup v2 leaf the JVM made and attached the socket rules' eBPF programs to),
 * the launcher first moves itself into DIR and makes DIR the root of a new cgroup namespace (see
 * enter_cgroup): CMD and every child run under those programs and cannot leave the leaf.
 *
 * With --landlock (a file the JVM writes: see LandlockRuleset.serialise), the launcher first
 * builds that Landlock ruleset — every directory and file opened O_PATH without following links
 * and checked to be the device and inode the JVM expanded and scanned — and restricts itself with
 * it, then installs the program: the program lets through the calls whose labels the ruleset
 * decides. Any failure stops the launch: the program alone would allow what the ruleset must
 * refuse.
 *
 * It connects to the supervisor's control socket, clears the signal mask and dispositions it
 * inherited from the JVM, closes every other descriptor, sets no_new_privs and installs the
 * program on itself (one thread: no TSYNC needed). With --listen the filter has a notification
 * listener; the launcher tells the supervisor the descriptor number the listener will get before
 * installing, because after installing it may only make the syscalls the policy allows: it then
 * blocks in read() until the supervisor has taken the listener with pidfd_getfd, and execs CMD.
 * Without the supervisor's word (the policy denies read, or the supervisor is gone) it exits 125
 * and CMD never runs: a listener nobody holds would let CMD install a listener of its own, which
 * would then answer the notifications meant for the supervisor (fail closed).
 *
 * Exit status when CMD cannot start: 126 (found but not executable or exec denied), 127 (not
 * found), 125 (the launcher itself failed; the reason is on stderr when it can still be written).
 *
 * usage: evfilter-launch --service SOCKET JAVA_COMMAND... --args run OPTIONS... -- CMD [ARGS...]
 *
 * `evfilter run` through `evfilter serve` (LaunchProtocol in lsm-bridge's service package): sends
 * the arguments and the working directory, prints the warnings, forks CMD under the program the
 * service sends (after its Landlock ruleset, read from memory), hands CMD's listener and pid over
 * and keeps no copy (the service's end is the listener's: fail closed), lets CMD start, prints the
 * denials as they come, then CMD's status and the summary. It execs JAVA_COMMAND instead when
 * nothing answers on SOCKET or the service leaves the run to evfilter (--dry-run...).
 *
 * usage: evfilter-launch --syscall-loop COUNT CLOSE(0|1) NR [ARG...]
 *
 * The built-in microbenchmark of `evfilter compare --kernel`: makes syscall NR with the arguments
 * (numbers, or @TEXT for a pointer to TEXT) COUNT times after COUNT/10 to warm up, closing the
 * result when CLOSE=1 and it is a descriptor, and prints "ns_per_call X failed N errno E" (N of
 * the timed calls failed, E the errno of the last that did). As the command of the
 * launcher (-- --syscall-loop ...) it runs in the launcher itself, under its ruleset and program,
 * with no exec in between.
 *
 * usage: evfilter-launch --scan-xattrs NAME[,NAME...] ROOT...
 *
 * Walks every ROOT (not following symbolic links, crossing mounts as Landlock's rules do) and
 * writes the objects carrying one of the xattrs NAME with those xattrs' values (see scan_one),
 * then the count of objects looked at. One listxattr per object and no stat where the directory
 * entry's type says what it is: the JVM's walk stats every entry and takes three times as long. An
 * object it cannot look at stops it with an error: an incomplete scan proves nothing.
 *
 * usage: evfilter-launch --cached CACHE_DIR BUILD JAVA_COMMAND... --args run OPTIONS... -- CMD [ARGS...]
 *
 * BUILD is a file that changes with every build (the jar): it is part of the key. JAVA_COMMAND is
 * how to start evfilter's main class (java [OPTIONS] -jar JAR), and the arguments follow it.
 *
 * The fast start of `evfilter run` (the ./evfilter script calls it): when CACHE_DIR holds the
 * program an earlier run compiled from the same arguments, working directory, jar, kernel and
 * boot, and none of the files it was compiled from changed (device, inode, size, mtime, ctime),
 * the launcher forks CMD under it at once and execs the JVM beside it as CMD's supervisor, handing
 * it the listener (CMD's notified syscalls wait for it; nothing runs unchecked meanwhile). A policy
 * that defers nothing needs no JVM at all: the launcher waits for CMD and exits with its status.
 * Otherwise (no entry, a stale one, one that is not ours) it execs the JVM, which compiles and
 * leaves the entry for the next run. Entries are trusted only in a directory and files owned by
 * this user and writable by nobody else.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
/* glibc names the Landlock syscalls after the kernel headers it is built with (2.36 with 6.1's:
   it does); the numbers are the same on every arch since 5.13. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void die(const char *what) {
  fprintf(stderr, "evfilter-launch: %s: %s\n", what, strerror(errno));
  _exit(125);
}

/* The JVM blocks some signals and ignores others; CMD must start with the defaults. */
static void default_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* The raw call: glibc's signal() refuses its own signals 32 and 33, which the JVM may ignore. */
  struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } dfl = {SIG_DFL, 0, NULL, 0};
  for (int s = 1; s < 65; s++) {
    if (s != SIGKILL && s != SIGSTOP) {
      syscall(SYS_rt_sigaction, s, &dfl, NULL, 8);
    }
  }
}

/* Nothing but stdin, stdout and stderr (and `keep`) reaches CMD. */
static void close_others(int keep) {
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 1024; fd++) {
      if (fd != keep) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
  }
}

/* no_new_privs, then the program: returns the listener (or 0 without one); dies on failure. */
static long install(struct sock_fprog *prog, int listen) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    die("no_new_privs");
  }
  unsigned long flags = listen ? SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
  if (fd < 0 && listen && errno == EINVAL) {
    /* Before Linux 5.19 there is no WAIT_KILLABLE_RECV. */
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
  }
  if (fd < 0) {
    die("install the seccomp program");
  }
  return fd;
}

#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1) /* <linux/landlock.h> of 6.15, ABI 7 */
#endif

struct ruleset_attr {
  unsigned long long handled_access_fs, handled_access_net, scoped;
};

struct path_beneath_attr {
  unsigned long long allowed_access;
  int parent_fd;
} __attribute__((packed));

/* Restricts this process with the serialised ruleset read from `in`, which it closes. */
static void landlock_from(FILE *in) {
  unsigned int abi;
  unsigned long long handled;
  if (fscanf(in, "landlock %x %llx\n", &abi, &handled) != 2) {
    errno = EINVAL;
    die("the Landlock ruleset file");
  }
  struct ruleset_attr attr = {.handled_access_fs = handled};
  /* Each ABI knows its own struct size; a smaller one is what older kernels accept. */
  size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof(unsigned long long) : sizeof(unsigned long long);
  int rs = (int) syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (rs < 0) {
    die("landlock_create_ruleset");
  }
  unsigned long long rights, dev, ino;
  size_t len;
  int got;
  while ((got = fscanf(in, "rule %llx %llx %llx %zx\n", &rights, &dev, &ino, &len)) == 4) {
    if (len == 0 || len >= PATH_MAX) {
      errno = EINVAL;
      die("the Landlock ruleset file");
    }
    char *path = malloc(len + 1);
    if (path == NULL || fread(path, 1, len, in) != len || fgetc(in) != '\n') {
      errno = EINVAL;
      die("the Landlock ruleset file");
    }
    path[len] = 0;
    int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      die(path);
    }
    if ((unsigned long long) st.st_dev != dev || (unsigned long long) st.st_ino != ino) {
      fprintf(stderr, "evfilter-launch: %s changed between its check and the launch (another file is there now)\n", path);
      _exit(125);
    }
    struct path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
    if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
      die(path);
    }
    close(fd);
    free(path);
  }
  if (got != EOF || !feof(in)) {
    errno = EINVAL;
    die("the Landlock ruleset file"); /* a record cut short, or something that is no record */
  }
  fclose(in);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    die("no_new_privs");
  }
  /* The command is exec'd after this call: without LOG_NEW_EXEC_ON (ABI 7) its refusals would not
     be logged (by default Landlock logs only what the restricting executable is refused). The
     kernel writes them only while auditing is on; `evfilter run` reports them from there. */
  unsigned int log_flags = abi >= 7 ? LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
  if (syscall(SYS_landlock_restrict_self, rs, log_flags) != 0) {
    die("landlock_restrict_self");
  }
  close(rs);
}

static void landlock(const char *file) {
  FILE *in = fopen(file, "re");
  if (in == NULL) {
    die(file);
  }
  landlock_from(in);
}

/* Refuses this process and its children writing any file of the cgroup v2 hierarchy mounted at
 * `mount` (and making directories in it), and nothing else: a Landlock layer handling those two
 * rights and granting them beneath every entry of each ancestor of the mount but the one leading
 * to it. Without cgroup's nsdelegate mount option the kernel lets root move a task anywhere by
 * writing a cgroup.procs (cgroup_procs_write_permission checks the cgroup namespace only on such
 * a mount); Landlock checks the path wherever it is reached from (/proc/1/root/sys/fs/... too). */
static void lock_cgroup_tree(const char *mount) {
  const unsigned long long write = LANDLOCK_ACCESS_FS_WRITE_FILE, mkdir_ = LANDLOCK_ACCESS_FS_MAKE_DIR;
  struct ruleset_attr attr = {.handled_access_fs = write | mkdir_};
  int rs = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof(unsigned long long), 0);
  if (rs < 0) {
    die("landlock_create_ruleset (the cgroup lock)");
  }
  char at[PATH_MAX] = "/";
  const char *rest = mount + 1;
  while (*rest != 0) {
    const char *slash = strchr(rest, '/');
    size_t len = slash == NULL ? strlen(rest) : (size_t) (slash - rest);
    DIR *d = opendir(at);
    if (d == NULL) {
      die(at);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || (strlen(e->d_name) == len && strncmp(e->d_name, rest, len) == 0)) {
        continue;
      }
      int fd = openat(dirfd(d), e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat(fd, &st) != 0 || S_ISLNK(st.st_mode)) {
        if (fd >= 0) close(fd);
        continue; /* a link is followed to its target, which has its own rule */
      }
      struct path_beneath_attr pb = {.allowed_access = S_ISDIR(st.st_mode) ? write | mkdir_ : write, .parent_fd = fd};
      if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
        die("landlock_add_rule (the cgroup lock)");
      }
      close(fd);
    }
    closedir(d);
    size_t used = strlen(at);
    if (used + len + 2 >= sizeof at) {
      errno = ENAMETOOLONG;
      die("the cgroup mount");
    }
    if (used > 1) at[used++] = '/';
    memcpy(at + used, rest, len);
    at[used + len] = 0;
    rest += len + (slash != NULL);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
    die("landlock_restrict_self (the cgroup lock)");
  }
  close(rs);
}

/* Moves this process into the cgroup leaf `dir` (<mount>/evfilter/run-..., see CgroupLeaf), whose
 * eBPF programs decide socket calls, then makes it the root of a new cgroup namespace (on a
 * mount with nsdelegate the kernel then refuses moves out of it: cgroup_procs_write_permission
 * wants source and destination beneath the namespace's root) and locks the hierarchy's files
 * against writes (lock_cgroup_tree): neither CMD nor its children can leave the leaf by writing a
 * cgroup.procs. clone3(CLONE_INTO_CGROUP) is the program's to refuse (ENOSYS for clone3), setns
 * and bpf (BPF_PROG_DETACH as root) the policy's: see the README. Dies on failure: without the
 * leaf the socket calls the program lets through would go unchecked. */
static void enter_cgroup(const char *dir) {
  char procs[PATH_MAX];
  if (snprintf(procs, sizeof procs, "%s/cgroup.procs", dir) >= (int) sizeof procs) {
    errno = ENAMETOOLONG;
    die("the run's cgroup");
  }
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "0", 1) != 1) {
    die("enter the run's cgroup");
  }
  close(fd);
  if (unshare(CLONE_NEWCGROUP) != 0) {
    die("unshare the cgroup namespace");
  }
  char mount[PATH_MAX];
  strcpy(mount, dir);
  for (int up = 0; up < 2; up++) {
    char *cut = strrchr(mount, '/');
    if (cut == NULL || cut == mount) {
      errno = EINVAL;
      die("the run's cgroup is not <mount>/evfilter/<leaf>");
    }
    *cut = 0;
  }
  lock_cgroup_tree(mount);
}

static int syscall_loop(char **args) {
  int n = 0;
  while (args[n] != NULL) {
    n++;
  }
  if (n < 3 || n > 9) {
    fprintf(stderr, "usage: evfilter-launch --syscall-loop COUNT CLOSE(0|1) NR [ARG...] (at most 6 arguments)\n");
    return 125;
  }
  long count = atol(args[0]);
  int closing = args[1][0] == '1';
  long nr = strtol(args[2], NULL, 0);
  long a[6] = {0};
  for (int i = 3; i < n; i++) {
    a[i - 3] = args[i][0] == '@' ? (long) (args[i] + 1) : (long) strtoull(args[i], NULL, 0);
  }
  for (long i = 0; i < count / 10 + 1; i++) {
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (closing && r >= 0) {
      close((int) r);
    }
  }
  struct timespec t0, t1;
  long failed = 0;
  int last_errno = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < count; i++) {
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r < 0) {
      failed++;
      last_errno = errno;
    } else if (closing) {
      close((int) r);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (count > 0 ? count : 1);
  printf("ns_per_call %.1f failed %ld errno %d\n", ns, failed, last_errno);
  return fflush(stdout) == 0 ? 0 : 125;
}

static void run_command(char **cmd) {
  if (strcmp(cmd[0], "--syscall-loop") == 0) {
    _exit(syscall_loop(cmd + 1));
  }
  execvp(cmd[0], cmd);
  int e = errno;
  fprintf(stderr, "evfilter-launch: %s: %s\n", cmd[0], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}

/* ---- the cached fast start ---- */

static unsigned long long fnv1a(const unsigned char *p, size_t n) {
  unsigned long long h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ p[i]) * 0x100000001b3ULL;
  }
  return h;
}

struct buf { unsigned char *p; size_t len, cap; };

static void put(struct buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 256;
    b->p = realloc(b->p, b->cap);
    if (b->p == NULL) {
      die("memory");
    }
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void put_str(struct buf *b, const char *s) {
  put(b, s, strlen(s) + 1);
}

struct reader { const unsigned char *p; size_t left; int ok; };

static const void *take(struct reader *r, size_t n) {
  if (!r->ok || r->left < n) {
    r->ok = 0;
    return NULL;
  }
  const void *at = r->p;
  r->p += n;
  r->left -= n;
  return at;
}

/* An integer of `size` bytes (4 or 8, native order); 0 past the end (the reader is then not ok). */
static long long take_int(struct reader *r, size_t size) {
  const void *at = take(r, size);
  if (at == NULL) {
    return 0;
  }
  if (size == 4) {
    unsigned int v;
    memcpy(&v, at, 4);
    return v;
  }
  long long v;
  memcpy(&v, at, 8);
  return v;
}

#define take_u32(r) ((unsigned int) take_int((r), 4))
#define take_i64(r) take_int((r), 8)

/* The whole file `name` in `dir`, when both are ours and writable by nobody else, neither is a
 * symlink and the file has no other name (a hard link of someone else's making). */
static unsigned char *read_owned(const char *dir, const char *name, size_t *len) {
  int d = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat ds;
  if (d < 0 || fstat(d, &ds) != 0 || ds.st_uid != geteuid() || (ds.st_mode & 022) != 0) {
    if (d >= 0) close(d);
    return NULL;
  }
  int fd = openat(d, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  close(d);
  if (fd < 0) {
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0
      || st.st_nlink != 1 || st.st_size > (1 << 24)) {
    close(fd);
    return NULL;
  }
  unsigned char *data = malloc(st.st_size + 1);
  size_t got = 0;
  while (data != NULL && got < (size_t) st.st_size) {
    ssize_t n = read(fd, data + got, st.st_size - got);
    if (n <= 0) {
      break;
    }
    got += n;
  }
  close(fd);
  if (data == NULL || got != (size_t) st.st_size) {
    free(data);
    return NULL;
  }
  *len = got;
  return data;
}


/* How long the child may take to install its program, as the JVM's launch waits (Sandbox). */
#define HANDOFF_TIMEOUT_NS 10000000000LL
/* The first retries come soon (installing takes microseconds), later ones no more than this apart. */
#define HANDOFF_MAX_SLEEP_NS 1000000L

static long long monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The child's listener, once it exists: pidfd_getfd until its descriptor number appears, while the
 * child lives, for at most HANDOFF_TIMEOUT_NS; -1 if it never does. */
static int take_listener(pid_t child, int fd) {
  int pidfd = (int) syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0) {
    return -1;
  }
  long long deadline = monotonic_ns() + HANDOFF_TIMEOUT_NS;
  struct timespec pause = {0, 10000};
  int got;
  while ((got = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0)) < 0) {
    if (errno != EBADF || waitpid(child, NULL, WNOHANG) != 0 || monotonic_ns() > deadline) {
      break;
    }
    nanosleep(&pause, NULL);
    pause.tv_nsec = pause.tv_nsec * 2 > HANDOFF_MAX_SLEEP_NS ? HANDOFF_MAX_SLEEP_NS : pause.tv_nsec * 2;
  }
  close(pidfd);
  return got;
}

static pid_t forward_to;

static void forward(int sig) {
  kill(forward_to, sig);
}

/* How to start evfilter's main class, and the arguments of `run` that follow it. */
struct java_command {
  char **java;
  int njava;
  char **args; /* "run", its options, "--", CMD... */
  int nargs;
  int sep;     /* the index of "--" in args */
};

/* Execs the JVM with `extra` options after "run"; returns only when that fails. */
static void exec_java(const struct java_command *j, char **extra, int nextra) {
  char **argv = calloc(j->njava + j->nargs + nextra + 1, sizeof *argv);
  if (argv == NULL) {
    die("memory");
  }
  int k = 0;
  for (int i = 0; i < j->njava; i++) argv[k++] = j->java[i];
  argv[k++] = j->args[0]; /* "run" */
  for (int i = 0; i < nextra; i++) argv[k++] = extra[i];
  for (int i = 1; i < j->nargs; i++) argv[k++] = j->args[i];
  argv[k] = NULL;
  execvp(argv[0], argv);
  fprintf(stderr, "evfilter: cannot start %s: %s\n", argv[0], strerror(errno));
}

/* The key: everything the compiled program depends on that is not a file in its manifest; -1 when
 * the run cannot be cached (the jar is not there, the working directory has no name). */
static int cache_key(struct buf *key, const char *jar, const struct java_command *j) {
  put_str(key, "evfilter-run-cache-1");
  struct utsname u;
  uname(&u);
  put_str(key, u.release);
  char boot[64] = "";
  int bf = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (bf >= 0) {
    ssize_t n = read(bf, boot, sizeof boot - 1);
    boot[n > 0 ? n : 0] = 0;
    close(bf);
  }
  put_str(key, boot);
  struct stat js;
  if (stat(jar, &js) != 0) {
    return -1;
  }
  long long jid[5] = {(long long) js.st_dev, (long long) js.st_ino, (long long) js.st_size, js.st_mtim.tv_sec, js.st_mtim.tv_nsec};
  put(key, jid, sizeof jid);
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL) {
    return -1; /* relative paths in the arguments would mean something else */
  }
  put_str(key, cwd);
  /* What /proc/kallsyms shows, and so what a policy binds, depends on who reads it. */
  unsigned int euid = geteuid();
  put(key, &euid, sizeof euid);
  for (int i = 0; i < j->sep; i++) put_str(key, j->args[i]);
  return 0;
}

/* A cache entry's contents after its key and manifest. */
struct entry {
  unsigned int flags; /* bit 0: the program has a listener */
  unsigned int mlen;
  const char *messages; /* what `run` says on stderr before the command starts */
  unsigned int plen;
  const void *insns;
};

/* Whether every file of the manifest at `r` is as it was when the entry was written (device, inode,
 * size, mtime, ctime). */
static int manifest_unchanged(struct reader *r) {
  unsigned int nfiles = take_u32(r);
  for (unsigned int i = 0; i < nfiles; i++) {
    unsigned int plen = take_u32(r);
    const char *path = take(r, plen);
    long long want[7];
    for (int j = 0; j < 7; j++) want[j] = take_i64(r);
    struct stat fs;
    char p[4200];
    if (!r->ok || plen == 0 || plen >= sizeof p) {
      return 0;
    }
    memcpy(p, path, plen);
    p[plen] = 0;
    if (stat(p, &fs) != 0 || want[0] != (long long) fs.st_dev || want[1] != (long long) fs.st_ino
        || want[2] != (long long) fs.st_size || want[3] != fs.st_mtim.tv_sec || want[4] != fs.st_mtim.tv_nsec
        || want[5] != fs.st_ctim.tv_sec || want[6] != fs.st_ctim.tv_nsec) {
      return 0;
    }
  }
  return r->ok;
}

/* The entry `name` in `dir` made for `key`, when it is there, ours, whole, and none of the files
 * it was compiled from changed. */
static int read_entry(const char *dir, const char *name, const struct buf *key, struct entry *e) {
  size_t len = 0;
  unsigned char *data = read_owned(dir, name, &len);
  struct reader r = {data, len, data != NULL};
  const char *magic = take(&r, 8);
  unsigned int klen = take_u32(&r);
  const unsigned char *k = take(&r, klen);
  if (!r.ok || memcmp(magic, "EVFRUN1\n", 8) != 0 || klen != key->len || memcmp(k, key->p, klen) != 0
      || !manifest_unchanged(&r)) {
    return 0;
  }
  e->flags = take_u32(&r);
  e->mlen = take_u32(&r);
  e->messages = take(&r, e->mlen);
  e->plen = take_u32(&r);
  e->insns = take(&r, e->plen);
  return r.ok && r.left == 0 && e->plen > 0 && e->plen % sizeof(struct sock_filter) == 0
      && e->plen / sizeof(struct sock_filter) <= 4096;
}

/* A miss: the JVM compiles and leaves the entry; where and under which key go on its command line
 * (never in the environment, which the command inherits). Returns only when the exec fails. */
static void exec_java_to_fill(const struct java_command *j, const char *entry, const struct buf *key) {
  char *hex = malloc(key->len * 2 + 32);
  char *where = malloc(strlen(entry) + 32);
  if (hex == NULL || where == NULL) {
    exec_java(j, NULL, 0);
    return;
  }
  strcpy(hex, "--cache-key=");
  for (size_t i = 0; i < key->len; i++) sprintf(hex + 12 + 2 * i, "%02x", key->p[i]);
  sprintf(where, "--cache-entry=%s", entry);
  char *extra[] = {where, hex};
  exec_java(j, extra, 2);
}

/* A program and what restricts the command before it: the launcher's own copy. */
struct sandbox_plan {
  const void *insns;      /* struct sock_filter[] */
  unsigned int plen;      /* bytes */
  int listen;             /* whether the filter gets a notification listener */
  const char *ruleset;    /* a serialised Landlock ruleset (NULL: none) */
  size_t rlen;
  const char *cgroup;     /* the cgroup leaf to enter (NULL: none) */
};

/* Forks CMD under the program (after the Landlock ruleset, when there is one); with a listener,
 * CMD says on `sp` which descriptor the listener will be, installs, and waits there for the word
 * to go (as in the launcher's main mode). */
static pid_t fork_command(const struct sandbox_plan *plan, int sp[2], char **cmd) {
  struct sock_fprog prog = {.len = (unsigned short) (plan->plen / sizeof(struct sock_filter)), .filter = (struct sock_filter *) plan->insns};
  pid_t child = fork();
  if (child != 0) {
    return child;
  }
  if (plan->listen) {
    close(sp[0]); /* so that a supervisor that never starts means EOF here, not a wait forever */
  }
  default_signals();
  close_others(plan->listen ? sp[1] : -1);
  if (plan->cgroup != NULL) {
    enter_cgroup(plan->cgroup);
  }
  if (plan->ruleset != NULL) {
    FILE *in = fmemopen((void *) plan->ruleset, plan->rlen, "r");
    if (in == NULL) {
      die("the Landlock ruleset");
    }
    landlock_from(in);
  }
  if (!plan->listen) {
    install(&prog, 0);
    run_command(cmd);
  }
  int probe = dup(sp[1]);
  close(probe);
  if (write(sp[1], &probe, sizeof probe) != sizeof probe) {
    _exit(125);
  }
  install(&prog, 1);
  char go = 0;
  if (read(sp[1], &go, 1) != 1 || go != 'g') {
    _exit(125);
  }
  run_command(cmd);
  return -1; /* not reached: run_command exits */
}

/* The launcher stands by CMD as a shell does: a terminal's ^C and ^\\ are CMD's alone, and
 * termination asked of the launcher goes to CMD, which it then waits for. */
static void stand_by(pid_t child) {
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGCHLD, SIG_DFL);
  forward_to = child;
  signal(SIGTERM, forward);
  signal(SIGHUP, forward);
}

static int reported(int status, const char *name);

/* Nothing to supervise, so no JVM: waits for CMD as a shell would and reports like `evfilter run`. */
static int wait_command(pid_t child, const char *name) {
  stand_by(child);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      die("waitpid");
    }
  }
  return reported(status, name);
}

/* The exit status as a shell gives it, saying so when CMD was killed (as `evfilter run` does). */
static int reported(int status, const char *name) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    fprintf(stderr, "evfilter run: %s was killed by signal %d%s\n", name, sig,
            sig == SIGSYS ? " (SIGSYS: the policy's kill or trap action)" : "");
    return 128 + sig;
  }
  return WEXITSTATUS(status);
}

/* Takes CMD's listener and execs the JVM as its supervisor (exec keeps our pid, so the JVM is CMD's
 * parent) with the listener, CMD's pid, the program and the channel of the word to go. */
/* CMD's listener, once it said which descriptor it will be and installed its program; -1 (CMD
 * killed and reaped, the reason said) when that never happens. */
static int command_listener(pid_t child, int sp0) {
  int predicted = -1;
  int listener = read(sp0, &predicted, sizeof predicted) == sizeof predicted ? take_listener(child, predicted) : -1;
  if (listener < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    fprintf(stderr, "evfilter run: the command never installed its program or ended before the handoff (a policy that denies read stops it): it did not run\n");
  }
  return listener;
}

static int hand_over(pid_t child, int sp0, const struct entry *e, const struct java_command *j) {
  int listener = command_listener(child, sp0);
  if (listener < 0) {
    return 125;
  }
  /* The JVM says go, on sp0, only once the program it compiles is, byte for byte, the one the
   * command runs (given to it in a sealed memfd): nothing of the command runs before. */
  int prog_fd = (int) syscall(SYS_memfd_create, "evfilter-program", MFD_ALLOW_SEALING);
  if (prog_fd < 0 || write(prog_fd, e->insns, e->plen) != (ssize_t) e->plen
      || fcntl(prog_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    kill(child, SIGKILL);
    die("memfd");
  }
  fcntl(sp0, F_SETFD, 0);
  fcntl(listener, F_SETFD, 0);
  char lopt[32], popt[32], fopt[40], gopt[32];
  snprintf(lopt, sizeof lopt, "--attach-listener=%d", listener);
  snprintf(popt, sizeof popt, "--attach-pid=%d", (int) child);
  snprintf(fopt, sizeof fopt, "--attach-program-fd=%d", prog_fd);
  snprintf(gopt, sizeof gopt, "--attach-go-fd=%d", sp0);
  char *extra[] = {lopt, popt, fopt, gopt};
  exec_java(j, extra, 4);
  kill(child, SIGKILL);
  return 125;
}

/* JAVA_COMMAND... --args ARGS... from argv[from]; -1 without --args and an argument after it. */
static int java_command_of(int argc, char **argv, int from, struct java_command *j) {
  int a = from;
  while (a < argc && strcmp(argv[a], "--args") != 0) a++;
  if (a >= argc - 1) {
    return -1;
  }
  *j = (struct java_command) {.java = argv + from, .njava = a - from, .args = argv + a + 1, .nargs = argc - a - 1};
  while (j->sep < j->nargs && strcmp(j->args[j->sep], "--") != 0) j->sep++;
  return 0;
}

static int cached(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: evfilter-launch --cached CACHE_DIR BUILD JAVA_COMMAND... --args run OPTIONS... -- CMD...\n");
    return 125;
  }
  const char *dir = argv[2], *jar = argv[3];
  struct java_command j;
  if (java_command_of(argc, argv, 4, &j) != 0) {
    fprintf(stderr, "evfilter-launch: --cached needs --args\n");
    return 125;
  }
  struct buf key = {0};
  if (strcmp(j.args[0], "run") != 0 || j.sep >= j.nargs - 1 || cache_key(&key, jar, &j) != 0) {
    exec_java(&j, NULL, 0);
    return 125;
  }
  char name[40], entry[4200];
  snprintf(name, sizeof name, "%016llx.run", fnv1a(key.p, key.len));
  snprintf(entry, sizeof entry, "%s/%s", dir, name);
  struct entry e = {0};
  if (!read_entry(dir, name, &key, &e)) {
    exec_java_to_fill(&j, entry, &key);
    return 125;
  }
  fwrite(e.messages, 1, e.mlen, stderr);
  fflush(stderr);
  int listen = e.flags & 1;
  int sp[2];
  if (listen && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
    die("socketpair");
  }
  char **cmd = j.args + j.sep + 1;
  struct sandbox_plan plan = {.insns = e.insns, .plen = e.plen, .listen = listen};
  pid_t child = fork_command(&plan, sp, cmd);
  if (child < 0) {
    die("fork");
  }
  if (!listen) {
    return wait_command(child, cmd[0]);
  }
  close(sp[1]);
  return hand_over(child, sp[0], &e, &j);
}

/* ---- `evfilter run` through the service (evfilter serve) ---- */

/* The frames of LaunchProtocol (org.evfilter.lsm.service): u32 type, u32 length, payload. */
#define SERVICE_PROTOCOL 1
#define FRAME_MAX (16u << 20)
/* A service that has not planned the run by then is not answering: run evfilter itself. */
#define SERVICE_PLAN_TIMEOUT_S 30

struct frame { unsigned int type, len; char *data; };

static int read_all(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *) buf + got, n - got);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return -1;
    }
    got += r;
  }
  return 0;
}

/* The next frame (its data NUL-terminated); -1 at the end of the stream or on a broken one. */
static int read_frame(int fd, struct frame *f) {
  unsigned int head[2];
  if (read_all(fd, head, sizeof head) != 0 || head[1] > FRAME_MAX) {
    return -1;
  }
  free(f->data);
  f->type = head[0];
  f->len = head[1];
  f->data = malloc(f->len + 1);
  if (f->data == NULL || read_all(fd, f->data, f->len) != 0) {
    return -1;
  }
  f->data[f->len] = 0;
  return 0;
}

static void put_json_string(struct buf *b, const char *s) {
  put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char) *p};
      put(b, esc, 2);
    } else if (*p < 0x20) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      put(b, esc, 6);
    } else {
      put(b, p, 1);
    }
  }
  put(b, "\"", 1);
}

/* {"evfilter": 1, "args": ["run", ...], "cwd": "..."}; -1 when the working directory has no name. */
static int service_request(struct buf *b, const struct java_command *j) {
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL) {
    return -1;
  }
  char head[64];
  put(b, head, snprintf(head, sizeof head, "{\"evfilter\": %d, \"args\": [", SERVICE_PROTOCOL));
  for (int i = 0; i < j->nargs; i++) {
    if (i > 0) put(b, ", ", 2);
    put_json_string(b, j->args[i]);
  }
  put(b, "], \"cwd\": ", 10);
  put_json_string(b, cwd);
  put(b, "}\n", 2);
  return 0;
}

static int send_all(int fd, const void *data, size_t n, const int *fds, int nfds) {
  struct iovec iov = {.iov_base = (void *) data, .iov_len = n};
  union { struct cmsghdr h; char room[CMSG_SPACE(4 * sizeof(int))]; } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.room;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  }
  while (iov.iov_len > 0) {
    ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return -1;
    }
    iov.iov_base = (char *) iov.iov_base + w;
    iov.iov_len -= w;
    msg.msg_control = NULL;
    msg.msg_controllen = 0;
  }
  return 0;
}

/* The service's socket, connected; -1 when nothing answers there. */
static int connect_service(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (s < 0 || strlen(path) >= sizeof addr.sun_path) {
    return -1;
  }
  strcpy(addr.sun_path, path);
  if (connect(s, (struct sockaddr *) &addr, sizeof addr) != 0) {
    close(s);
    return -1;
  }
  struct timeval tv = {.tv_sec = SERVICE_PLAN_TIMEOUT_S};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return s;
}

/* Prints an ERROR frame's message and gives its exit status. */
static int service_error(const struct frame *f) {
  unsigned int status = 125;
  if (f->len >= 4) {
    memcpy(&status, f->data, 4);
    fwrite(f->data + 4, 1, f->len - 4, stderr);
  }
  fflush(stderr);
  return (int) status;
}

/* After the go: denials printed as they come; CMD waited for; its status reported, then the
 * service's summary. A service gone meanwhile is said once: CMD's supervised calls fail (ENOSYS)
 * from then on, and the launcher goes on waiting for CMD. */
static int follow(int s, pid_t child, const char *name) {
  stand_by(child);
  struct timeval none = {0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  int pidfd = (int) syscall(SYS_pidfd_open, child, 0);
  int status = 0, exited = 0, ended = 0;
  struct frame f = {0};
  char *summary = NULL;
  while (!exited || !ended) {
    struct pollfd p[2] = {{.fd = ended ? -1 : s, .events = POLLIN}, {.fd = exited ? -1 : pidfd, .events = POLLIN}};
    if (pidfd < 0 && !exited) {
      p[1].fd = -1; /* no pidfd: the service's end says when to wait */
    }
    if (p[0].fd < 0 && p[1].fd < 0) {
      break;
    }
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[0].revents != 0) {
      if (read_frame(s, &f) != 0) {
        fprintf(stderr, "evfilter run: the service stopped: supervised calls now fail with ENOSYS\n");
        ended = 1;
      } else if (f.type == 'D') {
        fprintf(stderr, "%s\n", f.data);
        fflush(stderr);
        char ack = 'k';
        if (write(s, &ack, 1) != 1) {
          /* the service is gone: its end comes next */
        }
      } else if (f.type == 'S') {
        summary = strdup(f.data);
        ended = 1;
      }
      fflush(stderr);
    }
    if (p[1].revents != 0 || (pidfd < 0 && ended && !exited)) {
      while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) die("waitpid");
      }
      exited = 1;
    }
  }
  if (!exited) {
    while (waitpid(child, &status, 0) < 0) {
      if (errno != EINTR) die("waitpid");
    }
  }
  int code = reported(status, name);
  if (summary != NULL) {
    fprintf(stderr, "%s\n", summary);
  }
  return code;
}

static int serviced(int argc, char **argv) {
  struct java_command j;
  if (argc < 5 || java_command_of(argc, argv, 3, &j) != 0) {
    fprintf(stderr, "usage: evfilter-launch --service SOCKET JAVA_COMMAND... --args run OPTIONS... -- CMD...\n");
    return 125;
  }
  struct buf request = {0};
  int s = strcmp(j.args[0], "run") == 0 && j.sep < j.nargs - 1 && service_request(&request, &j) == 0 ? connect_service(argv[2]) : -1;
  if (s < 0 || send_all(s, request.p, request.len, NULL, 0) != 0) {
    exec_java(&j, NULL, 0); /* no service: run as without one */
    return 125;
  }
  struct frame f = {0};
  struct sandbox_plan plan = {0};
  char *audit = NULL;
  while (plan.insns == NULL) {
    if (read_frame(s, &f) != 0 || f.type == 'F') {
      close(s);
      exec_java(&j, NULL, 0); /* not answering, or not this run: evfilter runs it itself */
      return 125;
    }
    switch (f.type) {
      case 'W': fwrite(f.data, 1, f.len, stderr); fflush(stderr); break;
      case 'E': return service_error(&f);
      case 'L': plan.ruleset = f.data; plan.rlen = f.len; f.data = NULL; break;
      case 'A': audit = f.data; f.data = NULL; break;
      case 'C': plan.cgroup = f.data; f.data = NULL; break;
      case 'P':
        if (f.len < 4 || (f.len - 4) % sizeof(struct sock_filter) != 0 || (f.len - 4) / sizeof(struct sock_filter) > 4096) {
          fprintf(stderr, "evfilter run: the service sent a broken program\n");
          return 125;
        }
        plan.listen = f.data[0] != 0;
        plan.insns = f.data + 4;
        plan.plen = f.len - 4;
        f.data = NULL;
        break;
      default: break;
    }
  }
  int audit_fd = -1;
  if (audit != NULL && (audit_fd = open(audit, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
    fprintf(stderr, "evfilter run: cannot write %s: %s\n", audit, strerror(errno));
    return 2;
  }
  char **cmd = j.args + j.sep + 1;
  int sp[2];
  if (plan.listen && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
    die("socketpair");
  }
  pid_t child = fork_command(&plan, sp, cmd);
  if (child < 0) {
    die("fork");
  }
  if (!plan.listen) {
    close(s);
    return wait_command(child, cmd[0]);
  }
  close(sp[1]);
  int listener = command_listener(child, sp[0]);
  if (listener < 0) {
    return 125;
  }
  /* The listener and CMD's pid go to the service; the launcher keeps no copy of the listener,
   * so that the service's end is the listener's end (fail closed, ENOSYS). */
  int handover[2] = {'H', (int) child};
  int fds[2] = {listener, audit_fd};
  int sent = send_all(s, handover, sizeof handover, fds, audit_fd >= 0 ? 2 : 1);
  close(listener);
  if (audit_fd >= 0) close(audit_fd);
  if (sent != 0 || read_frame(s, &f) != 0 || f.type != 'G') {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (sent == 0 && f.type == 'E') {
      return service_error(&f);
    }
    close(s);
    exec_java(&j, NULL, 0); /* the service went away before CMD ran an instruction of its own */
    return 125;
  }
  char go = 'g';
  if (write(sp[0], &go, 1) != 1) {
    die("start the command");
  }
  close(sp[0]);
  return follow(s, child, cmd[0]);
}

/* ---- the xattr scan of Landlock's trees ---- */

/* Records, each NUL-terminated: "F<t><path>" an object carrying one of the names (t: d directory,
 * f regular file, l symlink, o other), then "X<name>=<hex value>" per name it carries; "#<count>"
 * at the end; "!<message>" when the walk cannot be complete (then nothing may be concluded). */
static long scanned;
static char **scan_names;
static int scan_nnames;

static void record(const char *kind, const char *text) {
  fputs(kind, stdout);
  fwrite(text, 1, strlen(text) + 1, stdout);
}

static void scan_fail(const char *path, const char *what) {
  char msg[PATH_MAX + 128];
  snprintf(msg, sizeof msg, "%s: %s: %s", path, what, strerror(errno));
  record("!", msg);
  fflush(stdout);
  exit(1);
}

static void scan_one(int dirfd, const char *name, const char *path, char type) {
  static char list[65536], value[65536], hex[2 * 65536 + 1];
  char proc[64];
  const char *at_path = path;
  int fd = -1;
  scanned++;
  if (strlen(path) >= PATH_MAX) {
    /* Too long to name: the object by its directory's descriptor instead. */
    fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) {
        return; /* gone meanwhile */
      }
      scan_fail(path, "open");
    }
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    at_path = proc;
  }
  /* Through /proc/self/fd/N the final link must be followed (it is the object's own). */
  ssize_t len = fd < 0 ? llistxattr(at_path, list, sizeof list) : listxattr(at_path, list, sizeof list);
  if (len < 0 && (errno == ENOTSUP || errno == ENODATA || errno == ENOENT)) {
    len = 0; /* no xattrs on this file system, or gone meanwhile */
  }
  if (len < 0) {
    scan_fail(path, "listxattr");
  }
  int started = 0;
  for (ssize_t at = 0; at < len; at += strlen(list + at) + 1) {
    for (int i = 0; i < scan_nnames; i++) {
      if (strcmp(list + at, scan_names[i]) != 0) {
        continue;
      }
      ssize_t n = fd < 0 ? lgetxattr(at_path, list + at, value, sizeof value) : getxattr(at_path, list + at, value, sizeof value);
      if (n < 0) {
        scan_fail(path, "getxattr");
      }
      if (!started) {
        char t[2] = {type, 0};
        fputs("F", stdout);
        fputs(t, stdout);
        fwrite(path, 1, strlen(path) + 1, stdout);
        started = 1;
      }
      for (ssize_t k = 0; k < n; k++) {
        sprintf(hex + 2 * k, "%02x", (unsigned char) value[k]);
      }
      hex[2 * n] = 0;
      fputs("X", stdout);
      fputs(list + at, stdout);
      fputs("=", stdout);
      fwrite(hex, 1, 2 * n + 1, stdout);
    }
  }
  if (fd >= 0) {
    close(fd);
  }
}

/* 0 only for an entry gone since readdir; one that cannot be looked at stops the scan. */
static char type_of(int dirfd, const char *name, const char *path, unsigned char d_type) {
  if (d_type == DT_UNKNOWN) {
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) {
        scan_fail(path, "stat the entry");
      }
      return 0;
    }
    return S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : 'o';
  }
  return d_type == DT_DIR ? 'd' : d_type == DT_REG ? 'f' : d_type == DT_LNK ? 'l' : 'o';
}

/* Everything beneath the directory open as dirfd (whose path is `path`), which it closes. */
static void scan_dir(int fd, char *path, size_t len) {
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    scan_fail(path, "read the directory");
  }
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      continue;
    }
    size_t l = strlen(e->d_name);
    char *child = malloc(len + l + 2);
    if (child == NULL) {
      scan_fail(path, "malloc");
    }
    memcpy(child, path, len);
    child[len] = '/';
    memcpy(child + len + 1, e->d_name, l + 1);
    char t = type_of(dirfd(d), e->d_name, child, e->d_type);
    if (t != 0) {
      scan_one(dirfd(d), e->d_name, child, t);
      if (t == 'd') {
        int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
          scan_fail(child, "open the directory");
        }
        scan_dir(sub, child, len + 1 + l);
      }
    }
    free(child);
    errno = 0;
  }
  if (errno != 0) {
    scan_fail(path, "readdir");
  }
  closedir(d);
}

static int scan_xattrs(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: evfilter-launch --scan-xattrs NAME[,NAME...] ROOT...\n");
    return 125;
  }
  static char *names[64];
  for (char *tok = strtok(argv[2], ","); tok != NULL && scan_nnames < 64; tok = strtok(NULL, ",")) {
    names[scan_nnames++] = tok;
  }
  scan_names = names;
  for (int i = 3; i < argc; i++) {
    char *root = argv[i];
    size_t len = strlen(root);
    struct stat st;
    if (lstat(root, &st) != 0) {
      scan_fail(root, "lstat");
    }
    char *slash = strrchr(root, '/');
    char parent[PATH_MAX];
    if (slash == NULL || len >= sizeof parent) {
      errno = EINVAL;
      scan_fail(root, "not an absolute path");
    }
    size_t plen = slash == root ? 1 : (size_t) (slash - root);
    memcpy(parent, root, plen);
    parent[plen] = 0;
    int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) {
      scan_fail(parent, "open");
    }
    char type = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : 'o';
    scan_one(pfd, len == 1 ? "." : slash + 1, root, type);
    close(pfd);
    if (type == 'd') {
      int dfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dfd < 0) {
        scan_fail(root, "open the directory");
      }
      scan_dir(dfd, root, len == 1 ? 0 : len);
    }
  }
  char count[32];
  snprintf(count, sizeof count, "%ld", scanned);
  record("#", count);
  return fflush(stdout) == 0 ? 0 : 125;
}

/* The main mode's options. */
struct launch {
  const char *control; /* the supervisor's control socket */
  const char *program; /* the seccomp program, struct sock_filter[] in host order */
  const char *ruleset; /* the Landlock ruleset (NULL: none) */
  const char *cgroup;  /* the cgroup leaf to enter (NULL: none) */
  int listen;          /* whether the filter gets a notification listener */
  char **cmd;
};

/* 0 when argv is a whole main-mode command line; CMD must follow "--", so that a command named
 * like an option is never read as one. */
static int parse_launch(int argc, char **argv, struct launch *l) {
  static const struct option options[] = {
      {"control", required_argument, NULL, 'c'},
      {"program", required_argument, NULL, 'p'},
      {"landlock", required_argument, NULL, 'r'},
      {"listen", no_argument, NULL, 'l'},
      {"cgroup", required_argument, NULL, 'g'},
      {NULL, 0, NULL, 0},
  };
  *l = (struct launch) {0};
  int o;
  /* "+": stop at the first operand, never permute CMD's arguments into ours. */
  while ((o = getopt_long(argc, argv, "+", options, NULL)) != -1) {
    switch (o) {
      case 'c': l->control = optarg; break;
      case 'p': l->program = optarg; break;
      case 'r': l->ruleset = optarg; break;
      case 'l': l->listen = 1; break;
      case 'g': l->cgroup = optarg; break;
      default: return -1;
    }
  }
  if (l->control == NULL || l->program == NULL || optind < 2 || optind >= argc || strcmp(argv[optind - 1], "--") != 0) {
    return -1;
  }
  l->cmd = argv + optind;
  return 0;
}

/* The program file, read into `insns` (room for the kernel's 4096 instructions). */
static struct sock_fprog read_program(const char *path, struct sock_filter *insns, size_t room) {
  int pf = open(path, O_RDONLY | O_CLOEXEC);
  if (pf < 0) {
    die(path);
  }
  ssize_t n = read(pf, insns, room);
  close(pf);
  if (n <= 0 || n % sizeof insns[0] != 0) {
    errno = EINVAL;
    die("the program file");
  }
  return (struct sock_fprog) {.len = (unsigned short) (n / sizeof insns[0]), .filter = insns};
}

static int connect_control(const char *path) {
  int ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (ctl < 0 || strlen(path) >= sizeof addr.sun_path) {
    die("control socket");
  }
  strcpy(addr.sun_path, path);
  if (connect(ctl, (struct sockaddr *) &addr, sizeof addr) != 0) {
    die("connect to the supervisor");
  }
  return ctl;
}

static void launch(const struct launch *l) {
  default_signals();
  int ctl = connect_control(l->control);
  static struct sock_filter insns[4096];
  struct sock_fprog prog = read_program(l->program, insns, sizeof insns);
  close_others(ctl);
  if (l->cgroup != NULL) {
    enter_cgroup(l->cgroup);
  }
  if (l->ruleset != NULL) {
    /* Before the listener's number is said: the supervisor takes it as soon as it reads it. */
    landlock(l->ruleset);
  }

  /* The listener takes the lowest free descriptor: say which before installing. */
  int probe = dup(0 <= ctl ? ctl : 0);
  if (probe < 0) {
    die("dup");
  }
  close(probe);
  char line[64];
  int len = snprintf(line, sizeof line, "%d %d\n", (int) getpid(), l->listen ? probe : -1);
  if (write(ctl, line, len) != len) {
    die("tell the supervisor");
  }

  install(&prog, l->listen);
  if (l->listen) {
    char go = 0;
    /* Blocks until the supervisor holds the listener. Without its word the command does not run:
     * a listener nobody holds would let the command install its own (fail closed). */
    if (read(ctl, &go, 1) != 1 || go != 'g') {
      _exit(125);
    }
  }
  run_command(l->cmd);
}

int main(int argc, char **argv) {
  /* Where the cache is written goes to the JVM on its command line only: a command never inherits
     it, even from an environment that names it. */
  unsetenv("EVFILTER_RUN_CACHE_ENTRY");
  unsetenv("EVFILTER_RUN_CACHE_KEY");
  if (argc > 1 && strcmp(argv[1], "--cached") == 0) {
    return cached(argc, argv);
  }
  if (argc > 1 && strcmp(argv[1], "--service") == 0) {
    return serviced(argc, argv);
  }
  if (argc > 1 && strcmp(argv[1], "--scan-xattrs") == 0) {
    return scan_xattrs(argc, argv);
  }
  if (argc > 1 && strcmp(argv[1], "--syscall-loop") == 0) {
    return syscall_loop(argv + 2);
  }
  struct launch l;
  if (parse_launch(argc, argv, &l) != 0) {
    fprintf(stderr, "usage: evfilter-launch --control=SOCKET --program=PROGRAM.bpf [--listen] [--landlock=RULESET] [--cgroup=DIR] -- CMD [ARGS...]\n");
    return 125;
  }
  launch(&l);
}
