#define _GNU_SOURCE
/* attach-then-remove.c - lesson 05: attach, then mark for removal at once.
 *
 * Runs alone. It creates a private segment, attaches it, and marks it with
 * IPC_RMID straight away: from then on the kernel frees it at the last detach,
 * however the process ends, even by kill -KILL, which no cleanup code sees.
 * -t SECONDS: hold the segment that long first (Enter ends it sooner), so that
 * you can look at it with ipcs -m, or kill the program, from another terminal.
 *
 * Usage: attach-then-remove [-t SECONDS]   (default: no hold)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

int main(int argc, char *argv[])
{
    struct deadline d = { .seconds = 0 };
    struct pollfd enter = { .fd = STDIN_FILENO, .events = POLLIN };
    int shmid, status = EXIT_SUCCESS;
    struct shmid_ds ds;
    char *shared;

    course_init(argv[0], "[-t SECONDS]");
    parse_options(argc, argv, &d.seconds, 0);

    // slide: attach-then-remove
    shmid = shmget(IPC_PRIVATE, 100, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail("shmget(IPC_PRIVATE, 100, IPC_CREAT|IPC_EXCL|0600)");
    shared = shmat(shmid, NULL, 0);
    if (shared == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        if (shmctl(shmid, IPC_RMID, NULL) == -1)
            warn("shmctl(%d, IPC_RMID)", shmid);
        return EXIT_FAILURE;
    }
    /* Attached: mark it now. From here on, no way out can leak it. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    // end slide
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    strcpy(shared, "still usable");
    printf("attach-then-remove: shmid %d, mode %o, nattch %lu: \"%s\"\n", shmid,
           (unsigned) ds.shm_perm.mode, (unsigned long) ds.shm_nattch, shared);

    if (d.seconds > 0) {        /* the hold: stdin readable means Enter (or EOF) */
        char what[64];

        snprintf(what, sizeof what, "Enter, or kill -KILL %d", (int) getpid());
        while (poll(&enter, 1, 0) == 0)
            if (!keep_waiting(&d, what))
                break;
        if (stop_signal) {
            warn_msg("stopped: %s", wait_end_reason(&d));
            status = EXIT_FAILURE;
        }
    }

    // slide: last-detach
    /* The last detach frees a marked segment: its id is gone. */
    if (shmdt(shared) == -1)
        fail("shmdt(%p)", (void *) shared);
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        printf("attach-then-remove: detached; shmctl(%d, IPC_STAT): %s\n",
               shmid, strerrorname_np(errno));
    // end slide
    return status;
}
