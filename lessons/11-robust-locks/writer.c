#define _GNU_SOURCE
/* writer.c - lesson 11: hand records over under a process-shared lock, asleep between.
 *
 * Start it first, or second: the reader waits for it. It creates the segment, with a
 * robust, process-shared mutex and condition variable in it, writes 1000 records, each
 * under the lock, sleeps until the reader has seen each one, and removes the segment.
 *
 * Usage: writer [-t SECONDS] [KEYPATH [PROJ_ID]]   (defaults: 10, lesson dir, 65)
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <time.h>

#include "course.h"

enum { WORDS = 4, RECORDS = 1000 };
struct shared {                         /* the segment; the reader has the same */
    _Atomic uint32_t state;             /* READY: the lock is set up (lesson 03) */
    pthread_mutex_t lock;               /* robust, process-shared */
    pthread_cond_t changed;             /* process-shared, on CLOCK_MONOTONIC */
    uint64_t word[WORDS], seen;         /* under the lock: four equal words; SEEN */
};

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 65, arg, shmid, ret, status = EXIT_FAILURE;
    size_t size = sizeof(struct shared);
    struct deadline d = { .seconds = 10 };     /* -t: the longest wait for the reader */
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    unsigned long long i = 0;
    struct timespec t;
    struct shared *s;
    clock_t cpu;
    key_t key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, &d.seconds, 2);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg++], 1, 255);

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? KEY_IN_USE_HINT : NULL,
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)", (unsigned) key, size);
    s = shmat(shmid, NULL, 0);
    if (s == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        goto out_remove;
    }
    // slide: set-up
    /* pthread calls return 0 or an error number, never -1, and leave errno alone.
     * In place (never copied), and locked before the reader may use them. */
    if ((ret = pthread_mutexattr_init(&ma)) != 0 ||
        (ret = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED)) != 0 ||
        (ret = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) != 0 ||
        (ret = pthread_mutex_init(&s->lock, &ma)) != 0 ||
        (ret = pthread_condattr_init(&ca)) != 0 ||
        (ret = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED)) != 0 ||
        (ret = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
        (ret = pthread_cond_init(&s->changed, &ca)) != 0 ||
        (ret = pthread_mutex_lock(&s->lock)) != 0) {
        errno = ret, warn("shmid %d: setting up the lock", shmid);
        goto out_detach;
    }
    atomic_store_explicit(&s->state, MESSAGE_READY, memory_order_release);
    // end slide
    printf("writer: created shmid %d for key 0x%08x, %zu bytes, mode 0600, with the "
           "lock in it\n", shmid, (unsigned) key, size);
    fprintf(stderr, "writer: waiting up to %u s for the reader\n", d.seconds);
    cpu = clock();
    for (i = 1; i <= RECORDS; i++) {
        // slide: wait
        s->word[0] = s->word[1] = s->word[2] = s->word[3] = i;   /* no one sees half */
        if ((ret = pthread_cond_broadcast(&s->changed)) != 0)  /* wake the reader */
            goto out_unlock;
        /* Asleep in the kernel until a broadcast, in turns of 100 ms: a signal
         * does not end pthread_cond_timedwait, so Ctrl-C is seen between turns. */
        for (unsigned turns = 0; s->seen != i; turns++) {
            if (stop_signal || turns == d.seconds * 10)
                goto out_unlock;
            clock_gettime(CLOCK_MONOTONIC, &t);
            t.tv_nsec += 100000000;
            t.tv_sec += t.tv_nsec / 1000000000, t.tv_nsec %= 1000000000;
            ret = pthread_cond_timedwait(&s->changed, &s->lock, &t);
            if (ret != 0 && ret != ETIMEDOUT)
                goto out_unlock;
        }
        // end slide
        if (i == 1)                     /* the first wait: for the reader to come */
            printf("writer: asleep until the reader saw record 1, using %.1f ms of CPU\n",
                   (double) (clock() - cpu) * 1e3 / CLOCKS_PER_SEC);
    }
    printf("writer: %d records written under the lock, each seen by the reader\n", RECORDS);
    status = EXIT_SUCCESS;
out_unlock:
    if (status != EXIT_SUCCESS)
        warn_msg("shmid %d: record %llu not seen: %s", shmid, i, ret != 0 &&
                 ret != ETIMEDOUT ? strerrorname_np(ret) : wait_end_reason(&d));
    if ((ret = pthread_mutex_unlock(&s->lock)) != 0)
        errno = ret, warn("pthread_mutex_unlock");
out_detach:
    if (shmdt(s) == -1)
        warn("shmdt(%p)", (void *) s);
out_remove:
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    return status;
}
