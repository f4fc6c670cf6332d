#define _GNU_SOURCE
/* handoff.c - lesson 12: how fast one process wakes another: spin, futex, pipe.
 *
 * The parent and a forked child pass a turn back and forth for MILLISECONDS: a shared
 * int spun on, the same int slept on (futex), two pipes. Prints a round trip for each.
 *
 * Usage: handoff [MILLISECONDS]   (default: 200)
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "course.h"

enum { SPIN, FUTEX, PIPE };
static const char *const name[] = { "shared spin", "futex", "pipe" };
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int-sized atomics must be lock-free");

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Wait until the other side changes TURN: spin on it, or sleep in the kernel. The
 * parent looks now and then whether its CHILD died: a dead one never answers. */
static uint32_t wait_past(_Atomic uint32_t *turn, uint32_t old, int how, pid_t child)
{
    const struct timespec most = { 0, 100000000 };     /* 0.1 s (a relative timeout) */
    uint32_t value, n;
    // slide: wait
    for (n = 1; (value = atomic_load_explicit(turn, memory_order_acquire)) == old; n++)
        if (how == FUTEX && syscall(SYS_futex, turn, FUTEX_WAIT, old, &most, NULL, 0) == -1
                 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
            fail("futex(FUTEX_WAIT)");
        else if (child != 0 && (how == FUTEX ? n > 1 : n % 1024 == 0)
                 && waitpid(child, NULL, WNOHANG) != 0)     /* 0: it runs */
            fail_msg("%s round trip: the child (pid %d) died", name[how], (int) child);
        else if (how == SPIN && n % 1024 == 0)
            sched_yield();      /* now and then, let others run */
    // end slide
    return value;
}

// slide: pass
/* Give the turn: store it (release), and with futex wake the sleeper. */
static void pass(_Atomic uint32_t *turn, uint32_t value, int how)
{
    atomic_store_explicit(turn, value, memory_order_release);
    if (how == FUTEX && syscall(SYS_futex, turn, FUTEX_WAKE, 1, NULL, NULL, 0) == -1)
        fail("futex(FUTEX_WAKE)");
}
// end slide

/* Round trips for MS with a forked partner that answers each turn: microseconds. */
static double round_trip(_Atomic uint32_t *turn, int how, double ms)
{
    int to_child[2], to_parent[2];
    uint32_t value = 0, trips = 0;
    char byte = 0;
    pid_t parent = getpid(), child;

    if (pipe(to_child) == -1 || pipe(to_parent) == -1)
        fail("pipe()");
    switch (child = fork()) {
    case -1:
        fail("fork()");
    case 0:     /* the partner; it dies with its parent, so nothing is left */
        close(to_child[1]), close(to_parent[0]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
            _exit(1);
        while (how == PIPE && read(to_child[0], &byte, 1) == 1 && write(to_parent[1], &byte, 1) == 1)
            ;           /* echo each byte back */
        while (how != PIPE && (value = wait_past(turn, value, how, 0)) != 0)
            pass(turn, ++value, how);
        close(to_child[0]), close(to_parent[1]);
        _exit(0);
    }
    close(to_child[0]), close(to_parent[1]);
    double start = now();
    for (; trips % 64 || now() < start + ms / 1e3; trips++)
        if (how != PIPE)    /* odd: the partner's turn; then even: ours again */
            pass(turn, ++value, how), value = wait_past(turn, value, how, child);
        else if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1)
            fail_msg("pipe round trip: no answer from the child (pid %d)", (int) child);
    double us = (now() - start) * 1e6 / trips;
    pass(turn, 0, how);                         /* 0: never a turn, so: stop */
    close(to_child[1]), close(to_parent[0]);    /* end of file for a pipe partner */
    if (wait(NULL) == -1)
        fail("wait()");
    return us;
}

int main(int argc, char *argv[])
{
    course_init(argv[0], "[MILLISECONDS]");
    int arg = parse_options(argc, argv, NULL, 1);
    double ms = arg < argc ? parse_number("MILLISECONDS", argv[arg], 1, 1000) : 200;
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);      /* nothing to clean up */
    // slide: map
    /* One shared int, before fork(): the futex of both processes, by its page. */
    _Atomic uint32_t *turn = mmap(NULL, sizeof *turn, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (turn == MAP_FAILED)
        fail("mmap(NULL, %zu, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS)", sizeof *turn);
    // end slide
    for (int how = SPIN; how <= PIPE; how++)
        printf("handoff: %s round trip: %.2f us\n", name[how], round_trip(turn, how, ms));
    return 0;
}
