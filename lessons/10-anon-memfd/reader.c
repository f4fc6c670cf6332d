#define _GNU_SOURCE
/* reader.c - lesson 10: receive a memfd over a UNIX socket, check its seals, map it.
 *
 * Start it after the writer, or before: it waits for the socket. It connects to
 * DIR/memfd-10.sock, receives one descriptor (SCM_RIGHTS), trusts its size only
 * when F_SEAL_SHRINK and F_SEAL_GROW are set, maps it, waits for READY, copies
 * the message and marks it SEEN.
 *
 * Usage: reader [-t SECONDS] [DIR]   (defaults: 10, this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "course.h"

#define SOCKET_NAME "memfd-10.sock"
#define SIZE 4096

int main(int argc, char *argv[])
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct deadline d = { .seconds = 10 };
    const char *dir = lesson_dir(), *path = addr.sun_path, *why;
    char byte, text[128], link[32], target[64];
    int arg, sock, fd, seals;
    struct message *msg;
    struct stat st;
    ssize_t n;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &d.seconds, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s", dir, SOCKET_NAME)
        >= (int) sizeof addr.sun_path)
        usage_error("DIR '%.40s' is too long for a socket address", dir);

    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sock == -1)
        fail("socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC)");
    /* ENOENT: no writer yet; ECONNREFUSED: no writer listening (yet, or now). */
    while (connect(sock, (struct sockaddr *) &addr, sizeof addr) == -1) {
        if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN)
            fail("connect(%s)", path);
        if (!keep_waiting(&d, "the writer's socket " SOCKET_NAME))
            fail_msg("no writer at %s: %s", path, wait_end_reason(&d));
    }
    /* In a shared DIR (/tmp) anyone may bind the name first: who is listening? */
    struct ucred peer;
    socklen_t size = sizeof peer;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &size) == -1)
        fail("getsockopt(%s, SO_PEERCRED)", path);
    if (peer.uid != geteuid())
        fail_msg("%s: its writer is uid %u, not you: refusing it", path, (unsigned) peer.uid);
    // slide: receive
    _Alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof fd)];
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = sizeof control };
    while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) == -1) {
        if (errno != EAGAIN)
            fail("recvmsg(%s)", path);
        if (!keep_waiting(&d, "the writer's descriptor"))
            fail_msg("%s: no descriptor: %s", path, wait_end_reason(&d));
    }
    /* Exactly one byte and one descriptor, nothing cut off (MSG_CTRUNC). */
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (n != 1 || (mh.msg_flags & MSG_CTRUNC) || cm == NULL ||
        cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
        cm->cmsg_len != CMSG_LEN(sizeof fd))
        fail_msg("%s: not one byte with one descriptor: refusing it", path);
    memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    // end slide
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof target - 1);
    printf("reader: received fd %d: %s -> %.*s\n", fd, link, (int) (n > 0 ? n : 0), target);

    // slide: check
    /* The sender could shrink the file under our mapping (SIGBUS): the size
     * means something only once seals forbid changing it. Seals first. */
    seals = fcntl(fd, F_GET_SEALS);
    if (seals == -1)
        fail("fcntl(fd %d, F_GET_SEALS)", fd);
    if (!(seals & F_SEAL_SHRINK) || !(seals & F_SEAL_GROW))
        fail_msg("fd %d: seals 0x%x lack F_SEAL_SHRINK|F_SEAL_GROW: refusing it",
                 fd, seals);
    if (fstat(fd, &st) == -1)
        fail("fstat(fd %d)", fd);
    if (st.st_size < SIZE)
        fail_msg("fd %d: it has %lld bytes, fewer than %d: refusing it", fd,
                 (long long) st.st_size, SIZE);
    msg = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED)
        fail("mmap(fd %d, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", fd, SIZE);
    // end slide
    printf("reader: seals 0x%x (F_SEAL_SHRINK|F_SEAL_GROW set): its %lld bytes stay\n",
           seals, (long long) st.st_size);
    print_maps_line("reader: maps: ", msg);
    close(fd), close(sock);     /* the mapping keeps the memfd */

    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the writer's message"))
            fail_msg("memfd: no message: %s", wait_end_reason(&d));
    why = message_copy(msg, SIZE, text, sizeof text);
    if (why != NULL)
        fail_msg("memfd: %s: refusing it", why);
    atomic_store_explicit(&msg->state, MESSAGE_SEEN, memory_order_release);
    printf("reader: \"%s\"; marked it SEEN\n", text);
    if (munmap(msg, SIZE) == -1)
        fail("munmap(memfd)");
    return 0;
}
