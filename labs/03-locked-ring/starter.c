#define _GNU_SOURCE
/* starter.c - lab 03: lines through a ring of slots under a process-shared lock.
 *
 *   ring [-t SECONDS] produce KEYPATH < input
 *   ring [-t SECONDS] consume KEYPATH > output
 *
 * Copy this file to ring.c and fill in the TODOs; the rules are in README.md.
 * It builds and runs as it is: both roles say they are not written yet.
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

/* The segment: the lock, two conditions, and SLOTS messages of a line each. */
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

static int produce(key_t key, unsigned seconds)
{
    (void) key, (void) seconds;
    /* TODO 1: create the segment: shmget(key, sizeof(struct ring),
     *         IPC_CREAT | IPC_EXCL | 0600), then shmat it.
     * TODO 2: set up the lock in place, as lesson 11's writer: a mutex with
     *         pthread_mutexattr_setpshared(PTHREAD_PROCESS_SHARED) and
     *         pthread_mutexattr_setrobust(PTHREAD_MUTEX_ROBUST); not_full and not_empty
     *         with pthread_condattr_setpshared and setclock(CLOCK_MONOTONIC). Lock it,
     *         set producer = HERE, then store state MESSAGE_READY (memory_order_release).
     * TODO 3: sleep on not_full until consumer != ABSENT: pthread_cond_timedwait in
     *         turns of 100 ms (look at stop_signal between turns), at most SECONDS.
     *         Then shmctl(shmid, IPC_RMID, NULL): marked, it goes at the last detach,
     *         even if one side is killed (lesson 05). Remove it as well if no one came.
     * TODO 4: for each line (getline), with the lock NOT held while reading: lock;
     *         refuse a line longer than LINE_BYTES; wait on not_full while head - tail
     *         == SLOTS (and the consumer is HERE); copy it into slot[head % SLOTS],
     *         head++, signal not_empty.
     * TODO 5: the end of the input: producer = FINISHED; the consumer empties the ring
     *         alone (the segment is marked). On any failure (a refused line, a read
     *         error, a timeout, Ctrl-C, the consumer gone): producer = GAVE_UP and one
     *         line on stderr. Then signal not_empty, unlock, shmdt; exit 0 only when
     *         the whole input is in the ring. EOWNERDEAD from a lock or a wait (the
     *         other side died holding the lock), on either side: exit 1 at once. */
    fail_msg("produce: not written yet");
}

static int consume(key_t key, unsigned seconds)
{
    (void) key, (void) seconds;
    /* TODO 6: wait (keep_waiting, at most SECONDS) for shmget(key, 0, 0) to find the
     *         segment; check it (IPC_STAT and not_ours, at least sizeof(struct ring));
     *         shmat; wait (keep_waiting) for state MESSAGE_READY (memory_order_acquire).
     * TODO 7: lock, set consumer = HERE, signal not_full (the producer waits for you).
     * TODO 8: sleep on not_empty (turns of 100 ms, at most SECONDS) until head != tail
     *         or producer > HERE (it left). A message: read its length once, refuse it
     *         if it is over LINE_BYTES (or head - tail over SLOTS), copy it out, tail++,
     *         signal not_full, unlock, write it all to stdout, lock again.
     * TODO 9: the ring empty and producer FINISHED: consumer = FINISHED; anything else
     *         (GAVE_UP, a timeout, Ctrl-C, a bad slot): consumer = GAVE_UP and one line
     *         on stderr. Signal not_full, unlock, shmdt. Exit 0 only after FINISHED. */
    fail_msg("consume: not written yet");
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
