#define _GNU_SOURCE
/* reader.c - lesson 04: attach, take a copy, detach: the segment stays.
 *
 * Start this after the writer (or before: it waits). It finds the writer's segment
 * by its key, checks that it is this user's with mode 0600, attaches it (the
 * writer is attached too: shm_nattch 2), copies the message, marks it SEEN and
 * detaches. Then it shows what detaching did to this process: the mapping is gone
 * from /proc/self/maps, a load from the old address is a SIGSEGV, and a second
 * shmdt of it is EINVAL. The segment stays for the writer, who finds the message
 * intact after everyone has detached, then removes it.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID]]
 *        the same defaults as the writer; -t 10: how long to wait for the writer
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

#define SEGMENT_SIZE 4096       /* what the writer creates */

/* Runs in a child: a load from an address this process no longer has mapped. */
static void load_from(void *addr)
{
    fault_on_purpose(addr, 1);                  /* for valgrind: no error */
    (void) *(volatile const char *) addr;       /* volatile: really load */
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = lesson_dir(), *why;
    int proj_id = 'A', arg, shmid, sig;
    struct message *msg;
    struct deadline deadline;
    struct shmid_ds ds;
    char copy[SEGMENT_SIZE];
    key_t key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, &seconds, NULL, 2);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg++], 1, 255);
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath,
           proj_id);

    /* No IPC_CREAT: the reader never creates, so it never has to remove. */
    deadline_start(&deadline, seconds);
    while ((shmid = shmget(key, SEGMENT_SIZE, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, %d, 0)", (unsigned) key, SEGMENT_SIZE);
        if (!keep_waiting(&deadline, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key,
                     wait_end_hint(&deadline, "start ./writer first"));
    }
    /* Anyone can create a segment at our key first: use it only if it is ours. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = segment_not_ours(&ds, SEGMENT_SIZE);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it; remove it (ipcrm -m %d) or run "
                 "'make clean-ipc'", shmid, why, shmid);
    printf("reader: found shmid %d: mine, mode 600\n", shmid);

    // slide: attach
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    /* The writer attached before it made the message READY, and stays
     * attached until we have gone: from READY on, shm_nattch is 2. */
    while (atomic_load(&msg->state) != MESSAGE_READY)
        if (!keep_waiting(&deadline, "the writer's message"))
            goto out_no_message;
    // end slide
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_detach;
    }
    printf("reader: attached at %p: shm_nattch %lu\n", (void *) msg,
           (unsigned long) ds.shm_nattch);
    print_sysvipc_row("reader: /proc/sysvipc/shm: ", shmid);
    print_maps_line("reader: /proc/self/maps: ", msg);

    /* The contents are untrusted: a bounded copy with our own NUL. */
    if (!message_copy(msg, SEGMENT_SIZE, copy, sizeof copy, &why)) {
        warn_msg("refusing the message in shmid %d: %s", shmid, why);
        goto out_detach;
    }
    printf("reader: message %u: \"%s\"\n", atomic_load(&msg->sequence), copy);
    atomic_store(&msg->state, MESSAGE_SEEN);    /* the writer waits for this */

    // slide: detach
    /* Unmap it from this process. The segment, its bytes and the
     * writer's attachment stay. msg is now just an old address. */
    if (shmdt(msg) == -1)
        fail("shmdt(%p)", (void *) msg);
    // end slide
    printf("reader: detached from %p\n", (void *) msg);

    /* A forked child is a copy of this process: no attachment there either. */
    sig = signal_from_child(load_from, msg);
    if (sig == -1)
        fail("fork");
    if (sig == 0)
        fail_msg("a load from %p after shmdt did not kill the child", (void *) msg);
    printf("reader: a load from %p after shmdt killed the child with %s\n",
           (void *) msg, signal_name(sig));
    print_maps_line("reader: /proc/self/maps: ", msg);
    if (shmdt(msg) == -1)
        printf("reader: shmdt(%p) again gives %s: nothing is attached there\n",
               (void *) msg, errno_name(errno));
    return EXIT_SUCCESS;

out_no_message:
    warn_msg("no message in shmid %d: %s", shmid, wait_end_reason(&deadline));
out_detach:
    if (shmdt(msg) == -1)
        warn("shmdt(%p)", (void *) msg);
    return EXIT_FAILURE;
}
