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
    const char *keypath = ".", *why;
    int proj_id = 'A', opt, shmid, sig;
    struct message *msg;
    struct deadline deadline;
    struct shmid_ds ds;
    char copy[SEGMENT_SIZE];
    key_t key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID]]");
    opterr = 0;         /* we report a bad option ourselves, in one line */
    /* "+": options come first, so a PROJ_ID of "-1" is a bad PROJ_ID. */
    while ((opt = getopt(argc, argv, "+t:")) != -1) {
        if (opt != 't')
            usage_error("option -%c %s", optopt,
                        optopt == 't' ? "needs a number of SECONDS" : "is unknown");
        seconds = (unsigned) parse_number("SECONDS", optarg, 1, 3600);
    }
    if (argc - optind > 2)
        usage_error("too many arguments");
    if (argc - optind > 0)
        keypath = parse_path("KEYPATH", argv[optind]);
    if (argc - optind > 1)
        proj_id = (int) parse_number("PROJ_ID", argv[optind + 1], 1, 255);
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key %#010x from ftok(\"%s\", %d)\n", (unsigned) key, keypath, proj_id);

    /* No IPC_CREAT: the reader never creates, so it never has to remove. */
    deadline_start(&deadline, seconds);
    while ((shmid = shmget(key, SEGMENT_SIZE, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key %#010x, %d, 0)", (unsigned) key, SEGMENT_SIZE);
        if (deadline.pause_ns == 100 * 1000)    /* say it once, on the first miss */
            fprintf(stderr, "reader: waiting up to %u s for the writer to create "
                    "the segment (key %#010x)\n", seconds, (unsigned) key);
        if (!deadline_pause(&deadline))
            fail_msg("no segment for key %#010x: %s; start ./writer first",
                     (unsigned) key, wait_end_reason(&deadline));
    }
    /* Anyone can create a segment at our key first: use it only if it is ours. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    if (ds.shm_perm.uid != geteuid() || (ds.shm_perm.mode & 0777) != 0600)
        fail_msg("shmid %d belongs to uid %u with mode %03o, not to you with 0600: "
                 "refusing it", shmid, (unsigned) ds.shm_perm.uid,
                 (unsigned) (ds.shm_perm.mode & 0777));
    printf("reader: found shmid %d: mine, mode 600\n", shmid);

    // slide: attach
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    /* The writer attached before it made the message READY, and stays
     * attached until we have gone: from READY on, shm_nattch is 2. */
    while (atomic_load(&msg->state) != MESSAGE_READY)
        if (!deadline_pause(&deadline))
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
    printf("reader: a load from %p after shmdt killed the child with SIG%s\n",
           (void *) msg, sigabbrev_np(sig));
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
