#ifndef KK_CNETLINUX_SHIM_H
#define KK_CNETLINUX_SHIM_H
/* Linux socket calls Swift's Glibc module does not expose (they need _GNU_SOURCE):
 * batched UDP receive and send. Like swift-nio's CNIOLinux: a mirrored struct pinned by a
 * static assert, and the system calls made directly. Prefix: crelay_. */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <netinet/in.h>

/* Mirror of struct mmsghdr (glibc: struct msghdr msg_hdr; unsigned int msg_len;). */
struct crelay_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
_Static_assert(sizeof(struct crelay_mmsghdr) == sizeof(struct msghdr) + 8, "mmsghdr layout");

/* recvmmsg(2) without a timeout; returns the number of messages or -1 with errno. */
static inline int crelay_recvmmsg(int fd, struct crelay_mmsghdr *v, unsigned int n, int flags) {
    return (int)syscall(SYS_recvmmsg, fd, v, n, flags, NULL);
}

/* sendmmsg(2); returns the number of messages sent or -1 with errno. */
static inline int crelay_sendmmsg(int fd, struct crelay_mmsghdr *v, unsigned int n, int flags) {
    return (int)syscall(SYS_sendmmsg, fd, v, n, flags);
}

#endif
