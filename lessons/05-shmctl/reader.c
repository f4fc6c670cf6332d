#define _GNU_SOURCE
/* reader.c - lesson 05: stay attached while the segment is removed.
 *
 * Start this after the writer (or before: it waits). It finds the segment by its
 * key, checks it with IPC_STAT and attaches. Once the writer has marked it for
 * removal (IPC_RMID), the reader looks from the inside: IPC_STAT and
 * /proc/sysvipc/shm show key 0 and SHM_DEST, the key no longer finds it (ENOENT),
 * yet the reader still reads and writes it. It detaches last: the id is gone.
 *
 * Usage: reader [-t SECONDS] [-w] [KEYPATH [PROJ_ID]]
 *        the writer's defaults; -t 10: how long to wait at each step;
 *        -w: before the last detach, wait for Enter (at most SECONDS), so that
 *        you can look at the dying segment with ipcs -m
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

/* The writer's layout (see writer.c). */
enum { SEGMENT_SIZE = 1000 };
enum phase {
    PHASE_READER_ATTACHED = 1, PHASE_REMOVAL_MARKED = 2, PHASE_READER_REPLIED = 3,
};
struct control {
    _Atomic uint32_t phase;
};

/* Publish TEXT: state WRITING while the bytes change, READY once they are whole. */
static void put_message(struct message *msg, const char *text)
{
    atomic_store(&msg->state, MESSAGE_WRITING);
    msg->magic = MESSAGE_MAGIC;
    msg->length = (uint32_t) strlen(text);
    memcpy(msg->text, text, msg->length);
    atomic_fetch_add(&msg->sequence, 1);
    atomic_store(&msg->state, MESSAGE_READY);
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = lesson_dir(), *why;
    int proj_id = 'A', arg, shmid, status = EXIT_FAILURE;
    bool pause_at_end = false;
    struct pollfd enter = { .fd = STDIN_FILENO, .events = POLLIN };
    struct deadline deadline;
    struct control *ctl;
    struct message *msg;
    struct shmid_ds ds;
    char text[128];
    void *again;
    key_t key;

    course_init(argv[0], "[-t SECONDS] [-w] [KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, &seconds, &pause_at_end, 2);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg]);
    if (arg + 1 < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg + 1], 1, 255);
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath,
           proj_id);

    deadline_start(&deadline, seconds);
    while ((shmid = shmget(key, SEGMENT_SIZE, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, %d, 0)", (unsigned) key, SEGMENT_SIZE);
        if (!keep_waiting(&deadline, "the writer to create the segment"))
            fail_msg("gave up waiting for the writer to create the segment: %s",
                     wait_end_reason(&deadline));
    }
    /* Keys, owners and modes are public: trust the segment only if it is ours. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = segment_not_ours(&ds, SEGMENT_SIZE);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it; remove it (ipcrm -m %d) or use "
                 "another KEYPATH", shmid, why, shmid);
    ctl = shmat(shmid, NULL, 0);
    if (ctl == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    msg = (struct message *) (ctl + 1);
    atomic_store(&ctl->phase, PHASE_READER_ATTACHED);
    printf("reader: attached shmid %d (owner me, mode 600)\n", shmid);

    deadline_start(&deadline, seconds);
    while (atomic_load(&ctl->phase) != PHASE_REMOVAL_MARKED)
        if (!deadline_pause(&deadline)) {
            warn_msg("gave up waiting for the writer to remove the segment: %s",
                     wait_end_reason(&deadline));
            goto out_detach;
        }

    // slide: dest
    /* Marked, not gone: the record stays, with key 0 and SHM_DEST. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_detach;
    }
    printf("reader: shm_perm.__key 0x%08x, mode %o: SHM_DEST %s\n",
           (unsigned) ds.shm_perm.__key, (unsigned) ds.shm_perm.mode,
           (ds.shm_perm.mode & SHM_DEST) ? "is set" : "is not set");
    print_sysvipc_row("reader: /proc/sysvipc/shm: ", shmid);
    // end slide

    // slide: enoent
    /* The key no longer finds it; Linux still attaches by id. */
    if (shmget(key, 0, 0) == -1)
        printf("reader: shmget(key 0x%08x, 0, 0) now gives %s\n",
               (unsigned) key, errno_name(errno));
    else
        printf("reader: the key still finds a segment\n");
    again = shmat(shmid, NULL, SHM_RDONLY);
    if (again == (void *) -1)
        printf("reader: shmat(%d) by id: %s\n", shmid,
               errno_name(errno));
    else if (shmdt(again) == 0)
        printf("reader: shmat(%d) by id works (Linux only)\n", shmid);
    // end slide

    /* Those attached keep reading and writing it as before. */
    if (!message_copy(msg, SEGMENT_SIZE - sizeof *ctl, text, sizeof text, &why)) {
        warn_msg("the writer's message is unusable: %s", why);
        goto out_detach;
    }
    printf("reader: read \"%s\"\n", text);
    put_message(msg, "the reader was here");
    atomic_store(&ctl->phase, PHASE_READER_REPLIED);
    printf("reader: wrote a reply into the removed segment\n");

    /* Wait for the writer to detach, so that our detach is the last one. */
    deadline_start(&deadline, seconds);
    for (;;) {
        if (shmctl(shmid, IPC_STAT, &ds) == -1) {
            warn("shmctl(%d, IPC_STAT)", shmid);
            goto out_detach;
        }
        if (ds.shm_nattch == 1)
            break;
        if (!deadline_pause(&deadline)) {
            warn_msg("gave up waiting for the writer to detach: %s",
                     wait_end_reason(&deadline));
            goto out_detach;
        }
    }
    printf("reader: shm_nattch 1: I am the last one attached\n");
    if (pause_at_end) {
        fprintf(stderr, "reader: shmid %d is 'dest' now: look with 'ipcs -m' in "
                "another terminal; press Enter to detach (at most %u s)\n",
                shmid, seconds);
        deadline_start(&deadline, seconds);     /* Enter makes stdin readable */
        while (poll(&enter, 1, 0) == 0)
            if (!deadline_pause(&deadline))
                break;
        if (stop_signal)
            warn_msg("stopped while paused: %s", wait_end_reason(&deadline));
    }
    status = stop_signal ? EXIT_FAILURE : EXIT_SUCCESS;

out_detach:
    // slide: last-detach
    /* The last detach of a marked segment frees it. */
    if (shmdt(ctl) == -1) {
        warn("shmdt(%p)", (void *) ctl);
        return EXIT_FAILURE;
    }
    if (status == EXIT_SUCCESS && shmctl(shmid, IPC_STAT, &ds) == -1)
        printf("reader: detached; shmctl(%d, IPC_STAT) gives %s\n",
               shmid, errno_name(errno));
    // end slide
    return status;
}
