/*
 * The floor for a supervised open on this machine: a minimal C supervisor doing what evfilter's
 * does on its fast path (receive, read the path from the task, check the notification is still
 * valid, open, inject the descriptor with ADDFD|SEND), and nothing else: no labels, no policy.
 *
 * usage: reference-supervisor CMD [ARGS...]     (CMD's openat calls are supervised)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static void send_fd(int sock, int fd) {
  char c = 0;
  struct iovec io = {.iov_base = &c, .iov_len = 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c1 = CMSG_FIRSTHDR(&m);
  c1->cmsg_level = SOL_SOCKET;
  c1->cmsg_type = SCM_RIGHTS;
  c1->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c1), &fd, sizeof fd);
  if (sendmsg(sock, &m, 0) != 1) _exit(125);
}

static int recv_fd(int sock) {
  char c;
  struct iovec io = {.iov_base = &c, .iov_len = 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (recvmsg(sock, &m, 0) != 1) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: reference-supervisor CMD [ARGS...]\n");
    return 2;
  }
  int sp[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
  pid_t child = fork();
  if (child == 0) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {.len = 4, .filter = f};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p);
    if (l < 0) _exit(125);
    send_fd(sp[1], l);
    close(l);
    close(sp[0]);
    close(sp[1]);
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  close(sp[1]);
  int listener = recv_fd(sp[0]);
  close(sp[0]);
  if (getenv("SYNC_WAKE_UP") != NULL) {
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (__u64) SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  }
  struct seccomp_notif n;
  char path[4096];
  for (;;) {
    struct pollfd pfd = {.fd = listener, .events = POLLIN};
    if (poll(&pfd, 1, -1) < 0 || (!(pfd.revents & POLLIN) && (pfd.revents & POLLHUP))) {
      break; /* every task is gone */
    }
    memset(&n, 0, sizeof n);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) != 0) {
      continue; /* the task died or a signal came first */
    }
    struct iovec local = {.iov_base = path, .iov_len = sizeof path - 1};
    struct iovec remote = {.iov_base = (void *) n.data.args[1], .iov_len = sizeof path - 1};
    ssize_t got = process_vm_readv(n.pid, &local, 1, &remote, 1, 0);
    path[got > 0 ? got : 0] = 0;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) != 0) continue;
    int fd = openat((int) n.data.args[0], path, (int) n.data.args[2] | O_CLOEXEC, (int) n.data.args[3]);
    if (fd < 0) {
      struct seccomp_notif_resp r = {.id = n.id, .error = -errno};
      ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
      continue;
    }
    struct seccomp_notif_addfd a = {.id = n.id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = fd,
                                    .newfd_flags = (n.data.args[2] & O_CLOEXEC) ? O_CLOEXEC : 0};
    ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
    close(fd);
  }
  int status;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
