#define _GNU_SOURCE
/* solution.c - lab 03, a reference: lines through a ring of slots under a shared lock.
 *
 *   ring [-t SECONDS] produce KEYPATH < input     one message per line, in a free slot
 *   ring [-t SECONDS] consume KEYPATH > output    prints each message, in order
 *
 * Either may start first. The producer creates the segment (0600, IPC_EXCL), sets up the
 * lock in it (lesson 11), waits for the consumer, then marks the segment for removal
 * (lesson 05: gone at the last detach, even after kill -KILL). Each side sleeps on a
 * condition variable in turns of 100 ms (Ctrl-C), at most -t, and ends FINISHED or
 * GAVE_UP, which wakes the other. A line longer than LINE_BYTES is refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "course.h"

enum { SLOTS = 16, LINE_BYTES = 1024 };         /* a line, its newline included */
enum { ABSENT, HERE, FINISHED, GAVE_UP };       /* what each side says of itself */
struct ring {
    _Atomic uint32_t state;                     /* READY: the lock is set up (lesson 11) */
    pthread_mutex_t lock;                       /* robust, process-shared: guards the rest */
    pthread_cond_t not_full, not_empty;         /* process-shared, on CLOCK_MONOTONIC */
    uint32_t head, tail;                        /* lines put, taken: head - tail <= SLOTS */
    uint32_t producer, consumer;                /* ABSENT, HERE, FINISHED or GAVE_UP */
    struct { uint32_t length; char text[LINE_BYTES]; } slot[SLOTS];
};

static bool came(const struct ring *r) { return r->consumer != ABSENT; }
static bool left(const struct ring *r) { return r->consumer > HERE; }
static bool room(const struct ring *r) { return r->head - r->tail < SLOTS || left(r); }
static bool news(const struct ring *r) { return r->head != r->tail || r->producer != HERE; }

/* The lock held: sleep on COND until READY(r), in turns of 100 ms (lesson 11). NULL, or
 * "WHAT: why not": timed out after SECONDS, interrupted, EOWNERDEAD (the lock is held). */
static const char *wait_until(struct ring *r, pthread_cond_t *cond,
                              bool (*ready)(const struct ring *), unsigned seconds,
                              const char *what)
{
    static char why[96];
    struct deadline d = { .seconds = seconds };
    struct timespec t;
    int ret = 0;
    for (unsigned turns = 0; !ready(r); turns += ret == ETIMEDOUT) {
        if (stop_signal || turns == seconds * 10)
            return snprintf(why, sizeof why, "%s: %s", what, wait_end_reason(&d)), why;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += 100000000;
        t.tv_sec += t.tv_nsec / 1000000000, t.tv_nsec %= 1000000000;
        ret = pthread_cond_timedwait(cond, &r->lock, &t);
        if (ret != 0 && ret != ETIMEDOUT)
            return snprintf(why, sizeof why, "%s: %s", what, strerrorname_np(ret)), why;
    }
    return NULL;
}

/* Lock; NULL, or why not. EOWNERDEAD: the other side died holding it; we give up. */
static const char *lock(struct ring *r)
{
    int ret = pthread_mutex_lock(&r->lock);
    return ret == 0 ? NULL : ret == EOWNERDEAD ? "EOWNERDEAD: the other side died holding "
                                                 "the lock" : strerrorname_np(ret);
}

/* The end, the lock held: MINE says FINISHED or GAVE_UP (WHY), wakes the other side. */
static int leave(struct ring *r, uint32_t *mine, pthread_cond_t *other, const char *why,
                 const char *done, unsigned long lines)
{
    int ret;
    if (why)
        warn_msg("%s; lines %s: %lu", why, done, lines);
    *mine = why ? GAVE_UP : FINISHED;
    if ((ret = pthread_cond_signal(other)) != 0 || (ret = pthread_mutex_unlock(&r->lock)) != 0)
        errno = ret, warn("pthread_cond_signal, pthread_mutex_unlock");
    if (shmdt(r) == -1)
        warn("shmdt(%p)", (void *) r);
    return why || ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int produce(key_t key, unsigned seconds)
{
    int shmid = shmget(key, sizeof(struct ring), IPC_CREAT | IPC_EXCL | 0600), ret;
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    unsigned long lines = 0;
    char *line = NULL;
    size_t size = 0;
    if (shmid == -1)
        fail_hint(errno == EEXIST ? KEY_IN_USE_HINT : NULL, "shmget(key 0x%08x, %zu, "
                  "IPC_CREAT|IPC_EXCL|0600)", (unsigned) key, sizeof(struct ring));
    struct ring *r = shmat(shmid, NULL, 0);
    if (r == (void *) -1 || (ret = pthread_mutexattr_init(&ma)) != 0 ||
        (ret = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED)) != 0 ||
        (ret = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) != 0 ||
        (ret = pthread_mutex_init(&r->lock, &ma)) != 0 ||
        (ret = pthread_condattr_init(&ca)) != 0 ||
        (ret = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED)) != 0 ||
        (ret = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
        (ret = pthread_cond_init(&r->not_full, &ca)) != 0 ||
        (ret = pthread_cond_init(&r->not_empty, &ca)) != 0 ||
        (ret = pthread_mutex_lock(&r->lock)) != 0) {
        errno = r == (void *) -1 ? errno : ret;
        warn("shmid %d: shmat, or setting up the lock", shmid);
        if (shmctl(shmid, IPC_RMID, NULL) == -1)
            warn("shmctl(%d, IPC_RMID)", shmid);
        exit(EXIT_FAILURE);                     /* exit detaches */
    }
    r->producer = HERE;
    atomic_store_explicit(&r->state, MESSAGE_READY, memory_order_release);
    const char *why = wait_until(r, &r->not_full, came, seconds, "no consumer came");
    if (shmctl(shmid, IPC_RMID, NULL) == -1)    /* from here, every way out frees it */
        fail("shmctl(%d, IPC_RMID)", shmid);
    while (!why) {
        if ((ret = pthread_mutex_unlock(&r->lock)) != 0)      /* not held while reading */
            errno = ret, fail("pthread_mutex_unlock");
        ssize_t n = getline(&line, &size, stdin);
        if ((why = lock(r)) != NULL)
            break;
        if (stop_signal || (n == -1 && ferror(stdin))) {
            why = stop_signal ? "read(stdin): interrupted" : "read(stdin) failed";
        } else if (n == -1) {                   /* the end: the consumer must take all */
            r->producer = FINISHED;
            if ((ret = pthread_cond_signal(&r->not_empty)) != 0)
                errno = ret, fail("pthread_cond_signal");
            if (!(why = wait_until(r, &r->not_full, left, seconds, "not all taken")) &&
                r->consumer != FINISHED)
                why = "the consumer gave up";
            break;
        } else if (n > LINE_BYTES) {
            why = "the next line has more than 1024 bytes: refusing it";
        } else if (!(why = wait_until(r, &r->not_full, room, seconds, "no free slot"))) {
            why = left(r) ? "the consumer gave up" : NULL;
        }
        if (why)
            break;
        r->slot[r->head % SLOTS].length = (uint32_t) n;
        memcpy(r->slot[r->head % SLOTS].text, line, (size_t) n);
        r->head++, lines++;
        if ((ret = pthread_cond_signal(&r->not_empty)) != 0)
            errno = ret, fail("pthread_cond_signal");
    }
    free(line);
    return leave(r, &r->producer, &r->not_empty, why, "sent", lines);
}

static int consume(key_t key, unsigned seconds)
{
    struct deadline d = { .seconds = seconds };
    unsigned long lines = 0;
    char text[LINE_BYTES];
    struct shmid_ds ds;
    int shmid, ret;
    while ((shmid = shmget(key, 0, 0)) == -1)
        if (errno != ENOENT || !keep_waiting(&d, "the producer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key,
                     errno != ENOENT ? strerrorname_np(errno) : wait_end_reason(&d));
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    const char *why = not_ours(ds.shm_perm.uid, ds.shm_perm.mode, (long long) ds.shm_segsz,
                               sizeof(struct ring));
    if (why)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    struct ring *r = shmat(shmid, NULL, 0);
    if (r == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    while (atomic_load_explicit(&r->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the producer to set up the lock"))
            fail_msg("shmid %d: no lock: %s", shmid, wait_end_reason(&d));
    if ((why = lock(r)) != NULL)
        fail_msg("shmid %d: %s", shmid, why);
    r->consumer = HERE;                         /* the producer waits for it */
    if ((ret = pthread_cond_signal(&r->not_full)) != 0)
        errno = ret, fail("pthread_cond_signal");
    while (!(why = wait_until(r, &r->not_empty, news, seconds, "no next line")) &&
           r->head != r->tail) {
        uint32_t n = r->slot[r->tail % SLOTS].length;             /* once: untrusted */
        if (r->head - r->tail > SLOTS || n > LINE_BYTES) {
            why = "a slot out of bounds: refusing it";
            break;
        }
        memcpy(text, r->slot[r->tail++ % SLOTS].text, n);
        if ((ret = pthread_cond_signal(&r->not_full)) != 0)      /* a slot is free */
            errno = ret, fail("pthread_cond_signal");
        if ((ret = pthread_mutex_unlock(&r->lock)) != 0)         /* not held while writing */
            errno = ret, fail("pthread_mutex_unlock");
        const char *failed = NULL;
        for (ssize_t done = 0, k; done < n && !failed; done += k)
            if ((k = write(STDOUT_FILENO, text + done, n - (size_t) done)) == -1)
                failed = "write(stdout) failed", k = 0;
        if ((why = lock(r)) != NULL || (why = failed) != NULL)
            break;
        lines++;
    }
    if (!why && r->producer != FINISHED)
        why = "the producer gave up";
    return leave(r, &r->consumer, &r->not_full, why, "printed", lines);
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    course_init(argv[0], "[-t SECONDS] produce|consume KEYPATH");
    int arg = parse_options(argc, argv, &seconds, 2);
    if (argc - arg != 2)
        usage_error("wants a role (produce or consume) and a KEYPATH");
    const char *role = argv[arg], *keypath = parse_path("KEYPATH", argv[arg + 1]);
    if (strcmp(role, "produce") != 0 && strcmp(role, "consume") != 0)
        usage_error("unknown role '%s'", role);
    key_t key = ftok(keypath, 65);
    if (key == -1)
        fail("ftok(\"%s\", 65)", keypath);
    return role[0] == 'p' ? produce(key, seconds) : consume(key, seconds);
}
