#define _GNU_SOURCE
/* writer.c - lesson 04: shmdt detaches; at shm_nattch 0 the segment is still there.
 *
 * Start it first. It creates and attaches a segment, writes a message, waits for
 * the reader's SEEN, then for the kernel's count to show the reader has detached.
 * Then it detaches too (shm_nattch 0): nothing is freed until its IPC_RMID.
 *
 * Usage: writer [-t SECONDS] [KEYPATH [PROJ_ID]]   (defaults: 10, lesson dir, 65)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "course.h"

enum { TEXT_ROOM = 256 };       /* room for the text after the header */

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *text = "read me, then detach";
    int proj_id = 65, arg, shmid;
    size_t size = sizeof(struct message) + TEXT_ROOM, length = strlen(text);
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
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? KEY_IN_USE_HINT : NULL,
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)", (unsigned) key, size);
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        goto out_remove;
    }
    printf("writer: shmid %d for key 0x%08x, attached at %p\n", shmid, (unsigned) key,
           (void *) msg);
    msg->magic = MESSAGE_MAGIC;
    memcpy(msg->text, text, length);
    msg->length = (uint32_t) length;
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);
    printf("writer: wrote \"%s\", waiting for the reader\n", text);
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_SEEN)
        if (!keep_waiting(&d, "the reader to mark it SEEN"))
            goto out_no_reader;
    // slide: wait-for-detach
    /* SEEN says the reader has read. Only the kernel's count can say it
     * has detached: a detached process can store nothing in here. */
    for (;;) {
        if (shmctl(shmid, IPC_STAT, &ds) == -1) {
            warn("shmctl(%d, IPC_STAT)", shmid);
            goto out_detach;
        }
        if (ds.shm_nattch == 1)
            break;
        if (!keep_waiting(&d, "the reader to detach"))
            goto out_no_reader;
    }
    // end slide
    printf("writer: the reader detached: shm_nattch %lu, shm_lpid %d, shm_dtime %lld\n",
           (unsigned long) ds.shm_nattch, (int) ds.shm_lpid, (long long) ds.shm_dtime);

    // slide: detach
    if (shmdt(msg) == -1) {
        warn("shmdt(%p)", (void *) msg);
        goto out_remove;
    }
    // end slide
    /* Not marked with IPC_RMID: shm_nattch 0 frees nothing. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail_hint("the kernel freed it at nattch 0: /proc/sys/kernel/shm_rmid_forced "
                  "is 1 here", "shmctl(%d, IPC_STAT) after shmdt", shmid);
    printf("writer: detached: shm_nattch %lu, shm_lpid %d: shmid %d is still there\n",
           (unsigned long) ds.shm_nattch, (int) ds.shm_lpid, shmid);
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    printf("writer: removed shmid %d with IPC_RMID\n", shmid);
    return EXIT_SUCCESS;

out_no_reader:
    warn_msg("no reader has read and detached: %s", wait_end_reason(&d));
out_detach:
    if (shmdt(msg) == -1)
        warn("shmdt(%p)", (void *) msg);
out_remove:
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        warn("shmctl(%d, IPC_RMID)", shmid);
    return EXIT_FAILURE;
}
