#define _GNU_SOURCE
/* ring.c - lesson 12: a ring buffer in shared memory, one producer, one consumer.
 *
 * The parent copies SIZE-byte messages into the ring for MILLISECONDS; a forked
 * consumer checksums every byte in place; a fast but wrong ring fails the check.
 *
 * Usage: ring [SIZE [MILLISECONDS]]   (defaults: 4096, 200)
 */
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "course.h"

enum { RING = 512 << 10, SOURCE = 1 << 20, CLOCK_EVERY = 1 << 20 };
#define DONE (1ULL << 63)       /* in head: the producer has finished */

// slide: ring
struct ring {   /* head and tail on cache lines of their own: no false sharing */
    alignas(64) _Atomic uint64_t head;  /* bytes published: only the producer stores */
    alignas(64) _Atomic uint64_t tail;  /* bytes consumed: only the consumer stores */
    alignas(64) uint64_t sum[2];        /* the consumer's checksum */
    alignas(64) unsigned char data[RING];
};
// end slide
static unsigned char source[SOURCE];    /* the bytes sent, as in baselines.c */

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

/* Spin until the other side changes WORD; every 1024 tries, let others run, and the
 * producer sees that its CONSUMER lives: a dead one never makes room (0: no check). */
static uint64_t wait_past(_Atomic uint64_t *word, uint64_t old, pid_t consumer)
{
    for (long n = 1; atomic_load_explicit(word, memory_order_acquire) == old; n++)
        if (n % 1024 == 0 && consumer != 0 && waitpid(consumer, NULL, WNOHANG) != 0)
            fail_msg("the consumer (pid %d) died: no one empties the ring", (int) consumer);
        else if (n % 1024 == 0)
            sched_yield();
    return atomic_load_explicit(word, memory_order_acquire);    /* only ever grows */
}

int main(int argc, char *argv[])
{
    uint64_t head = 0, tail = 0, expected[2] = { 0 }, size = 4096;
    double ms = 200, start;
    pid_t parent = getpid(), consumer;

    course_init(argv[0], "[SIZE [MILLISECONDS]]");
    int arg = parse_options(argc, argv, NULL, 2);
    if (arg < argc && (size = parse_number("SIZE", argv[arg++], 64, 65536), size & (size - 1)))
        usage_error("SIZE '%s' is not a power of two", argv[arg - 1]);
    if (arg < argc)
        ms = parse_number("MILLISECONDS", argv[arg], 1, 1000);
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);      /* nothing to clean up */
    for (size_t i = 0; i < SOURCE; i++)
        source[i] = (unsigned char) (i * 2654435761u >> 24);
    /* Shared and anonymous, before fork(): both see its pages; no name to leave. */
    struct ring *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        fail("mmap(NULL, %zu, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS)", sizeof *r);
    switch (consumer = fork()) {
    case -1:
        fail("fork()");
    case 0:     /* the consumer; it dies with its parent, so nothing is left */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
            _exit(1);
        // slide: consume
        /* The consumer: checksum all that is published, then give it back in one store. */
        while ((head = wait_past(&r->head, tail, 0) & ~DONE) != tail) {
            uint64_t n = head - tail, wrap = RING - tail % RING;    /* bytes to the end */
            checksum(r->sum, r->data + tail % RING, n = n < wrap ? n : wrap);
            atomic_store_explicit(&r->tail, tail += n, memory_order_release);
        }
        // end slide
        _exit(0);
    }
    // slide: produce
    /* The producer: wait for room, copy a message in, publish it (release). */
    for (start = now(); head % CLOCK_EVERY || now() < start + ms / 1e3; head += size) {
        while (head + size - tail > RING)       /* full: wait for the consumer */
            tail = wait_past(&r->tail, tail, consumer);
        memcpy(r->data + head % RING, source + head % SOURCE, size);
        atomic_store_explicit(&r->head, head + size, memory_order_release);
    }
    atomic_store_explicit(&r->head, head | DONE, memory_order_release);
    // end slide
    if (wait(NULL) == -1)
        fail("wait()");
    double mib_s = head / 1048576.0 / (now() - start);
    for (uint64_t at = 0; at < head; at += size)        /* what the consumer should have */
        checksum(expected, source + at % SOURCE, size);
    if (memcmp(expected, r->sum, sizeof expected) != 0)
        fail_msg("%d-byte messages: the consumer's checksum is wrong", (int) size);
    printf("ring: shm ring, %d-byte messages: %.1f MiB/s, checksum right\n", (int) size, mib_s);
    return 0;
}
