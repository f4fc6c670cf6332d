#define _GNU_SOURCE
/* torn.c - lesson 11: without a lock, a record of four words is read torn.
 *
 * Runs alone. A child stores i in each of four words, one after the other, for
 * i = 1, 2, 3...; at the same time the parent loads them one after the other and
 * counts the snapshots whose words differ. Each word is atomic; the record is not.
 * It reads for 0.1 s, and on until it has seen a torn one (0.5 s at most).
 *
 * Usage: torn
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "course.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

enum { WORDS = 4 };
struct record {
    _Atomic uint64_t word[WORDS];       /* 32 bytes: four equal words when whole */
    _Atomic uint32_t stop;              /* the parent has seen enough */
};

static long long ms_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000LL + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(int argc, char *argv[])
{
    unsigned long long snapshots = 0, torn = 0, snap[WORDS], first_torn[WORDS] = { 0 };
    struct timespec start;
    struct record *r;
    pid_t child;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);
    /* Shared with the child forked below, and with nothing else: no name. */
    r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        fail("mmap(MAP_SHARED|MAP_ANONYMOUS)");
    clock_gettime(CLOCK_MONOTONIC, &start);
    child = fork();
    if (child == -1)
        fail("fork");
    // slide: child
    if (child == 0) {                   /* the child: i into every word, until told */
        for (uint64_t i = 1; !atomic_load_explicit(&r->stop, memory_order_relaxed); i++) {
            for (int k = 0; k < WORDS; k++)
                atomic_store_explicit(&r->word[k], i, memory_order_relaxed);
            if (i % 4096 == 0 && ms_since(&start) > 2000)
                break;                  /* 2 s: its parent is gone */
        }
        _exit(0);
    }
    // end slide
    // slide: snapshot
    for (;;) {
        for (int k = 0; k < WORDS; k++)         /* a snapshot, word by word */
            snap[k] = atomic_load_explicit(&r->word[k], memory_order_relaxed);
        if ((snap[1] != snap[0] || snap[2] != snap[0] || snap[3] != snap[0]) &&
            torn++ == 0)
            memcpy(first_torn, snap, sizeof snap);      /* keep one to show */
        if (++snapshots % 1024 == 0 && ms_since(&start) >= (torn > 0 ? 100 : 500))
            break;                                  /* 0.1 s, or on until one is torn */
    }
    // end slide
    atomic_store_explicit(&r->stop, 1, memory_order_relaxed);
    while (waitpid(child, NULL, 0) == -1)
        if (errno != EINTR)
            fail("waitpid(%d)", (int) child);
    if (munmap(r, sizeof *r) == -1)
        fail("munmap");
    printf("torn: %llu of %llu snapshots were torn; the first: %llu %llu %llu %llu\n",
           torn, snapshots, first_torn[0], first_torn[1], first_torn[2], first_torn[3]);
    return EXIT_SUCCESS;
}
