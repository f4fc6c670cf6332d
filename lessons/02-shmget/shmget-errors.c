#define _GNU_SOURCE
/* shmget-errors.c - lesson 02: the errors shmget gives, each one on purpose.
 *
 * Run it alone (make run runs it after the pair). It creates its own segment at
 * the key, asks for the key again with IPC_EXCL (EEXIST) and for more bytes than
 * the segment has (EINVAL); it removes the segment, then asks for the key without
 * IPC_CREAT (ENOENT) and for a new segment of 0 bytes (EINVAL).
 *
 * Usage: shmget-errors [KEYPATH [PROJ_ID]]   (defaults: the lesson directory, 65)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "course.h"

/* An error is the point of each call here: print its name (ENOENT...). */
static void show(const char *call, int id)
{
    if (id == -1)
        printf("shmget-errors: %s: %s\n", call, strerrorname_np(errno));
    else
        printf("shmget-errors: %s: no error, shmid %d\n", call, id);
}

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 'A', arg, shmid;
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
    shmid = shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? KEY_IN_USE_HINT : NULL,
                  "shmget(key 0x%08x, 100, IPC_CREAT|IPC_EXCL|0600)", (unsigned) key);
    printf("shmget-errors: created shmid %d at key 0x%08x, 100 bytes\n",
           shmid, (unsigned) key);

    // slide: errors
    show("shmget(key, 100, IPC_CREAT|IPC_EXCL|0600) again",
         shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600));
    show("shmget(key, 101, 0), more than it has", shmget(key, 101, 0));
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    printf("shmget-errors: removed shmid %d\n", shmid);
    show("shmget(key, 100, 0), no segment at the key now",
         shmget(key, 100, 0));
    show("shmget(key, 0, IPC_CREAT|IPC_EXCL|0600), size 0",
         shmget(key, 0, IPC_CREAT | IPC_EXCL | 0600));
    // end slide
    return EXIT_SUCCESS;
}
