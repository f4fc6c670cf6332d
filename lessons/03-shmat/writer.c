#define _GNU_SOURCE
/* writer.c - lesson 03: attach a segment with shmat and leave a message in it.
 *
 * Start it first, or second: the reader waits for it. It creates the segment of
 * the key, attaches it, writes the message, publishes it (state READY, release
 * order), shows the attachment in /proc/self/maps, detaches and exits WITHOUT
 * removing the segment: the message outlives the writer. The reader removes it.
 *
 * Usage: writer [KEYPATH [PROJ_ID]]   (defaults: this lesson's directory, 65)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "course.h"

/* The state word is shared by two processes: only a lock-free atomic works there. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int-sized atomics must be lock-free");

enum { TEXT_ROOM = 256 };       /* room for the text after the header */

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *text = "hello from the writer";
    int proj_id = 65, arg, shmid;
    size_t size = sizeof(struct message) + TEXT_ROOM, length = strlen(text);
    struct message *msg;
    key_t key;

    course_init(argv[0], "[KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, NULL, 2);
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
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)",
                  (unsigned) key, size);
    printf("writer: created shmid %d for key 0x%08x, %zu bytes, mode 0600\n",
           shmid, (unsigned) key, size);

    // slide: attach
    /* NULL: the kernel picks a free address in this process. 0: read and
     * write. On failure shmat returns (void *) -1, never NULL. */
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        if (shmctl(shmid, IPC_RMID, NULL) == -1)    /* unused yet: undo */
            warn("shmctl(%d, IPC_RMID)", shmid);
        return EXIT_FAILURE;
    }
    // end slide
    printf("writer: attached at %p\n", (void *) msg);

    // slide: publish
    /* A new segment is all zeros: state is MESSAGE_EMPTY. Fill in, then
     * publish with release order: a reader whose acquire load sees READY
     * also sees the magic, the text and the length written before it. */
    msg->magic = MESSAGE_MAGIC;
    memcpy(msg->text, text, length);
    msg->length = (uint32_t) length;
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);
    // end slide
    printf("writer: wrote \"%s\" (%zu bytes), then state READY\n", text, length);
    /* rw-s: read, write, shared. The "file" is the kernel's name for the
     * segment, /SYSV + the key in hex, "(deleted)": it has no path. */
    print_maps_line("writer: maps: ", msg);

    // slide: detach
    /* The mapping leaves this process and shm_nattch drops by one. The
     * segment is NOT removed: the message stays in it for the reader. */
    if (shmdt(msg) == -1)
        fail("shmdt(%p)", (void *) msg);
    // end slide
    printf("writer: detached; the segment stays, the reader removes it\n");
    return EXIT_SUCCESS;
}
