#define _GNU_SOURCE
/* reader.c - lesson 05: stay attached while the segment is removed.
 *
 * Start this after the writer (or before: it waits). It finds the segment by its
 * key, checks it with IPC_STAT and attaches. When the writer has marked it for
 * removal (IPC_RMID), the reader looks from the inside: IPC_STAT shows key 0 and
 * SHM_DEST in the mode, /proc/sysvipc/shm shows key 0 and perms 1600, the key no
 * longer finds it (ENOENT); yet the reader still reads and writes it. It detaches
 * last, and then the id is gone (EINVAL).
 *
 * Usage: reader [-t SECONDS] [-w] [KEYPATH [PROJ_ID]]
 *        the same defaults as the writer; -t 10: how long to wait at each step;
 *        -w: once the writer has gone, wait for Enter (at most SECONDS) before
 *        the last detach, so you can look at the dying segment with ipcs -m
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
    PHASE_CREATED = 0, PHASE_READER_ATTACHED = 1,
    PHASE_REMOVAL_MARKED = 2, PHASE_READER_REPLIED = 3,
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

/* Pause before looking again; false (and say why) when the wait is over. */
static bool still_waiting(struct deadline *d, const char *what)
{
    if (deadline_pause(d))
        return true;
    warn_msg("gave up waiting for %s: %s", what, wait_end_reason(d));
    return false;
}

/* -w: wait for a line on standard input (or its end), at most SECONDS. */
static void wait_for_enter(unsigned seconds)
{
    struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
    struct deadline d;
    char line[80];

    deadline_start(&d, seconds);
    while (poll(&in, 1, 0) == 0) {
        if (!deadline_pause(&d)) {
            if (stop_signal)
                warn_msg("stopped while paused: %s", wait_end_reason(&d));
            return;
        }
    }
    if (read(STDIN_FILENO, line, sizeof line) == -1)
        warn("read(stdin)");
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = ".", *why;
    int proj_id = 'A', opt, shmid, status = EXIT_FAILURE;
    bool pause_at_end = false;
    struct deadline deadline;
    struct control *ctl;
    struct message *msg;
    struct shmid_ds ds;
    char text[128];
    void *again;
    key_t key;

    course_init(argv[0], "[-t SECONDS] [-w] [KEYPATH [PROJ_ID]]");
    while ((opt = getopt(argc, argv, "+:t:w")) != -1) {
        if (opt == ':')
            usage_error("option -%c needs a value", optopt);
        if (opt == 'w')
            pause_at_end = true;
        else if (opt == 't')
            seconds = (unsigned) parse_number("SECONDS", optarg, 1, 3600);
        else
            usage_error("unknown option -%c", optopt);
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
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath,
           proj_id);

    deadline_start(&deadline, seconds);
    while ((shmid = shmget(key, SEGMENT_SIZE, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, %d, 0)", (unsigned) key, SEGMENT_SIZE);
        if (deadline.pause_ns == 100 * 1000)    /* say it once, on the first miss */
            fprintf(stderr, "reader: waiting up to %u s for the writer to create "
                    "the segment (key 0x%08x)\n", seconds, (unsigned) key);
        if (!still_waiting(&deadline, "the writer to create the segment"))
            return EXIT_FAILURE;
    }
    /* Keys, owners and modes are public: trust the segment only if it is ours. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    if (ds.shm_perm.uid != geteuid() || (ds.shm_perm.mode & 0777) != 0600)
        fail_msg("shmid %d belongs to uid %u with mode %03o, not to you with 0600: "
                 "refusing it", shmid, (unsigned) ds.shm_perm.uid,
                 (unsigned) (ds.shm_perm.mode & 0777));
    ctl = shmat(shmid, NULL, 0);
    if (ctl == (void *) -1)
        fail("shmat(%d, NULL, 0)", shmid);
    msg = (struct message *) (ctl + 1);
    atomic_store(&ctl->phase, PHASE_READER_ATTACHED);
    printf("reader: attached shmid %d (owner me, mode 600)\n", shmid);

    deadline_start(&deadline, seconds);
    while (atomic_load(&ctl->phase) != PHASE_REMOVAL_MARKED)
        if (!still_waiting(&deadline, "the writer to remove the segment"))
            goto out_detach;

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
        if (!still_waiting(&deadline, "the writer to detach"))
            goto out_detach;
    }
    printf("reader: shm_nattch 1: I am the last one attached\n");
    if (pause_at_end) {
        fprintf(stderr, "reader: shmid %d is 'dest' now: look with 'ipcs -m' in "
                "another terminal; press Enter to detach (at most %u s)\n",
                shmid, seconds);
        wait_for_enter(seconds);
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
