#define _GNU_SOURCE
/* reader.c - lesson 02: find an existing segment by its key, and check it.
 *
 * Start this after the writer (or before: it waits). It derives the same key from
 * the same path, looks the segment up with shmget and no IPC_CREAT, and checks
 * with IPC_STAT who owns it before trusting it. Then it shows shmget's errors for
 * a size too big, a second IPC_EXCL create and a key nobody created, and tells
 * the writer it is done (SIGURG to the segment's creator), who removes it.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]
 *        the same defaults as the writer; -t 10: how long to wait for the segment
 *
 *   terminal 1$ ./writer                      terminal 2$ ./reader
 *   reader: key 0x4100d2a5 from ftok(".", 65)
 *   reader: found shmid 3
 *   ...
 *   reader: told the writer I am done
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
    const char *keypath = lesson_dir(), *why;
    int proj_id = 'A', next_id, first, shmid, again;
    size_t size = 100;
    struct deadline deadline;
    struct shmid_ds ds;
    key_t key, next_key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]");
    first = parse_options(argc, argv, &seconds, NULL, 3);
    if (argc > first)
        keypath = parse_path("KEYPATH", argv[first]);
    if (argc > first + 1)
        proj_id = (int) parse_number("PROJ_ID", argv[first + 1], 1, 255);
    if (argc > first + 2)
        size = parse_number("SIZE", argv[first + 2], 1, 1UL << 30);
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);

    // slide: lookup
    /* No IPC_CREAT: find the segment, or fail with ENOENT ("not yet":
     * retry, bounded). Asking for the size we need makes shmget check
     * it (EINVAL if the segment is smaller); 0 would accept any size. */
    deadline_start(&deadline, seconds);
    while ((shmid = shmget(key, size, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, %zu, 0)", (unsigned) key, size);
        if (!keep_waiting(&deadline, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key,
                     wait_end_hint(&deadline, "run ./writer first"));
    }
    // end slide
    printf("reader: found shmid %d\n", shmid);

    // slide: check
    /* Keys, owners and modes of all segments are public (ipcs): anyone
     * could have made a segment at our key first. Trust it only if it
     * is ours: owned by us, mode 0600, big enough. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = segment_not_ours(&ds, size);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it; remove it (ipcrm -m %d)"
                 " or run 'make clean-ipc'", shmid, why, shmid);
    // end slide
    printf("reader: owner is me, mode %03o, %zu bytes: it is the writer's segment\n",
           (unsigned) (ds.shm_perm.mode & 0777), (size_t) ds.shm_segsz);

    /* shmget's errors, on purpose. */
    if (shmget(key, size + 1, 0) == -1)
        printf("reader: asking for %zu bytes, more than it has, gives %s\n",
               size + 1, errno_name(errno));
    again = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (again == -1)
        printf("reader: creating it again with IPC_EXCL gives %s\n", errno_name(errno));
    else if (shmctl(again, IPC_RMID, NULL) == -1)   /* the writer's was gone */
        warn("shmctl(%d, IPC_RMID)", again);
    next_id = proj_id == 255 ? 1 : proj_id + 1;
    next_key = ftok(keypath, next_id);
    if (next_key == -1)
        fail("ftok(\"%s\", %d)", keypath, next_id);
    if (shmget(next_key, size, 0) == -1)
        printf("reader: key 0x%08x (the next proj_id) has no segment: %s\n",
               (unsigned) next_key, errno_name(errno));

    /* Done: SIGURG to the creator (shm_cpid). After a crash that pid may be
     * another process's by now: SIGURG is ignored unless caught; SIGUSR1 kills. */
    if (kill(ds.shm_cpid, SIGURG) == -1)
        fail("kill(%d, SIGURG) to tell the writer", (int) ds.shm_cpid);
    printf("reader: told the writer I am done\n");
    return EXIT_SUCCESS;
}
