#define _GNU_SOURCE
/* writer.c - lesson 04: shmdt detaches, it never destroys.
 *
 * Start this first. It creates a segment, attaches it (shm_nattch 1), writes a
 * message and waits until the reader has attached (2), copied it and detached (1).
 * It detaches too (0), yet the segment and the message stay: it attaches again,
 * finds the message intact, forks a child that shares the attachment (2, then 1),
 * and only then detaches and removes the segment with IPC_RMID.
 *
 * Usage: writer [-t SECONDS] [KEYPATH [PROJ_ID]]
 *        defaults: KEYPATH the lesson directory, PROJ_ID 65 ('A'),
 *        -t 10: how long to wait for the reader
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
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

#define SEGMENT_SIZE 4096       /* one page: a message header and its text */
static const char greeting[] = "this message outlives every attachment";

/* shm_nattch from IPC_STAT: how many attachments the segment has right now. */
static long nattch_of(int shmid)
{
    struct shmid_ds ds;

    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        return -1;
    }
    return (long) ds.shm_nattch;
}

/* Runs in a child forked while the segment is attached. */
static void count_in_child(void *shmid)
{
    printf("writer: a child (pid %d) forked now sees shm_nattch %ld: fork copied "
           "the attachment\n", (int) getpid(), nattch_of(*(int *) shmid));
    fflush(stdout);     /* the child ends with _exit, which would not flush */
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = lesson_dir(), *why;
    int proj_id = 'A', arg, shmid;
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
    if (key == -1)      /* -1 is also a valid key: never use it unchecked */
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("writer: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath,
           proj_id);
    shmid = shmget(key, SEGMENT_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? key_in_use_hint(key) : NULL,
                  "shmget(key 0x%08x, %d, IPC_CREAT|IPC_EXCL|0600)",
                  (unsigned) key, SEGMENT_SIZE);
    printf("writer: created shmid %d, %d bytes, mode 0600\n", shmid, SEGMENT_SIZE);

    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        goto out_remove;
    }
    printf("writer: attached at %p: shm_nattch %ld\n", (void *) msg, nattch_of(shmid));
    msg->magic = MESSAGE_MAGIC;
    msg->length = sizeof greeting - 1;
    memcpy(msg->text, greeting, sizeof greeting - 1);
    atomic_store(&msg->sequence, 1);
    atomic_store(&msg->state, MESSAGE_READY);   /* publishes the text above */
    printf("writer: wrote message 1: \"%s\"\n", greeting);
    printf("writer: waiting for the reader to copy it and detach\n");

    // slide: wait-for-reader
    /* The reader stores MESSAGE_SEEN, then detaches. No store can
     * say it has gone: only the kernel's count, shm_nattch, can. */
    deadline_start(&deadline, seconds);
    while (atomic_load(&msg->state) != MESSAGE_SEEN ||
           nattch_of(shmid) != 1)
        if (!keep_waiting(&deadline, "./reader in another terminal"))
            goto out_no_reader;
    // end slide
    printf("writer: the reader has copied it and detached: shm_nattch %ld\n",
           nattch_of(shmid));

    // slide: detach
    /* shmdt takes the address shmat returned, not the shmid: the
     * kernel unmaps it here and decrements shm_nattch. */
    if (shmdt(msg) == -1) {
        warn("shmdt(%p)", (void *) msg);
        goto out_remove;
    }
    // end slide
    /* Only an admin setting against the System V rules frees it at nattch 0. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail_hint("the kernel freed the segment at nattch 0: /proc/sys/kernel/"
                  "shm_rmid_forced is 1 here", "shmctl(%d, IPC_STAT) after shmdt", shmid);
    printf("writer: shmdt(%p): shm_nattch %lu\n", (void *) msg,
           (unsigned long) ds.shm_nattch);
    print_sysvipc_row("writer: /proc/sysvipc/shm: ", shmid);  /* still there */

    // slide: attach-again
    /* Nobody was attached, yet the segment and its bytes are here. */
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        goto out_remove;
    }
    if (!message_copy(msg, SEGMENT_SIZE, copy, sizeof copy, &why)) {
        warn_msg("the message did not survive: %s", why);
        goto out_detach;
    }
    // end slide
    printf("writer: attached again at %p: shm_nattch %ld\n", (void *) msg,
           nattch_of(shmid));
    printf("writer: message %u, state %s: \"%s\" (%s)\n", atomic_load(&msg->sequence),
           atomic_load(&msg->state) == MESSAGE_SEEN ? "SEEN" : "not SEEN", copy,
           strcmp(copy, greeting) == 0 ? "intact" : "CHANGED");
    if (signal_from_child(count_in_child, &shmid) != 0)
        warn_msg("the child that counted attachments failed");
    printf("writer: the child has exited: shm_nattch %ld\n", nattch_of(shmid));
    print_sysvipc_row("writer: /proc/sysvipc/shm: ", shmid);  /* lpid: the child */
    if (shmdt((char *) msg + 1) == -1)
        printf("writer: shmdt(%p + 1) gives %s: not the start of an attachment\n",
               (void *) msg, errno_name(errno));

    /* The normal end: detach, then remove; the segment is freed at once. */
    if (shmdt(msg) == -1) {
        warn("shmdt(%p)", (void *) msg);
        goto out_remove;
    }
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    printf("writer: detached and removed shmid %d\n", shmid);
    print_sysvipc_row("writer: /proc/sysvipc/shm: ", shmid);
    return EXIT_SUCCESS;

    /* The creator removes what it created on every other path too. */
out_no_reader:
    warn_msg("no reader has copied the message and detached: %s; start ./reader",
             wait_end_reason(&deadline));
out_detach:
    if (shmdt(msg) == -1)
        warn("shmdt(%p)", (void *) msg);
out_remove:
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        warn("shmctl(%d, IPC_RMID)", shmid);
    return EXIT_FAILURE;
}
