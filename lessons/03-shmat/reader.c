#define _GNU_SOURCE
/* reader.c - lesson 03: attach a segment read-only and read what the writer left.
 *
 * Start this after the writer (or before: it waits). It finds the segment by its
 * key, checks with IPC_STAT that it is ours and that the writer has detached, then
 * attaches it with SHM_RDONLY and copies the message out as untrusted input. A
 * store through that attachment is a SIGSEGV (shown in a child). Then it detaches
 * and, as the segment's last user, removes it.
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID]]
 *        the same defaults as the writer; -t 10: how long to wait for the writer
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

enum { TEXT_ROOM = 256 };       /* as in the writer */

/* In the child, on the fault: say how it happened (write is async-signal-safe).
 * SA_RESETHAND restored the default action: the store runs again and kills. */
static void show_fault(int sig, siginfo_t *info, void *context)
{
    static const char accerr[] = "reader: the child's store faulted: SIGSEGV "
        "with si_code SEGV_ACCERR (page mapped, no write permission)\n";
    ssize_t ignored = 0;

    if (sig == SIGSEGV && info->si_code == SEGV_ACCERR)
        ignored = write(STDOUT_FILENO, accerr, sizeof accerr - 1);
    (void) ignored, (void) context;
}

// slide: store
/* Runs in a child (signal_from_child): one byte stored through the
 * read-only attachment. The MMU refuses it; the kernel sends SIGSEGV
 * with si_code SEGV_ACCERR (mapped, but not for this access). */
static void store_into(void *addr)
{
    struct sigaction sa = { .sa_sigaction = show_fault,
                            .sa_flags = SA_SIGINFO | SA_RESETHAND };

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) == -1)
        warn("sigaction(SIGSEGV): the si_code goes unreported");
    *(volatile char *) addr = 'X';
}
// end slide

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *keypath = lesson_dir(), *why;
    int proj_id = 'A', arg, shmid, sig, status = EXIT_SUCCESS;
    size_t size = sizeof(struct message) + TEXT_ROOM;
    char text[TEXT_ROOM + 1];
    struct deadline deadline;
    struct shmid_ds ds;
    struct message *msg;
    key_t key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, &seconds, NULL, 2);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg++], 1, 255);
    catch_stop_signals();

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n", (unsigned) key, keypath,
           proj_id);

    /* Find the segment: no IPC_CREAT, so ENOENT until the writer has made it.
     * Size 0 accepts any size: IPC_STAT below checks it, with owner and mode. */
    deadline_start(&deadline, seconds);
    while ((shmid = shmget(key, 0, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, 0, 0)", (unsigned) key);
        if (!keep_waiting(&deadline, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key,
                     wait_end_hint(&deadline, "start ./writer first"));
    }

    for (;;) {
        if (shmctl(shmid, IPC_STAT, &ds) == -1)
            fail("shmctl(%d, IPC_STAT)", shmid);
        // slide: check
        /* Trust it only if it is mine, 0600 and big enough: keys, owners
         * and modes are public, anyone may have taken my key first. */
        why = segment_not_ours(&ds, size);
        if (why != NULL)
            fail_msg("shmid %d: %s: refusing it; remove it (ipcrm -m %d)"
                     " or run 'make clean-ipc'", shmid, why, shmid);
        /* The writer has come and gone: it detached (shm_dtime is set)
         * and nobody is attached (shm_nattch is 0). */
        if (ds.shm_nattch == 0 && ds.shm_dtime != 0)
            break;
        // end slide
        if (!keep_waiting(&deadline, "the writer to write and detach"))
            fail_msg("shmid %d: the writer has not written and detached: %s; it "
                     "stays: 'make clean-ipc' (or ipcrm -m %d) removes it", shmid,
                     wait_end_reason(&deadline), shmid);
    }
    printf("reader: found shmid %d: mine, mode %03o, %zu bytes, nattch 0: the writer "
           "has detached\n", shmid, (unsigned) (ds.shm_perm.mode & 0777),
           (size_t) ds.shm_segsz);

    // slide: attach-read-only
    /* SHM_RDONLY: the pages are mapped read-only. It needs only read
     * permission on the segment. Failure is (void *) -1, never NULL. */
    msg = shmat(shmid, NULL, SHM_RDONLY);
    if (msg == (void *) -1)
        fail("shmat(%d, NULL, SHM_RDONLY)", shmid);
    // end slide
    printf("reader: attached shmid %d read-only at %p\n", shmid, (void *) msg);

    /* Untrusted contents: a finished message, copied once, within bounds, with
     * our own NUL, and no control characters let through to the terminal. */
    why = "it is unfinished (state is not READY)";
    if (atomic_load(&msg->state) != MESSAGE_READY ||
        !message_copy(msg, ds.shm_segsz, text, sizeof text, &why)) {
        warn_msg("shmid %d: refusing the message: %s; 'make clean-ipc' "
                 "(or ipcrm -m %d) removes it", shmid, why, shmid);
        status = EXIT_FAILURE;
        goto out_detach;
    }
    for (char *p = text; *p; p++)
        if (iscntrl((unsigned char) *p))
            *p = '?';
    printf("reader: message \"%s\" (%zu bytes)\n", text, strlen(text));
    print_maps_line("reader: maps: ", msg);

    sig = signal_from_child(store_into, msg);
    if (sig == -1)
        warn("fork");
    else if (sig == 0)
        printf("reader: the child's store went through: no signal\n");
    else
        printf("reader: a store through the read-only attachment killed the child "
               "with %s\n", signal_name(sig));

out_detach:
    if (shmdt(msg) == -1)
        fail("shmdt(%p)", (void *) msg);
    printf("reader: detached\n");
    if (status != EXIT_SUCCESS)     /* a refused message is left for inspection */
        return status;
    /* The last user removes it: the writer left it for us on purpose. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    printf("reader: removed shmid %d: I was its last user\n", shmid);
    return EXIT_SUCCESS;
}
