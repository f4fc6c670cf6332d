#define _GNU_SOURCE
/* writer.c - lesson 02: create a System V shared memory segment with shmget.
 *
 * Start this first. It turns a path into a key with ftok, creates a new segment for
 * that key (IPC_CREAT | IPC_EXCL, mode 0600), shows what the kernel recorded, and
 * then waits for the reader to look the segment up. The reader tells it, with a
 * SIGUSR1, when it is done; the writer then removes the segment, so nothing is left.
 *
 * Usage: writer [-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]
 *        defaults: KEYPATH "." (this directory), PROJ_ID 65 ('A'), SIZE 100,
 *        -t 10: how long to wait for the reader
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

/* Wait for SIGUSR1 from the reader, at most SECONDS; false on timeout or Ctrl-C. */
static bool wait_for_reader(const sigset_t *usr1, unsigned seconds)
{
    struct timespec limit = { .tv_sec = seconds, .tv_nsec = 0 };
    siginfo_t info;

    while (sigtimedwait(usr1, &info, &limit) == -1) {
        if (errno == EAGAIN)
            warn_msg("no word from the reader after %u s: giving up", seconds);
        else if (errno == EINTR && stop_signal)
            warn_msg("interrupted while waiting for the reader");
        else if (errno == EINTR)
            continue;
        else
            warn("sigtimedwait");
        return false;
    }
    return true;
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = ".";
    int proj_id = 'A', opt, shmid, status = EXIT_SUCCESS;
    size_t size = 100;
    sigset_t usr1;
    struct shmid_ds ds;
    key_t key;

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

    /* The reader's "done" arrives as SIGUSR1: block it before anyone can send it,
     * so it waits for sigtimedwait instead of killing us. */
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &usr1, NULL) == -1)
        fail("sigprocmask");
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)      /* -1 is also a valid key: never use it unchecked */
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("writer: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath, proj_id);

    // slide: create
    /* IPC_EXCL: fail if the key is taken, rather than silently reuse a segment
     * left by a crashed run or planted by someone else. 0600: only this user. */
    shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1)
        fail_hint("a segment with this key is left from an earlier run: "
                  "run 'make clean-ipc' (or ipcs -m, then ipcrm -m ID)",
                  "shmget(key 0x%08x, %zu, IPC_CREAT|IPC_EXCL|0600)", (unsigned) key, size);
    // end slide
    printf("writer: created shmid %d, %zu bytes, mode 0600\n", shmid, size);

    /* What the kernel recorded: the size as asked, though memory comes in pages. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1) {
        warn("shmctl(%d, IPC_STAT)", shmid);
        status = EXIT_FAILURE;
        goto out_remove;
    }
    printf("writer: shm_segsz is %zu: the size asked, not rounded up to a %ld-byte page\n",
           (size_t) ds.shm_segsz, sysconf(_SC_PAGESIZE));
    print_sysvipc_row("writer: /proc/sysvipc/shm: ", shmid);

    /* Size 0 never makes a segment: EINVAL. IPC_PRIVATE asks for a new, unnamed
     * segment, so this test cannot meet anybody's segment. */
    int zero_id = shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600);
    if (zero_id == -1)
        printf("writer: creating a segment of size 0 gives %s\n", errno_name(errno));
    else if (shmctl(zero_id, IPC_RMID, NULL) == -1)    /* not on Linux: be safe */
        warn("shmctl(%d, IPC_RMID)", zero_id);

    printf("writer: waiting for the reader to look it up\n");
    fflush(stdout);
    if (!wait_for_reader(&usr1, seconds))
        status = EXIT_FAILURE;
    else
        printf("writer: the reader is done\n");

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
