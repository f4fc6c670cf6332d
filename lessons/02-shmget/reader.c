#define _GNU_SOURCE
/* reader.c - lesson 02: find an existing segment by its key, and check it.
 *
 * Start this after the writer (or before: it waits). It derives the same key from
 * the same path, looks the segment up with shmget and no IPC_CREAT, and checks
 * with IPC_STAT who owns it before trusting it. Then it shows the errors shmget
 * gives for a size too big and for a key nobody created, and tells the writer it
 * is done (SIGUSR1 to the segment's creator), who removes the segment.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]
 *        the same defaults as the writer; -t 10: how long to wait for the segment
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
    const char *keypath = ".";
    int proj_id = 'A', opt, shmid;
    size_t size = 100;
    struct deadline deadline;
    struct shmid_ds ds;
    key_t key, other_key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]");
    /* "+": stop at the first non-option, so "-1" is a (bad) PROJ_ID, not an
     * option; ":": report a missing value ourselves, in our one-line format. */
    while ((opt = getopt(argc, argv, "+:t:")) != -1) {
        if (opt == ':')
            usage_error("option -%c needs a value", optopt);
        if (opt != 't')
            usage_error("unknown option -%c", optopt);
        seconds = (unsigned) parse_number("SECONDS", optarg, 1, 3600);
    }
    if (argc - optind > 3)
        usage_error("too many arguments");
    if (argc - optind > 0)
        keypath = parse_path("KEYPATH", argv[optind]);
    if (argc - optind > 1)
        proj_id = (int) parse_number("PROJ_ID", argv[optind + 1], 1, 255);
    if (argc - optind > 2)
        size = parse_number("SIZE", argv[optind + 2], 1, 1UL << 30);
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath, proj_id);

    // slide: lookup
    /* No IPC_CREAT: find the segment or fail with ENOENT. Size 0 would accept any
     * size; asking for the size we need makes shmget check it (EINVAL if smaller). */
    deadline_start(&deadline, seconds);
    while ((shmid = shmget(key, size, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, %zu, 0)", (unsigned) key, size);
        if (deadline.pause_ns == 100 * 1000)    /* say it once, on the first miss */
            fprintf(stderr, "reader: waiting up to %u s for the writer to create "
                    "the segment (key 0x%08x)\n", seconds, (unsigned) key);
        if (!deadline_pause(&deadline))
            fail_msg("no segment for key 0x%08x: %s; start ./writer first",
                     (unsigned) key, wait_end_reason(&deadline));
    }
    // end slide
    printf("reader: found shmid %d\n", shmid);

    // slide: check
    /* The key, owner and mode of every segment are public (ipcs): anyone could
     * have created a segment at our key first. Trust it only if it is ours. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    if (ds.shm_perm.uid != geteuid() || (ds.shm_perm.mode & 0777) != 0600)
        fail_msg("shmid %d belongs to uid %u with mode %03o, not to you with 0600: "
                 "refusing it", shmid, (unsigned) ds.shm_perm.uid,
                 (unsigned) (ds.shm_perm.mode & 0777));
    // end slide
    printf("reader: owner is me, mode %03o, %zu bytes: it is the writer's segment\n",
           (unsigned) (ds.shm_perm.mode & 0777), (size_t) ds.shm_segsz);

    if (shmget(key, size + 1, 0) == -1)
        printf("reader: asking for %zu bytes, more than it has, gives %s\n",
               size + 1, errno_name(errno));
    if (shmget(key, size, IPC_CREAT | IPC_EXCL | 0600) == -1)
        printf("reader: creating it again with IPC_EXCL gives %s\n", errno_name(errno));
    other_key = ftok(keypath, proj_id == 255 ? 1 : proj_id + 1);
    if (other_key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id + 1);
    if (shmget(other_key, size, 0) == -1)
        printf("reader: key 0x%08x (the next proj_id) has no segment: %s\n",
               (unsigned) other_key, errno_name(errno));

    /* Done: tell the creator, whose pid the kernel recorded in shm_cpid. */
    if (kill(ds.shm_cpid, SIGUSR1) == -1)
        fail("kill(%d, SIGUSR1) to tell the writer", (int) ds.shm_cpid);
    printf("reader: told the writer I am done\n");
    return EXIT_SUCCESS;
}
