#define _GNU_SOURCE
/* solution.c - lab 01, a reference: stream stdin to stdout through a System V segment.
 *
 *   shmcat [-t SECONDS] write KEYPATH < input     creates the segment, fills it chunk
 *   shmcat [-t SECONDS] read KEYPATH > output     by chunk; the reader empties it
 *
 * Either may start first. The writer creates the segment (0600, IPC_EXCL), hands the
 * input over one chunk at a time (state FULL, release; the reader answers EMPTY), ends
 * with END, waits for the reader's DONE and removes the segment, on every path.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

enum { EMPTY, FULL, END, DONE };
enum { SEGMENT_SIZE = 4096 };
struct chunk {
    _Atomic uint32_t state;
    uint32_t length;
    char data[SEGMENT_SIZE - 8];
};
_Static_assert(sizeof(struct chunk) == SEGMENT_SIZE, "one page");

/* Wait until the state is WANT (or, for the reader, END); false on timeout or Ctrl-C.
 * Only the first wait of the stream says so on stderr. */
static bool wait_for(struct chunk *c, uint32_t want, unsigned seconds, const char *what)
{
    static bool announced;
    struct deadline d = { .seconds = seconds };
    uint32_t s;
    while ((s = atomic_load_explicit(&c->state, memory_order_acquire)) != want &&
           !(want == FULL && s == END)) {
        bool go_on = keep_waiting(&d, announced ? NULL : what);
        announced = true;
        if (!go_on) {
            warn_msg("%s: %s", what, wait_end_reason(&d));
            return false;
        }
    }
    return true;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t done = write(fd, p, n);
        if (done == -1)
            return false;
        p += done, n -= (size_t) done;
    }
    return true;
}

static int writer(key_t key, unsigned seconds)
{
    int shmid = shmget(key, sizeof(struct chunk), IPC_CREAT | IPC_EXCL | 0600), ok = 0;
    if (shmid == -1)
        fail_hint(errno == EEXIST ? "'ipcs -m' shows it; 'ipcrm -M KEY' removes it" : NULL,
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)", (unsigned) key,
                  sizeof(struct chunk));
    struct chunk *c = shmat(shmid, NULL, 0);
    if (c == (void *) -1) {
        warn("shmat(%d)", shmid);
    } else {
        for (;;) {
            if (!wait_for(c, EMPTY, seconds, "the reader to empty the segment"))
                break;
            ssize_t n = read(STDIN_FILENO, c->data, sizeof c->data);
            if (n == -1) {
                warn(stop_signal ? "read(stdin): interrupted" : "read(stdin)");
                break;
            }
            c->length = (uint32_t) n;
            atomic_store_explicit(&c->state, n > 0 ? FULL : END, memory_order_release);
            if (n == 0) {
                ok = wait_for(c, DONE, seconds, "the reader to finish");
                break;
            }
        }
        if (shmdt(c) == -1)
            warn("shmdt");
    }
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int reader(key_t key, unsigned seconds)
{
    struct deadline d = { .seconds = seconds };
    struct shmid_ds ds;
    int shmid, ok = 0;
    while ((shmid = shmget(key, 0, 0)) == -1)
        if (errno != ENOENT || !keep_waiting(&d, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key,
                     errno != ENOENT ? strerror(errno) : wait_end_reason(&d));
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    const char *why = not_ours(ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode,
                               ds.shm_segsz, sizeof(struct chunk));
    if (why)
        fail_msg("shmid %d is not our writer's (%s): refusing it", shmid, why);
    struct chunk *c = shmat(shmid, NULL, 0);
    if (c == (void *) -1)
        fail("shmat(%d)", shmid);
    while (wait_for(c, FULL, seconds, "the writer's next chunk")) {
        if (atomic_load_explicit(&c->state, memory_order_acquire) == END) {
            atomic_store_explicit(&c->state, DONE, memory_order_release);
            ok = 1;
            break;
        }
        uint32_t n = c->length;                 /* read once: the writer is untrusted */
        if (n > sizeof c->data) {
            warn_msg("a chunk of %u bytes does not fit the segment: refusing it", n);
            break;
        }
        if (!write_all(STDOUT_FILENO, c->data, n)) {
            warn("write(stdout)");
            break;
        }
        atomic_store_explicit(&c->state, EMPTY, memory_order_release);
    }
    if (shmdt(c) == -1)
        fail("shmdt");
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
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
