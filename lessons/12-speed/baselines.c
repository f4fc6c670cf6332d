#define _GNU_SOURCE
/* baselines.c - lesson 12: the ring's bytes through a pipe and a UNIX socket; memcpy.
 *
 * A pipe with 1 MiB of buffer, then a UNIX stream socket that asks for 1 MiB: the parent
 * writes SIZE-byte messages for MILLISECONDS, a forked consumer reads whole messages and
 * checksums every byte. Then memcpy alone into memory like the ring's: the limit.
 *
 * Usage: baselines [SIZE [MILLISECONDS]]   (defaults: 4096, 200)
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "course.h"

enum { RING = 512 << 10, SOURCE = 1 << 20, CLOCK_EVERY = 1 << 20 };    /* as in ring.c */
static unsigned char source[SOURCE], message[65536];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Fletcher-style: a changed, lost or reordered 8-byte word almost surely shows. */
static void checksum(uint64_t sum[2], const unsigned char *bytes, size_t n)
{
    uint64_t a = sum[0], b = sum[1], word;      /* in registers, not in memory */
    for (size_t i = 0; i < n; i += 8)
        memcpy(&word, bytes + i, 8), a += word, b += a;
    sum[0] = a, sum[1] = b;
}

/* A forked consumer checksums whole messages from FD[0]; write them to FD[1] for MS. */
static void stream(const char *name, int fd[2], uint64_t size, double ms, uint64_t *sum)
{
    uint64_t head = 0, expected[2] = { 0 };
    double start = now();
    pid_t parent = getpid();
    ssize_t n;

    switch (fork()) {
    case -1:
        fail("fork()");
    case 0:     /* the consumer; it dies with its parent, so nothing is left */
        close(fd[1]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() == parent)
            for (size_t have = 0; (n = read(fd[0], message + have, size - have)) > 0;)
                if ((have += (size_t) n) == size)   /* a read may return part of one */
                    checksum(sum, message, size), have = 0;
        _exit(close(fd[0]) == -1);
    }
    close(fd[0]);
    // slide: write
    for (; head % CLOCK_EVERY || now() < start + ms / 1e3; head += size)
        for (size_t done = 0; done < size; done += (size_t) n)    /* all of it */
            if ((n = write(fd[1], source + head % SOURCE + done, size - done)) == -1)
                fail("write(%s, %zu bytes)", name, (size_t) (size - done));
    close(fd[1]);       /* end of file for the consumer */
    // end slide
    if (wait(NULL) == -1)
        fail("wait()");
    double mib_s = head / 1048576.0 / (now() - start);
    for (uint64_t at = 0; at < head; at += size)        /* what the consumer should have */
        checksum(expected, source + at % SOURCE, size);
    if (memcmp(expected, sum, sizeof expected) != 0)
        fail_msg("%s: the consumer's checksum is wrong", name);
    printf("baselines: %s, %d-byte messages: %.1f MiB/s, checksum right\n", name, (int) size, mib_s);
}

int main(int argc, char *argv[])
{
    uint64_t head = 0, size = 4096;
    double ms = 200, start;
    int fd[2], buffer = 1 << 20;

    course_init(argv[0], "[SIZE [MILLISECONDS]]");
    int arg = parse_options(argc, argv, NULL, 2);
    if (arg < argc && (size = parse_number("SIZE", argv[arg++], 64, 65536), size & (size - 1)))
        usage_error("SIZE '%s' is not a power of two", argv[arg - 1]);
    if (arg < argc)
        ms = parse_number("MILLISECONDS", argv[arg], 1, 1000);
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);      /* nothing to clean up */
    for (size_t i = 0; i < SOURCE; i++)
        source[i] = (unsigned char) (i * 2654435761u >> 24);
    /* Memory like the ring's: the consumers' sums, then the copies of memcpy. */
    unsigned char *shared = mmap(NULL, RING, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        fail("mmap(NULL, %d, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS)", RING);
    // slide: pipe
    if (pipe2(fd, O_CLOEXEC) == -1)
        fail("pipe2()");
    if (fcntl(fd[1], F_SETPIPE_SZ, buffer) == -1)      /* 1 MiB, not 64 KiB */
        fail("fcntl(F_SETPIPE_SZ, %d)", buffer);
    // end slide
    stream("pipe", fd, size, ms, memset(shared, 0, 16));
    // slide: socket
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == -1)
        fail("socketpair(AF_UNIX, SOCK_STREAM)");
    if (setsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer) == -1 ||
        setsockopt(fd[0], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) == -1)
        fail("setsockopt(SO_SNDBUF, SO_RCVBUF, %d)", buffer);
    // end slide
    stream("unix socket", fd, size, ms, memset(shared, 0, 16));

    /* The ring's copies into memory of the ring's size, in one process: no sharing. */
    for (start = now(); head % CLOCK_EVERY || now() < start + ms / 1e3; head += size)
        memcpy(shared + head % RING, source + head % SOURCE, size);
    printf("baselines: memcpy, %d-byte messages: %.1f MiB/s\n", (int) size,
           head / 1048576.0 / (now() - start));
    return 0;
}
