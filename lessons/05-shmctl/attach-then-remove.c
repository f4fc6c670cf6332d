#define _GNU_SOURCE
/* attach-then-remove.c - lesson 05: attach, then mark for removal at once.
 *
 * A segment that only this process and its children use need not outlive them.
 * Create it, attach it, and call IPC_RMID straight away: the segment stays usable
 * by everyone attached (children inherit the attachment across fork), and the
 * kernel frees it when the last of them detaches or exits, however it ends:
 * return, Ctrl-C, a crash, even kill -KILL, which no cleanup code can catch.
 *
 * Usage: attach-then-remove [-t SECONDS] [-w]
 *        -w: before detaching, wait for Enter (at most SECONDS, default 10), so
 *        you can kill -KILL it from another terminal and see that nothing is left
 *
 *   terminal 1$ ./attach-then-remove -w       terminal 2$ kill -KILL PID; ipcs -m
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

enum { SEGMENT_SIZE = 1000 };

/* Runs in a forked child, which inherited the parent's attachment. */
static void child_writes(void *shared)
{
    struct message *msg = shared;
    const char *text = "written by a child";

    msg->magic = MESSAGE_MAGIC;
    msg->length = (uint32_t) strlen(text);
    memcpy(msg->text, text, msg->length);
    atomic_store(&msg->state, MESSAGE_READY);
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    bool pause_at_end = false;
    struct pollfd enter = { .fd = STDIN_FILENO, .events = POLLIN };
    struct deadline deadline;
    int shmid, sig, status = EXIT_SUCCESS;
    struct shmid_ds ds;
    const char *why;
    char text[64];
    void *shared;

    course_init(argv[0], "[-t SECONDS] [-w]");
    parse_options(argc, argv, &seconds, &pause_at_end, 0);
    catch_stop_signals();

    /* IPC_PRIVATE: a new segment that no key leads to. Once it is attached
     * and marked, no way out can leak it, not even fail(), which exits
     * without any cleanup. */
    // slide: attach-then-remove
    shmid = shmget(IPC_PRIVATE, SEGMENT_SIZE, IPC_CREAT | 0600);
    if (shmid == -1)
        fail("shmget(IPC_PRIVATE, %d, IPC_CREAT|0600)", SEGMENT_SIZE);
    shared = shmat(shmid, NULL, 0);
    if (shared == (void *) -1) {
        warn("shmat(%d, NULL, 0)", shmid);
        if (shmctl(shmid, IPC_RMID, NULL) == -1)
            warn("shmctl(%d, IPC_RMID)", shmid);
        return EXIT_FAILURE;
    }
    /* Attached: mark it now. From here on, nothing can leak it. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    // end slide
    printf("attach-then-remove: shmid %d created, attached, and marked for "
           "removal at once\n", shmid);
    print_sysvipc_row("attach-then-remove: /proc/sysvipc/shm: ", shmid);

    /* Use it: a child inherits the attachment, writes, and exits. */
    sig = signal_from_child(child_writes, shared);
    if (sig == -1)
        fail("fork or waitpid");
    if (sig != 0)
        fail_msg("the child was killed by %s before it wrote", signal_name(sig));
    if (!message_copy(shared, SEGMENT_SIZE, text, sizeof text, &why))
        fail_msg("the child's message is unusable: %s", why);
    printf("attach-then-remove: the child wrote \"%s\" through its inherited "
           "attachment\n", text);

    if (pause_at_end) {
        fprintf(stderr, "attach-then-remove: holding shmid %d: try 'kill -KILL %d', then "
                "'ipcs -m': nothing is left. Enter ends it (at most %u s)\n",
                shmid, (int) getpid(), seconds);
        deadline_start(&deadline, seconds);     /* Enter makes stdin readable */
        while (poll(&enter, 1, 0) == 0)
            if (!deadline_pause(&deadline))
                break;
        if (stop_signal) {
            warn_msg("stopped while paused: %s", wait_end_reason(&deadline));
            status = EXIT_FAILURE;
        }
    }

    /* The last detach frees it; an exit or a kill -KILL would do the same. */
    if (shmdt(shared) == -1)
        fail("shmdt(%p)", shared);
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        printf("attach-then-remove: detached; shmctl(%d, IPC_STAT) gives %s\n",
               shmid, errno_name(errno));
    return status;
}
