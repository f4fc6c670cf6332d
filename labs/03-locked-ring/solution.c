#define _GNU_SOURCE
/* solution.c - lab 03, a reference: lines through a ring of slots under a shared lock.
 *
 *   ring [-t SECONDS] produce KEYPATH < input     one message per line, in a free slot
 *   ring [-t SECONDS] consume KEYPATH > output    prints each message, in order
 *
 * Either may start first. The producer creates the segment and the lock in it (lesson
 * 11), then marks it for removal once the consumer has come (lesson 05). Each side sleeps
 * on a condition variable in turns of 100 ms, at most -t, and ends saying FINISHED or
 * GAVE_UP in the segment, which wakes the other. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <time.h>

#include "course.h"

enum { SLOTS = 16, LINE_BYTES = 1024 };         /* a line, its newline included */
enum { ABSENT, HERE, FINISHED, GAVE_UP };       /* each side's word: > HERE, it left */
struct ring {
    _Atomic uint32_t state;                     /* READY: the lock is set up (lesson 11) */
    pthread_mutex_t lock;                       /* robust, process-shared: guards the rest */
    pthread_cond_t not_full, not_empty;         /* process-shared, on CLOCK_MONOTONIC */
    uint32_t head, tail;                        /* lines put, taken: head - tail <= SLOTS */
    uint32_t producer, consumer;                /* ABSENT, HERE, FINISHED or GAVE_UP */
    struct { uint32_t length; char text[LINE_BYTES]; } slot[SLOTS];
};

/* What the waits wait for, the lock held. */
static bool came(struct ring *r) { return r->consumer != ABSENT; }
static bool room(struct ring *r) { return r->head - r->tail < SLOTS || r->consumer > HERE; }
static bool news(struct ring *r) { return r->head != r->tail || r->producer > HERE; }

/* A pthread call's result: 0, or an error number that ends the program (EOWNERDEAD:
 * the other side died holding the lock; no one is left to tell). */
static void check(int ret, const char *call)
{
    if (ret != 0)
        errno = ret, fail("%s", call);
}

/* The lock held: sleep on COND until READY(r), in turns of 100 ms (lesson 11), at most
 * SECONDS. NULL, or "WHAT: why not" (timed out, or Ctrl-C). */
static const char *wait_until(struct ring *r, pthread_cond_t *cond,
                              bool (*ready)(struct ring *), unsigned seconds,
                              const char *what)
{
    static char why[96];
    struct deadline d = { .seconds = seconds };
    struct timespec t;
    for (unsigned turns = 0; !stop_signal && !ready(r) && turns < seconds * 10; turns++) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += 100000000;
        t.tv_sec += t.tv_nsec / 1000000000, t.tv_nsec %= 1000000000;
        int ret = pthread_cond_timedwait(cond, &r->lock, &t);
        check(ret == ETIMEDOUT ? 0 : ret, "pthread_cond_timedwait");
    }
    if (!stop_signal && ready(r))
        return NULL;
    return snprintf(why, sizeof why, "%s: %s", what, wait_end_reason(&d)), why;
}

/* The end, the lock held: MINE says FINISHED, or GAVE_UP (and WHY on stderr); then
 * wake the other side (OTHER), unlock, detach. */
static int leave(struct ring *r, uint32_t *mine, pthread_cond_t *other, const char *why)
{
    if (why)
        warn_msg("%s", why);
    *mine = why ? GAVE_UP : FINISHED;
    check(pthread_cond_signal(other), "pthread_cond_signal");
    check(pthread_mutex_unlock(&r->lock), "pthread_mutex_unlock");
    if (shmdt(r) == -1)
        fail("shmdt(%p)", (void *) r);
    return why ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int produce(key_t key, unsigned seconds)
{
    int shmid = shmget(key, sizeof(struct ring), IPC_CREAT | IPC_EXCL | 0600), ret;
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
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
    while (!why && r->consumer == HERE) {
        check(pthread_mutex_unlock(&r->lock), "pthread_mutex_unlock");
        ssize_t n = getline(&line, &size, stdin);               /* the lock not held */
        check(pthread_mutex_lock(&r->lock), "pthread_mutex_lock");
        if (n == -1 && ferror(stdin))
            why = stop_signal ? "read(stdin): interrupted" : "read(stdin) failed";
        else if (n == -1)
            break;                              /* all sent: the consumer takes the rest */
        else if (n > LINE_BYTES)
            why = "the next line has more than 1024 bytes: refusing it";
        else if (!(why = wait_until(r, &r->not_full, room, seconds, "no free slot"))) {
            r->slot[r->head % SLOTS].length = (uint32_t) n;
            memcpy(r->slot[r->head++ % SLOTS].text, line, (size_t) n);
            check(pthread_cond_signal(&r->not_empty), "pthread_cond_signal");
        }
    }
    if (!why && r->consumer != HERE)
        why = "the consumer gave up";
    free(line);
    return leave(r, &r->producer, &r->not_empty, why);
}

static int consume(key_t key, unsigned seconds)
{
    struct deadline d = { .seconds = seconds };
    char text[LINE_BYTES];
    struct shmid_ds ds;
    int shmid;
    while ((shmid = shmget(key, 0, 0)) == -1)
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, 0, 0)", (unsigned) key);
        else if (!keep_waiting(&d, "the producer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key, wait_end_reason(&d));
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    const char *why = not_ours(ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode,
                               ds.shm_segsz, sizeof(struct ring));
    if (why)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    struct ring *r = shmat(shmid, NULL, 0);
    if (r == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    while (atomic_load_explicit(&r->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the producer to set up the lock"))
            fail_msg("shmid %d: no lock: %s", shmid, wait_end_reason(&d));
    check(pthread_mutex_lock(&r->lock), "pthread_mutex_lock");
    r->consumer = HERE;                         /* the producer waits for it */
    check(pthread_cond_signal(&r->not_full), "pthread_cond_signal");
    while (!why && !(why = wait_until(r, &r->not_empty, news, seconds, "no next line")) &&
           r->head != r->tail) {
        uint32_t n = r->slot[r->tail % SLOTS].length;             /* once: untrusted */
        if (r->head - r->tail > SLOTS || n > LINE_BYTES) {
            why = "a slot out of bounds: refusing it";
            break;
        }
        memcpy(text, r->slot[r->tail++ % SLOTS].text, n);       /* a slot is free again */
        check(pthread_cond_signal(&r->not_full), "pthread_cond_signal");
        check(pthread_mutex_unlock(&r->lock), "pthread_mutex_unlock");
        if (fwrite(text, 1, n, stdout) != n || fflush(stdout) == EOF || ferror(stdout))
            why = "write(stdout) failed";       /* line-buffered: ferror tells */
        check(pthread_mutex_lock(&r->lock), "pthread_mutex_lock");
    }
    if (!why && r->producer != FINISHED)
        why = "the producer gave up";
    return leave(r, &r->consumer, &r->not_full, why);
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
