#define _GNU_SOURCE
/* reader.c - lesson 11: take each record under a process-shared lock, asleep between.
 *
 * Start it after the writer, or before: it waits for the segment. It checks the
 * segment is ours, attaches it, waits until the writer has set up the lock (state
 * READY), then sleeps until each new record, reads it under the lock and marks it
 * SEEN, which wakes the writer. It detaches; the writer removes the segment.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID]]  (defaults: 10, lesson directory, 65)
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
struct shared {                         /* the segment; the writer has the same */
    _Atomic uint32_t state;             /* READY: the lock is set up (lesson 03) */
    pthread_mutex_t lock;               /* robust, process-shared */
    pthread_cond_t changed;             /* process-shared, on CLOCK_MONOTONIC */
    uint64_t word[WORDS], seen;         /* under the lock: four equal words; SEEN */
};

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *why;
    int proj_id = 65, arg, shmid, ret, status = EXIT_FAILURE;
    struct deadline d = { .seconds = 10 };     /* -t: for the segment, for a record */
    unsigned long long records = 0, torn = 0, last = 0;
    struct shmid_ds ds;
    struct timespec t;
    struct shared *s;
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
    while ((shmid = shmget(key, 0, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, 0, 0)", (unsigned) key);
        if (!keep_waiting(&d, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key, wait_end_reason(&d));
    }
    /* A lock in shared memory trusts everyone who can write it: only our own. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = not_ours(ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode, ds.shm_segsz,
                   sizeof *s);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    s = shmat(shmid, NULL, 0);          /* read and write: a lock is written to */
    if (s == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    /* Polled, lesson 03's way, once: the lock cannot be waited on before it exists. */
    while (atomic_load_explicit(&s->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the writer to set up the lock"))
            fail_msg("shmid %d: no lock: %s", shmid, wait_end_reason(&d));
    printf("reader: shmid %d is mine (mode 600, %zu bytes), its lock set up: attached\n",
           shmid, (size_t) ds.shm_segsz);

    if ((ret = pthread_mutex_lock(&s->lock)) != 0)
        errno = ret, fail("pthread_mutex_lock");
    while (last < RECORDS) {
        for (unsigned turns = 0; s->word[0] == last; turns++) {   /* as the writer */
            if (stop_signal || turns == d.seconds * 10)
                goto out_unlock;
            clock_gettime(CLOCK_MONOTONIC, &t);
            t.tv_nsec += 100000000;
            t.tv_sec += t.tv_nsec / 1000000000, t.tv_nsec %= 1000000000;
            ret = pthread_cond_timedwait(&s->changed, &s->lock, &t);
            if (ret != 0 && ret != ETIMEDOUT)
                goto out_unlock;
        }
        // slide: read
        last = s->word[0];              /* the lock is held: the writer is out */
        torn += s->word[1] != last || s->word[2] != last || s->word[3] != last;
        records++;
        s->seen = last;                 /* and wake the writer, which waits for it */
        if ((ret = pthread_cond_broadcast(&s->changed)) != 0)
            goto out_unlock;
        // end slide
    }
    printf("reader: %llu records read under the lock, %llu torn; the last: %llu\n",
           records, torn, last);
    status = EXIT_SUCCESS;
out_unlock:
    if (status != EXIT_SUCCESS)
        warn_msg("shmid %d: no record after %llu: %s", shmid, last, ret != 0 &&
                 ret != ETIMEDOUT ? strerrorname_np(ret) : wait_end_reason(&d));
    if ((ret = pthread_mutex_unlock(&s->lock)) != 0)
        errno = ret, warn("pthread_mutex_unlock");
    if (shmdt(s) == -1)
        fail("shmdt(%p)", (void *) s);
    return status;
}
