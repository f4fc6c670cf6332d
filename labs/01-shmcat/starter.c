#define _GNU_SOURCE
/* starter.c - lab 01: stream stdin to stdout through a System V segment.
 *
 *   shmcat [-t SECONDS] write KEYPATH < input
 *   shmcat [-t SECONDS] read KEYPATH > output
 *
 * Copy this file to shmcat.c and fill in the TODOs; the rules are in README.md.
 * It builds and runs as it is: both roles say they are not written yet.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

/* The segment: one page, a state word and a chunk of the stream. */
enum { EMPTY, FULL, END, DONE };
enum { SEGMENT_SIZE = 4096 };
struct chunk {
    _Atomic uint32_t state;
    uint32_t length;
    char data[SEGMENT_SIZE - 8];
};

static int writer(key_t key, unsigned seconds)
{
    (void) key, (void) seconds;
    /* TODO 1: create the segment: shmget(key, sizeof(struct chunk),
     *         IPC_CREAT | IPC_EXCL | 0600), then shmat it.
     * TODO 2: until read(STDIN_FILENO, ...) returns 0: wait (keep_waiting, at most
     *         SECONDS, a fresh struct deadline per wait) for the state EMPTY, read
     *         a chunk into data, set length, and publish FULL with
     *         atomic_store_explicit(..., memory_order_release).
     * TODO 3: at the end of the input, publish END and wait for the reader's DONE.
     * TODO 4: on every path (done, timeout, Ctrl-C: stop_signal, an error): shmdt,
     *         then shmctl(shmid, IPC_RMID, NULL). Exit 0 only after DONE. */
    fail_msg("write: not written yet");
}

static int reader(key_t key, unsigned seconds)
{
    (void) key, (void) seconds;
    /* TODO 5: wait (at most SECONDS) for shmget(key, 0, 0) to find the segment;
     *         check its owner, mode 0600 and size (IPC_STAT and not_ours), then
     *         shmat it read-write (the reader stores EMPTY and DONE).
     * TODO 6: wait for FULL or END (memory_order_acquire). FULL: copy length into a
     *         local once, refuse one larger than data, write the bytes to STDOUT_FILENO
     *         (all of them), then store EMPTY. END: store DONE.
     * TODO 7: shmdt on every path; exit 0 only after END. */
    fail_msg("read: not written yet");
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    course_init(argv[0], "[-t SECONDS] write|read KEYPATH");
    int arg = parse_options(argc, argv, &seconds, 2);
    if (argc - arg != 2)
        usage_error("wants a role (write or read) and a KEYPATH");
    const char *role = argv[arg], *keypath = parse_path("KEYPATH", argv[arg + 1]);
    if (strcmp(role, "write") != 0 && strcmp(role, "read") != 0)
        usage_error("unknown role '%s'", role);
    key_t key = ftok(keypath, 65);
    if (key == -1)
        fail("ftok(\"%s\", 65)", keypath);
    return role[0] == 'w' ? writer(key, seconds) : reader(key, seconds);
}
