#define _GNU_SOURCE
/* reader.c - lesson 05: stay attached while the writer removes the segment.
 *
 * Start it after the writer, or before: then it waits. It checks the segment is
 * ours, attaches it, reads the message and answers SEEN (lesson 03's state word).
 * The writer's second message comes after its IPC_RMID: the record now shows key 0
 * and SHM_DEST, the key finds nothing, and yet the reader still reads the segment.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID]]   (defaults: 10, this lesson's
 *        directory, 65)
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

/* Lesson 03's wait: state READY (acquire order), then copy the text out.
 * A failure exits, and on exit the kernel detaches us. */
static void read_message(int shmid, struct message *msg, size_t size, struct deadline *d)
{
    char text[TEXT_ROOM + 1];
    const char *why;

    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(d, "the writer's message"))
            fail_msg("shmid %d: no message: %s", shmid, wait_end_reason(d));
    why = message_copy(msg, size, text, sizeof text);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    printf("reader: read \"%s\"\n", text);
}

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *why;
    int proj_id = 65, arg, shmid, found;
    size_t size = sizeof(struct message) + TEXT_ROOM;
    struct deadline d = { .seconds = 10 };     /* -t; one limit for all waits */
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
    while ((shmid = shmget(key, 0, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, 0, 0)", (unsigned) key);
        if (!keep_waiting(&d, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key, wait_end_reason(&d));
    }
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = not_ours(ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode, ds.shm_segsz,
                   (long long) size);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    printf("reader: attached shmid %d for key 0x%08x: mine, mode 600\n", shmid,
           (unsigned) key);

    read_message(shmid, msg, ds.shm_segsz, &d);
    atomic_store_explicit(&msg->state, MESSAGE_SEEN, memory_order_release);
    printf("reader: answered SEEN\n");
    read_message(shmid, msg, ds.shm_segsz, &d);     /* sent after the IPC_RMID */

    // slide: dest
    /* Marked, not gone: the record is still there, key 0, SHM_DEST set. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    printf("reader: IPC_STAT: key 0x%08x, mode %o: SHM_DEST is %s\n",
           (unsigned) ds.shm_perm.__key, (unsigned) ds.shm_perm.mode,
           (ds.shm_perm.mode & SHM_DEST) ? "set" : "not set");
    found = shmget(key, 0, 0);          /* the key leads nowhere now */
    if (found == -1)
        printf("reader: shmget(key 0x%08x, 0, 0): %s\n", (unsigned) key,
               strerrorname_np(errno));
    else
        printf("reader: shmget(key 0x%08x, 0, 0) finds shmid %d\n",
               (unsigned) key, found);
    // end slide

    if (shmdt(msg) == -1)
        fail("shmdt(%p)", (void *) msg);
    printf("reader: detached\n");
    return EXIT_SUCCESS;
}
