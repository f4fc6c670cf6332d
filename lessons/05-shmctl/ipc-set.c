#define _GNU_SOURCE
/* ipc-set.c - lesson 05: change a segment's mode with shmctl(IPC_SET).
 *
 * Runs alone. It creates a private segment (IPC_PRIVATE: no key leads to it),
 * reads the record with IPC_STAT, sets the mode to 0400 with IPC_SET, reads the
 * record again, and removes the segment.
 *
 * Usage: ipc-set
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "course.h"

static void print_perm(const char *when, const struct shmid_ds *ds)
{
    printf("ipc-set: %s: mode %o, owner %u:%u, ctime %lld\n", when,
           (unsigned) ds->shm_perm.mode, (unsigned) ds->shm_perm.uid,
           (unsigned) ds->shm_perm.gid, (long long) ds->shm_ctime);
}

int main(int argc, char *argv[])
{
    int shmid, status = EXIT_FAILURE;
    struct shmid_ds ds;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);

    shmid = shmget(IPC_PRIVATE, 100, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail("shmget(IPC_PRIVATE, 100, IPC_CREAT|IPC_EXCL|0600)");
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_remove;
    }
    print_perm("created", &ds);

    // slide: set
    /* IPC_SET takes uid, gid AND the low 9 mode bits from ds: start from
     * IPC_STAT's record and change only what you mean to change. */
    ds.shm_perm.mode = 0400;
    if (shmctl(shmid, IPC_SET, &ds) == -1) {
        warn("shmctl(%d, IPC_SET, mode 0400)", shmid);
        goto out_remove;
    }
    // end slide
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_remove;
    }
    print_perm("after IPC_SET", &ds);
    status = EXIT_SUCCESS;

out_remove:
    /* Nobody is attached: IPC_RMID frees it at once. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1) {
        warn("shmctl(%d, IPC_RMID)", shmid);
        status = EXIT_FAILURE;
    } else {
        printf("ipc-set: removed shmid %d\n", shmid);
    }
    return status;
}
