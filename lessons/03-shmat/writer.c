#define _GNU_SOURCE
/* writer.c - lesson 03: attach a segment with shmat and leave a message in it.
 *
 * Start this first (or second: the reader waits for it). It creates a segment for
 * the key of KEYPATH, attaches it with shmat, writes a message into it, shows the
 * attachment in /proc/self/maps, detaches and exits WITHOUT removing the segment:
 * the message outlives the writer. The reader reads it, then removes the segment.
 *
 * Usage: writer [KEYPATH [PROJ_ID [MESSAGE]]]
 *        defaults: KEYPATH the lesson directory, PROJ_ID 65 ('A'),
 *        MESSAGE "hello from the writer" (1 to 256 bytes)
 *
 *   $ ./writer
 *   $ ipcs -m          # the segment is still there: nattch 0, no process
 *   $ ./reader
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

/* Room for the text after the header. The reader expects the same size. */
enum { TEXT_ROOM = 256 };

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *text = "hello from the writer";
    int proj_id = 'A', arg, shmid;
    size_t size = sizeof(struct message) + TEXT_ROOM, length;
    struct message *msg;
    key_t key;

    course_init(argv[0], "[KEYPATH [PROJ_ID [MESSAGE]]]");
    /* No options: any comes first, so a MESSAGE may start with "-". */
    arg = parse_options(argc, argv, NULL, NULL, 3);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg++], 1, 255);
    if (arg < argc)
        text = argv[arg++];
    length = strlen(text);
    if (length == 0 || length > TEXT_ROOM)
        usage_error("MESSAGE has %zu bytes: expected 1 to %d", length, TEXT_ROOM);

    key = ftok(keypath, proj_id);
    if (key == -1)      /* -1 is also a valid key: never use it unchecked */
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("writer: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath,
           proj_id);

    /* IPC_EXCL: never reuse a segment left over or planted at our key. */
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? key_in_use_hint(key) : NULL,
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)",
                  (unsigned) key, size);
    printf("writer: created shmid %d, %zu bytes, mode 0600\n", shmid, size);

    // slide: attach
    /* NULL: the kernel picks a free address in this process. 0: read
     * and write. On failure shmat returns (void *) -1, never NULL. */
    msg = shmat(shmid, NULL, 0);
    if (msg == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        goto out_remove;    /* nobody can have used it yet: undo it */
    }
    // end slide
    printf("writer: attached shmid %d at %p\n", shmid, (void *) msg);

    // slide: write
    /* The header of course.h: say WRITING, fill in, then say READY. The
     * atomic store of READY comes after the text and length in memory
     * order, so whoever loads READY also sees the text. */
    msg->magic = MESSAGE_MAGIC;
    atomic_store(&msg->state, MESSAGE_WRITING);
    memcpy(msg->text, text, length);
    msg->length = (uint32_t) length;
    atomic_fetch_add(&msg->sequence, 1);
    atomic_store(&msg->state, MESSAGE_READY);
    // end slide
    printf("writer: wrote \"%s\" (%zu bytes), state READY\n", text, length);
    /* rw-s: readable, writable, shared. The "file" is the kernel's name for
     * the segment, /SYSV + the key in hex; "(deleted)": it has no path. */
    print_maps_line("writer: maps: ", msg);

    // slide: detach
    /* Detach: the mapping leaves this process and shm_nattch drops to 0.
     * The segment is NOT removed: it keeps the message until IPC_RMID. */
    if (shmdt(msg) == -1)
        fail("shmdt(%p)", (void *) msg);
    // end slide
    printf("writer: detached; shmid %d stays, with the message, for the reader\n", shmid);
    return EXIT_SUCCESS;

out_remove:
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        warn("shmctl(%d, IPC_RMID)", shmid);
    return EXIT_FAILURE;
}
