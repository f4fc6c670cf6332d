#define _GNU_SOURCE
/* writer.c - lesson 05: read, change and remove a segment's record with shmctl.
 *
 * Start this first. It creates a segment and waits for the reader to attach, prints
 * what IPC_STAT reports, changes the mode to 0400 and back with IPC_SET, and marks
 * the segment for removal with IPC_RMID while the reader is still attached. It goes
 * on using it (a message, the reader's reply), then detaches: the segment dies when
 * the reader, its last user, detaches.
 *
 * Usage: writer [-t SECONDS] [KEYPATH [PROJ_ID]]
 *        defaults: KEYPATH the lesson directory, PROJ_ID 65 ('A'),
 *        -t 10: how long to wait for the reader at each step
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

#include "course.h"

/* The segment holds a handoff flag, then a message (course.h). 1000 bytes: not a
 * whole page, so IPC_STAT can show that it reports the size as asked. */
enum { SEGMENT_SIZE = 1000 };
enum phase {                    /* 0 until the reader comes; then set by */
    PHASE_READER_ATTACHED = 1,  /* the reader, once attached */
    PHASE_REMOVAL_MARKED = 2,   /* the writer, after IPC_RMID and a message */
    PHASE_READER_REPLIED = 3,   /* the reader, after its reply */
};
struct control {
    _Atomic uint32_t phase;     /* enum phase */
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

/* Wait until the reader sets the phase to WANT: at most SECONDS, or until Ctrl-C. */
static bool wait_for_phase(struct control *ctl, uint32_t want, unsigned seconds,
                           const char *what)
{
    struct deadline d;

    deadline_start(&d, seconds);
    while (atomic_load(&ctl->phase) != want)
        if (!deadline_pause(&d)) {
            warn_msg("the reader did not %s: %s%s", what, wait_end_reason(&d),
                     want == PHASE_READER_ATTACHED && !stop_signal ?
                     "; start ./reader" : "");
            return false;
        }
    return true;
}

/* Every field IPC_STAT fills, one per line. */
static void print_record(const struct shmid_ds *ds)
{
    const struct ipc_perm *perm = &ds->shm_perm;

    printf("writer: shm_perm.__key 0x%08x\n", (unsigned) perm->__key);
    printf("writer: shm_perm.uid %u gid %u (the owner: IPC_SET may change it)\n",
           (unsigned) perm->uid, (unsigned) perm->gid);
    printf("writer: shm_perm.cuid %u cgid %u (the creator: fixed)\n",
           (unsigned) perm->cuid, (unsigned) perm->cgid);
    printf("writer: shm_perm.mode %o\n", (unsigned) perm->mode);
    printf("writer: shm_segsz %zu (as asked, not rounded up to a page)\n",
           (size_t) ds->shm_segsz);
    printf("writer: shm_cpid %d (the creator: this writer)\n", (int) ds->shm_cpid);
    printf("writer: shm_lpid %d (the last process to shmat or shmdt)\n",
           (int) ds->shm_lpid);
    printf("writer: shm_nattch %lu\n", (unsigned long) ds->shm_nattch);
    printf("writer: shm_atime %lld shm_dtime %lld shm_ctime %lld\n",
           (long long) ds->shm_atime, (long long) ds->shm_dtime,
           (long long) ds->shm_ctime);
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = lesson_dir(), *why;
    int proj_id = 'A', arg, shmid, status = EXIT_FAILURE;
    bool marked = false;
    struct control *ctl;
    struct message *msg;
    struct shmid_ds ds;
    long long ctime_before;
    char reply[128];
    key_t key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, &seconds, NULL, 2);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg]);
    if (arg + 1 < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg + 1], 1, 255);
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

    ctl = shmat(shmid, NULL, 0);
    if (ctl == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        goto out_remove;
    }
    msg = (struct message *) (ctl + 1);
    printf("writer: waiting up to %u s for the reader to attach\n", seconds);
    if (!wait_for_phase(ctl, PHASE_READER_ATTACHED, seconds, "attach"))
        goto out_detach;

    // slide: stat
    /* IPC_STAT copies the kernel's record of the segment into ds. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_detach;
    }
    print_record(&ds);
    // end slide

    // slide: set
    /* IPC_SET takes uid, gid and the low 9 mode bits from ds:
     * start from a fresh IPC_STAT and change only the mode. */
    ctime_before = (long long) ds.shm_ctime;
    ds.shm_perm.mode = 0400;
    if (shmctl(shmid, IPC_SET, &ds) == -1) {
        warn("shmctl(%d, IPC_SET, mode 0400)", shmid);
        goto out_detach;
    }
    // end slide
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_detach;
    }
    printf("writer: IPC_SET mode 0400: shm_perm.mode now %o, shm_ctime %lld -> %lld\n",
           (unsigned) ds.shm_perm.mode, ctime_before, (long long) ds.shm_ctime);
    ds.shm_perm.mode = 0600;
    if (shmctl(shmid, IPC_SET, &ds) == -1) {
        warn("shmctl(%d, IPC_SET, mode 0600)", shmid);
        goto out_detach;
    }
    printf("writer: IPC_SET mode 0600: back to read-write for the owner\n");

    // slide: rmid
    /* The reader is attached, so this only marks the segment: the
     * kernel sets SHM_DEST, makes the key IPC_PRIVATE (0), and frees
     * the memory at the last detach. We can still use it meanwhile,
     * and tell the reader so. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1) {
        warn("shmctl(%d, IPC_RMID)", shmid);
        goto out_detach;
    }
    marked = true;
    put_message(msg, "written after IPC_RMID");
    atomic_store(&ctl->phase, PHASE_REMOVAL_MARKED);
    // end slide
    printf("writer: IPC_RMID with the reader attached: marked, not destroyed\n");

    if (!wait_for_phase(ctl, PHASE_READER_REPLIED, seconds, "reply"))
        goto out_detach;
    if (!message_copy(msg, SEGMENT_SIZE - sizeof *ctl, reply, sizeof reply, &why)) {
        warn_msg("the reader's reply is unusable: %s", why);
        goto out_detach;
    }
    printf("writer: the reader wrote into the removed segment: \"%s\"\n", reply);
    status = EXIT_SUCCESS;

out_detach:
    /* Detaching never destroys a segment by itself; after IPC_RMID the last
     * detach (or exit) does. */
    if (shmdt(ctl) == -1) {
        warn("shmdt(%p)", (void *) ctl);
        status = EXIT_FAILURE;
    } else if (status == EXIT_SUCCESS) {
        printf("writer: detached; the segment lives on until the reader detaches\n");
    }
out_remove:
    /* The creator removes what it created, on every path. */
    if (!marked && shmctl(shmid, IPC_RMID, NULL) == -1) {
        warn("shmctl(%d, IPC_RMID)", shmid);
        status = EXIT_FAILURE;
    } else if (!marked) {
        printf("writer: removed shmid %d\n", shmid);
    }
    return status;
}
