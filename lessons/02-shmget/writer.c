#define _GNU_SOURCE
/* writer.c - lesson 02: create a System V shared memory segment with shmget.
 *
 * Start this first. It turns a path into a key with ftok, creates a new segment for
 * that key (IPC_CREAT | IPC_EXCL, mode 0600), shows what the kernel recorded, and
 * waits for the reader to look the segment up. The reader says it is done with a
 * SIGURG; the writer then removes the segment, so nothing is left.
 *
 * Usage: writer [-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]
 *        defaults: KEYPATH the lesson directory, PROJ_ID 65 ('A'), SIZE 100;
 *        -t 10: how long to wait for the reader
 *
 *   terminal 1$ ./writer                      terminal 2$ ./reader
 *   writer: key 0x4100d2a5 from ftok(".", 65)
 *   writer: created shmid 3, 100 bytes, mode 0600
 *   ...
 *   writer: waiting for the reader to look it up
 *   writer: the reader is done
 *   writer: removed shmid 3
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = lesson_dir();
    int proj_id = 'A', first, shmid, zero_id, status = EXIT_FAILURE;
    size_t size = 100;
    const struct timespec no_wait = { 0, 0 };
    struct deadline deadline;
    struct shmid_ds ds;
    sigset_t done;
    key_t key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]");
    first = parse_options(argc, argv, &seconds, NULL, 3);
    if (argc > first)
        keypath = parse_path("KEYPATH", argv[first]);
    if (argc > first + 1)
        proj_id = (int) parse_number("PROJ_ID", argv[first + 1], 1, 255);
    if (argc > first + 2)
        size = parse_number("SIZE", argv[first + 2], 1, 1UL << 30);

    /* The reader's "done" is a SIGURG (see reader.c for why not SIGUSR1).
     * Blocked from the start, it stays pending until sigtimedwait() takes it. */
    sigemptyset(&done);
    sigaddset(&done, SIGURG);
    if (sigprocmask(SIG_BLOCK, &done, NULL) == -1)
        fail("sigprocmask(SIG_BLOCK, SIGURG)");
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)      /* -1 is also a valid key: never use it unchecked */
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("writer: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);

    // slide: create
    /* IPC_EXCL: fail if the key is taken, rather than reuse a segment
     * left by a crashed run or planted by someone else. 0600: only us. */
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint(errno == EEXIST ? key_in_use_hint(key) : NULL,
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)",
                  (unsigned) key, size);
    // end slide
    printf("writer: created shmid %d, %zu bytes, mode 0600\n", shmid, size);

    /* What the kernel recorded: the size as asked, though memory comes in pages. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        goto out_remove;
    }
    printf("writer: shm_segsz is %zu: the size asked, not rounded up to a %ld-byte page\n",
           (size_t) ds.shm_segsz, sysconf(_SC_PAGESIZE));
    print_sysvipc_row("writer: /proc/sysvipc/shm: ", shmid);

    /* Size 0 never makes a segment: EINVAL. IPC_PRIVATE always asks for a new
     * segment, so this cannot touch anybody's. */
    zero_id = shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600);
    if (zero_id == -1)
        printf("writer: creating a segment of size 0 gives %s\n", errno_name(errno));
    else if (shmctl(zero_id, IPC_RMID, NULL) == -1)     /* not on Linux: be safe */
        warn("shmctl(%d, IPC_RMID)", zero_id);

    // slide: wait
    /* sigtimedwait() with a zero timeout takes the reader's SIGURG if
     * it is pending, or fails at once with EAGAIN: poll it, bounded. */
    printf("writer: waiting for the reader to look it up\n");
    deadline_start(&deadline, seconds);
    while (sigtimedwait(&done, NULL, &no_wait) == -1) {
        if (!deadline_pause(&deadline)) {
            warn_msg("no word from the reader: %s",
                     wait_end_reason(&deadline));
            goto out_remove;
        }
    }
    // end slide
    printf("writer: the reader is done\n");
    status = EXIT_SUCCESS;

out_remove:
    /* The creator removes what it created, on every path. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1) {
        warn("shmctl(%d, IPC_RMID)", shmid);
        status = EXIT_FAILURE;
    } else {
        printf("writer: removed shmid %d\n", shmid);
    }
    return status;
}
