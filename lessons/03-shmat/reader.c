#define _GNU_SOURCE
/* reader.c - lesson 03: attach the segment read-only, wait for the message, read it.
 *
 * Start it after the writer, or before: it waits for the segment, then for the
 * message (the course's one way to wait: see the README). It checks the segment is
 * ours, attaches it read-only, copies the message, detaches and removes the segment.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID]]  (defaults: 10, lesson directory, 65)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "course.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int-sized atomics must be lock-free");

enum { TEXT_ROOM = 256 };       /* as in the writer */

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *why;
    int proj_id = 65, arg, shmid;
    size_t size = sizeof(struct message) + TEXT_ROOM;
    char text[TEXT_ROOM + 1];
    struct deadline d = { .seconds = 10 };     /* -t; one limit for both waits */
    struct shmid_ds ds;
    struct message *msg;
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
    /* No IPC_CREAT: ENOENT until the writer has created the segment. */
    while ((shmid = shmget(key, 0, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, 0, 0)", (unsigned) key);
        if (!keep_waiting(&d, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key,
                     wait_end_reason(&d));
    }
    // slide: check
    /* Keys, owners and modes are public: anyone may have taken our key
     * first. Trust the segment only if it is ours, 0600 and big enough. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = not_ours(ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode, ds.shm_segsz,
                   size);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    // end slide
    // slide: attach-read-only
    /* SHM_RDONLY: the pages are mapped without write permission; it needs
     * only read permission on the segment. Failure is (void *) -1. */
    msg = shmat(shmid, NULL, SHM_RDONLY);
    if (msg == (void *) -1)
        fail("shmat(%d, NULL, SHM_RDONLY)", shmid);
    // end slide
    printf("reader: shmid %d is mine (mode 600, %zu bytes): attached read-only at %p\n",
           shmid, (size_t) ds.shm_segsz, (void *) msg);

    // slide: wait
    /* Acquire order: once state reads READY, the magic, length and text
     * are seen as the writer wrote them. (On exit the kernel detaches.) */
    while (atomic_load_explicit(&msg->state, memory_order_acquire)
           != MESSAGE_READY)
        if (!keep_waiting(&d, "the writer's message"))
            fail_msg("shmid %d: no message: %s", shmid, wait_end_reason(&d));
    // end slide
    why = message_copy(msg, ds.shm_segsz, text, sizeof text);  /* untrusted bytes */
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    printf("reader: message \"%s\" (%zu bytes)\n", text, strlen(text));
    print_maps_line("reader: maps: ", msg);     /* r--s: read-only, shared */

    if (shmdt(msg) == -1)
        fail("shmdt(%p)", (void *) msg);
    /* Marks it removed: the kernel frees it at the last detach. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    printf("reader: detached, and removed shmid %d\n", shmid);
    return EXIT_SUCCESS;
}
