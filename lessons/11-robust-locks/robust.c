#define _GNU_SOURCE
/* robust.c - lesson 11: the owner of a robust mutex dies: EOWNERDEAD, then repair.
 *
 * Runs alone. Twice, a child locks a robust, process-shared mutex (in an anonymous
 * shared mapping), writes half a two-word record and is killed with SIGKILL. The
 * first time the parent repairs the record and calls pthread_mutex_consistent; the
 * second time it does not, and the mutex becomes ENOTRECOVERABLE for everyone.
 *
 * Usage: robust
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "course.h"

struct shared {
    pthread_mutex_t lock;               /* robust, process-shared */
    _Atomic uint32_t holding;           /* the child has the lock (lesson 03's idiom) */
    unsigned long long first, second;   /* the record: equal when whole */
};

/* A child locks the mutex, writes half the record, says so (lesson 03's idiom) and
 * waits: the parent kills it with SIGKILL while it holds the lock. */
static void kill_a_holder(struct shared *s)
{
    struct deadline d = { .seconds = 10 };
    int status;
    pid_t child;

    atomic_store_explicit(&s->holding, 0, memory_order_relaxed);
    child = fork();
    if (child == -1)
        fail("fork");
    if (child == 0) {
        if ((status = pthread_mutex_lock(&s->lock)) != 0)
            errno = status, fail("child: pthread_mutex_lock");
        s->first++;                     /* ... and never s->second */
        atomic_store_explicit(&s->holding, 1, memory_order_release);
        sleep(10);                      /* it is killed long before */
        _exit(0);
    }
    while (!atomic_load_explicit(&s->holding, memory_order_acquire))
        if (!keep_waiting(&d, NULL))    /* NULL: no notice, the wait is short */
            kill(child, SIGKILL), fail_msg("the child never took the lock: %s",
                                           wait_end_reason(&d));
    if (kill(child, SIGKILL) == -1)
        fail("kill(%d, SIGKILL)", (int) child);
    while (waitpid(child, &status, 0) == -1)
        if (errno != EINTR)
            fail("waitpid(%d)", (int) child);
    printf("robust: a child locked the mutex, wrote half the record and was killed by "
           "SIG%s\n", sigabbrev_np(WTERMSIG(status)));
}

int main(int argc, char *argv[])
{
    pthread_mutexattr_t attr;
    struct shared *s;
    int ret;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);
    /* Shared with the children forked below, and with nothing else: no name. */
    s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        fail("mmap(MAP_SHARED|MAP_ANONYMOUS)");
    /* pthread calls return 0 or an error number, never -1, and leave errno alone. */
    if ((ret = pthread_mutexattr_init(&attr)) != 0 ||
        (ret = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
        (ret = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0 ||
        (ret = pthread_mutex_init(&s->lock, &attr)) != 0)
        errno = ret, fail("setting up a robust, process-shared mutex");

    kill_a_holder(s);
    // slide: recover
    /* The owner died: the lock is ours, but what it guards may be half done. */
    ret = pthread_mutex_lock(&s->lock);
    if (ret != EOWNERDEAD)
        errno = ret, fail("pthread_mutex_lock: expected EOWNERDEAD");
    printf("robust: pthread_mutex_lock: EOWNERDEAD: the lock is mine, the record half "
           "written: %llu %llu\n", s->first, s->second);
    s->second = s->first;               /* repair it, then say it is whole again */
    if ((ret = pthread_mutex_consistent(&s->lock)) != 0)
        errno = ret, fail("pthread_mutex_consistent");
    if ((ret = pthread_mutex_unlock(&s->lock)) != 0)
        errno = ret, fail("pthread_mutex_unlock");
    // end slide
    printf("robust: repaired it (%llu %llu), pthread_mutex_consistent, unlocked\n",
           s->first, s->second);

    kill_a_holder(s);
    // slide: unrecoverable
    ret = pthread_mutex_lock(&s->lock);
    if (ret != EOWNERDEAD)
        errno = ret, fail("pthread_mutex_lock: expected EOWNERDEAD");
    /* No pthread_mutex_consistent: this unlock marks it unusable for good. */
    if ((ret = pthread_mutex_unlock(&s->lock)) != 0)
        errno = ret, fail("pthread_mutex_unlock");
    ret = pthread_mutex_lock(&s->lock);
    if (ret != ENOTRECOVERABLE)
        errno = ret, fail("pthread_mutex_lock: expected ENOTRECOVERABLE");
    // end slide
    printf("robust: pthread_mutex_lock: EOWNERDEAD; unlocked without "
           "pthread_mutex_consistent\n"
           "robust: pthread_mutex_lock: ENOTRECOVERABLE: unusable, for everyone\n");
    if ((ret = pthread_mutex_destroy(&s->lock)) != 0)
        errno = ret, fail("pthread_mutex_destroy");
    if (munmap(s, sizeof *s) == -1)
        fail("munmap");
    return EXIT_SUCCESS;
}
