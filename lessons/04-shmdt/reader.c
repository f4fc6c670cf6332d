#define _GNU_SOURCE
/* reader.c - lesson 04: after shmdt the old address is gone from this process.
 *
 * Start it after the writer, or before: it waits. It attaches the writer's segment
 * (shm_nattch 2), copies the message, answers SEEN and detaches: its maps line is
 * gone, a load from the old address kills a child, a second shmdt is EINVAL.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID]]   (defaults: 10, lesson dir, 65)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "course.h"

enum { TEXT_ROOM = 256 };       /* as in the writer */

/* Runs in a child: a load from an address this process no longer has mapped. */
static void load_after_shmdt(void *addr)
{
    (void) *(volatile const char *) addr;
}

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *why;
    int proj_id = 65, arg, shmid, sig;
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
    while ((shmid = shmget(key, 0, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, 0, 0)", (unsigned) key);
        if (!keep_waiting(&d, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key, wait_end_reason(&d));
    }
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = not_ours(ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode, ds.shm_segsz,
                   (long long) (sizeof(struct message) + TEXT_ROOM));
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);

    msg = shmat(shmid, NULL, 0);        /* read-write: it answers SEEN */
    if (msg == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the writer's message"))
            fail_msg("shmid %d: no message: %s", shmid, wait_end_reason(&d));
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    printf("reader: attached shmid %d at %p: shm_nattch %lu, shm_lpid %d, shm_dtime "
           "%lld\n", shmid, (void *) msg, (unsigned long) ds.shm_nattch,
           (int) ds.shm_lpid, (long long) ds.shm_dtime);
    print_maps_line("reader: maps: ", msg);
    why = message_copy(msg, ds.shm_segsz, text, sizeof text);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    printf("reader: message \"%s\"\n", text);
    atomic_store_explicit(&msg->state, MESSAGE_SEEN, memory_order_release);

    // slide: detach
    /* The address shmat returned, not the shmid. This process loses the
     * mapping; the segment and the writer's attachment stay. */
    if (shmdt(msg) == -1)
        fail("shmdt(%p)", (void *) msg);
    // end slide
    print_maps_line("reader: detached, maps: ", msg);

    // slide: old-address
    sig = signal_from_child(load_after_shmdt, msg);
    if (sig == -1)
        fail("fork");
    if (sig == 0)
        fail_msg("a load from %p after shmdt did not fault", (void *) msg);
    printf("reader: a load from %p killed a child with SIG%s\n", (void *) msg,
           sigabbrev_np(sig));
    if (shmdt(msg) == -1)
        printf("reader: shmdt(%p) again: %s\n", (void *) msg,
               strerrorname_np(errno));
    // end slide
    return EXIT_SUCCESS;
}
