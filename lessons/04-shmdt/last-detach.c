#define _GNU_SOURCE
/* last-detach.c - lesson 04: the last shmdt frees a segment marked with IPC_RMID.
 *
 * Runs alone. It makes a segment with no key (IPC_PRIVATE: nobody else finds it),
 * attaches it and marks it with IPC_RMID: marked, not freed, as it is still
 * attached. Its own shmdt is the last detach: the kernel frees the segment then.
 *
 * Usage: last-detach
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>

#include "course.h"

#define SIZE 4096

int main(int argc, char *argv[])
{
    struct shmid_ds ds;
    void *addr;
    int shmid;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);

    shmid = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail("shmget(IPC_PRIVATE, %d, IPC_CREAT|IPC_EXCL|0600)", SIZE);
    addr = shmat(shmid, NULL, 0);
    if (addr == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        if (shmctl(shmid, IPC_RMID, NULL) == -1)
            warn("shmctl(%d, IPC_RMID)", shmid);
        return EXIT_FAILURE;
    }
    // slide: mark
    /* Marked while attached: from here on, the last detach frees it. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    // end slide
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    printf("last-detach: shmid %d after IPC_RMID: shm_nattch %lu, mode %o: marked,"
           " not freed\n", shmid, (unsigned long) ds.shm_nattch,
           (unsigned) ds.shm_perm.mode & 07777);
    // slide: last-detach
    if (shmdt(addr) == -1)
        fail("shmdt(%p)", addr);
    if (shmctl(shmid, IPC_STAT, &ds) != -1)
        fail_msg("shmid %d is still there after the last shmdt", shmid);
    // end slide
    printf("last-detach: after the last shmdt, IPC_STAT gives %s: freed\n",
           strerrorname_np(errno));
    return EXIT_SUCCESS;
}
