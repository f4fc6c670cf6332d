#define _GNU_SOURCE
/* readonly-store.c - lesson 03: a store through a SHM_RDONLY attachment is a SIGSEGV.
 *
 * Runs alone. It creates a segment with no key (IPC_PRIVATE), attaches it
 * read-only, marks it removed at once (it lives on until detached: lesson 05),
 * and lets a child store one byte through the attachment: the kernel kills the
 * child with SIGSEGV. The parent detaches, which frees the segment.
 *
 * Usage: readonly-store
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "course.h"

// slide: store
/* Runs in a child (signal_from_child). The page is mapped without write
 * permission: the MMU refuses the store and the kernel sends SIGSEGV. */
static void store_into(void *shared)
{
    *(volatile char *) shared = 'X';
}
// end slide

int main(int argc, char *argv[])
{
    int shmid, sig;
    char *shared;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);

    shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail("shmget(IPC_PRIVATE, 4096, IPC_CREAT|IPC_EXCL|0600)");
    shared = shmat(shmid, NULL, SHM_RDONLY);
    if (shared == (void *) -1)
        warn("shmat(%d, NULL, SHM_RDONLY)", shmid);
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    if (shared == (void *) -1)
        return EXIT_FAILURE;

    sig = signal_from_child(store_into, shared);
    if (sig == -1)
        fail("fork");
    if (sig == 0)
        printf("readonly-store: the child's store went through\n");
    else
        printf("readonly-store: a store through the read-only attachment killed "
               "the child with SIG%s\n", sigabbrev_np(sig));

    if (shmdt(shared) == -1)
        fail("shmdt(%p)", (void *) shared);
    return EXIT_SUCCESS;
}
