#define _GNU_SOURCE
/* writer.c - lesson 10: share a memfd, a file with no name, by sending its descriptor.
 *
 * Start it first, or second: the reader waits for the socket. It makes, seals and
 * maps a memfd, writes the message (READY), waits on DIR/memfd-10.sock for a reader,
 * removes that name, sends the descriptor (SCM_RIGHTS) and waits for SEEN.
 *
 * Usage: writer [-t SECONDS] [DIR]   (defaults: 10, this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
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
    static const char text[] = "hello through a memfd";
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct deadline d = { .seconds = 10 };
    const char *dir = lesson_dir(), *path = addr.sun_path;
    int arg, fd, listener, conn = -1;
    struct message *msg;
    char hint[160];

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &d.seconds, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s", dir, SOCKET_NAME)
        >= (int) sizeof addr.sun_path)
        usage_error("DIR '%.40s' is too long for a socket address", dir);
    snprintf(hint, sizeof hint, "left by an earlier run? remove it: rm %s", path);

    // slide: memfd
    /* A file in memory, in no directory ("shm-course-10" is only a label).
     * Now nobody can shrink it (SIGBUS in the reader), grow it, or unseal. */
    fd = memfd_create("shm-course-10", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd == -1)
        fail("memfd_create(\"shm-course-10\", MFD_CLOEXEC|MFD_ALLOW_SEALING)");
    if (ftruncate(fd, SIZE) == -1)
        fail("ftruncate(memfd, %d)", SIZE);
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1)
        fail("fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL)");
    msg = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED)
        fail("mmap(memfd, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", SIZE);
    // end slide
    msg->magic = MESSAGE_MAGIC;
    memcpy(msg->text, text, strlen(text));
    msg->length = (uint32_t) strlen(text);
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);
    printf("writer: memfd fd %d, %d bytes, sealed F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL\n"
           "writer: wrote \"%s\", then state READY\n", fd, SIZE, text);

    // slide: listen
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener == -1)
        fail("socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC)");
    mode_t mask = umask(077);   /* the socket file: srwx------, only we connect */
    /* EADDRINUSE if any file is there. No unlink() first: it may be in use. */
    if (bind(listener, (struct sockaddr *) &addr, sizeof addr) == -1)
        fail_hint(errno == EADDRINUSE ? hint : NULL, "bind(%s)", path);
    umask(mask);                /* as it was, for any file made later */
    // end slide
    // slide: accept
    if (listen(listener, 1) == -1)
        warn("listen(%s, 1)", path);
    else        /* non-blocking: EAGAIN until a reader connects */
        while ((conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) == -1) {
            if (errno != EAGAIN)
                warn("accept4(%s)", path);
            else if (keep_waiting(&d, "a reader to connect"))
                continue;
            else
                warn_msg("%s: no reader: %s", path, wait_end_reason(&d));
            break;
        }
    if (unlink(path) == -1)     /* on every path: one reader is all we want */
        fail("unlink(%s)", path);
    // end slide
    if (conn == -1)
        return 1;
    printf("writer: a reader connected to %s; removed it\n", path);

    // slide: send
    /* One byte of data carries the descriptor in its control part. */
    _Alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof fd)] = { 0 };
    struct iovec iov = { .iov_base = "M", .iov_len = 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = sizeof control };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof fd);
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    if (sendmsg(conn, &mh, 0) == -1)
        fail("sendmsg(%s, SCM_RIGHTS fd %d)", path, fd);
    // end slide
    close(conn), close(listener), close(fd);   /* our mapping keeps the memfd */
    printf("writer: sent fd %d (SCM_RIGHTS) and closed it\n", fd);

    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_SEEN)
        if (!keep_waiting(&d, "the reader to mark it SEEN"))
            fail_msg("memfd: not seen: %s", wait_end_reason(&d));
    printf("writer: the reader marked it SEEN\n");
    if (munmap(msg, SIZE) == -1)    /* the last mapping: the memfd is freed */
        fail("munmap(memfd)");
    return 0;
}
