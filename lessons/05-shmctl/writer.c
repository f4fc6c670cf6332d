#define _GNU_SOURCE
/* writer.c - lesson 05: read a segment's record (IPC_STAT), then mark it for removal
 * (IPC_RMID) while the reader is still attached.
 *
 * Start it first. It creates the segment, leaves a message, waits for the reader's
 * answer (lesson 03's state word), prints the record, marks the segment, and writes
 * a second message into it anyway. The last of the two to detach frees it.
 *
 * Usage: writer [-t SECONDS] [KEYPATH [PROJ_ID]]   (defaults: 10, this lesson's
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

enum { TEXT_ROOM = 256 };       /* room for the text after the header */

/* Lesson 03's publish: fill in, then state READY with release order. */
static void publish(struct message *msg, const char *text)
{
    msg->magic = MESSAGE_MAGIC;
    memcpy(msg->text, text, strlen(text));
    msg->length = (uint32_t) strlen(text);
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);
    printf("writer: wrote \"%s\", state READY\n", text);
}

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 65, arg, shmid;
    size_t size = sizeof(struct message) + TEXT_ROOM;
    struct deadline d = { .seconds = 10 };
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
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? KEY_IN_USE_HINT : NULL,
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)", (unsigned) key, size);
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        goto out_remove;
    }
    printf("writer: created and attached shmid %d for key 0x%08x\n", shmid, (unsigned) key);
    publish(msg, "hello from the writer");
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_SEEN)
        if (!keep_waiting(&d, "the reader to mark it SEEN")) {
            warn_msg("shmid %d: no answer: %s", shmid, wait_end_reason(&d));
            goto out_detach;
        }

    // slide: stat
    /* The reader is attached now. IPC_STAT copies the kernel's record. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_detach;
    }
    // end slide
    printf("writer: IPC_STAT: key 0x%08x, size %zu, mode %o, nattch %lu\n",
           (unsigned) ds.shm_perm.__key, (size_t) ds.shm_segsz, (unsigned) ds.shm_perm.mode,
           (unsigned long) ds.shm_nattch);
    printf("writer: owner %u:%u, creator %u:%u, cpid %d (me), lpid %d (last shmat)\n",
           (unsigned) ds.shm_perm.uid, (unsigned) ds.shm_perm.gid,
           (unsigned) ds.shm_perm.cuid, (unsigned) ds.shm_perm.cgid,
           (int) ds.shm_cpid, (int) ds.shm_lpid);
    printf("writer: atime %lld, dtime %lld, ctime %lld\n", (long long) ds.shm_atime,
           (long long) ds.shm_dtime, (long long) ds.shm_ctime);

    // slide: rmid
    /* The reader is still attached: this only MARKS the segment. Those
     * attached keep using it; the last detach frees it. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1) {
        warn("shmctl(%d, IPC_RMID)", shmid);
        goto out_detach;
    }
    printf("writer: IPC_RMID: marked for removal, not freed\n");
    publish(msg, "written after IPC_RMID");
    // end slide
    if (shmdt(msg) == -1)               /* marked: our exit frees our part anyway */
        fail("shmdt(%p)", (void *) msg);
    return EXIT_SUCCESS;

out_detach:
    if (shmdt(msg) == -1)
        warn("shmdt(%p)", (void *) msg);
out_remove:
    if (shmctl(shmid, IPC_RMID, NULL) == -1)    /* the creator cleans up */
        warn("shmctl(%d, IPC_RMID)", shmid);
    return EXIT_FAILURE;
}
