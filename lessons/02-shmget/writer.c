#define _GNU_SOURCE
/* writer.c - lesson 02: create a segment with shmget, and leave it behind.
 *
 * Start this first. It turns KEYPATH into a key with ftok, creates a new segment
 * at that key (IPC_CREAT | IPC_EXCL, mode 0600) and exits without removing it:
 * the segment outlives its creator. ./reader finds it by the same key, inspects it
 * and removes it; until then `ipcs -m` lists it.
 *
 * Usage: writer [KEYPATH [PROJ_ID [SIZE]]]
 *        (defaults: this lesson's directory, 65, 100)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 'A', arg, shmid;
    size_t size = 100;
    key_t key;

    course_init(argv[0], "[KEYPATH [PROJ_ID [SIZE]]]");
    arg = parse_options(argc, argv, NULL, 3);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg++], 1, 255);
    if (arg < argc)
        size = parse_number("SIZE", argv[arg++], 1, 1UL << 30);

    key = ftok(keypath, proj_id);
    if (key == -1)              /* -1 is also a valid key: always check */
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("writer: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);

    // slide: create
    /* IPC_EXCL: fail if the key is taken, rather than reuse a segment
     * left by a crashed run or planted by someone else. 0600: only us. */
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? KEY_IN_USE_HINT : NULL,
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)",
                  (unsigned) key, size);
    // end slide
    printf("writer: created shmid %d, %zu bytes, mode 0600\n", shmid, size);

    /* No shmctl(shmid, IPC_RMID, NULL) here, on purpose: that is the lesson. */
    printf("writer: pid %d exits now; the segment stays for ./reader\n",
           (int) getpid());
    return EXIT_SUCCESS;
}
