#define _GNU_SOURCE
/* writer.c - lesson 06: share a file's pages with mmap(MAP_SHARED).
 *
 * Start this first (or second: the reader waits for the file). It creates
 * DIR/mapped-06.dat, sizes it with ftruncate, maps it MAP_SHARED and stores
 * three updates into it: no write(). The reader answers each with a signal.
 * The file is removed at the end, and also after Ctrl-C or a timeout.
 * (MAP_PRIVATE, which shares nothing, is map-private.c.)
 *
 * Usage: writer [-t SECONDS] [DIR]
 *        DIR: a directory of your own for mapped-06.dat (default: the lesson directory)
 *        -t 10: how long to wait for the reader to see each update
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

/* The file: the writer's pid (int32_t) at offset 0, so that the reader knows
 * whom to answer, then a struct message (course.h). */
#define FILE_NAME "mapped-06.dat"
#define FILE_SIZE 4096
#define MESSAGE_OFFSET 8
#define UPDATES 3u

// slide: store
/* No write(): plain stores. Text first, then the sequence, READY
 * last: a reader whose atomic load sees READY sees all before it. */
static void put_message(struct message *m, uint32_t sequence,
                        const char *text)
{
    atomic_store(&m->state, MESSAGE_WRITING);
    m->magic = MESSAGE_MAGIC;
    m->length = (uint32_t) strlen(text);
    memcpy(m->text, text, m->length);
    atomic_store(&m->sequence, sequence);
    atomic_store(&m->state, MESSAGE_READY);
}
// end slide

/* The time left until D ends, as sigtimedwait takes it: zero once it is over
 * (a last look at the queue, then EAGAIN). */
static struct timespec time_left(const struct deadline *d)
{
    struct timespec now, left;

    clock_gettime(CLOCK_MONOTONIC, &now);
    left.tv_sec = d->end.tv_sec - now.tv_sec;
    left.tv_nsec = d->end.tv_nsec - now.tv_nsec;
    if (left.tv_nsec < 0) {
        left.tv_nsec += 1000000000L;
        left.tv_sec--;
    }
    return left.tv_sec < 0 ? (struct timespec) { 0, 0 } : left;
}

/* Take the reader's answer (SIGRTMIN carrying SEQUENCE) or a stop signal from
 * the queue, or time out. All of them are blocked, so none slips in between a
 * check and the wait. A real-time signal queues each instance with its value; a
 * stray "kill -RTMIN" (SI_USER) or an old number is not the answer, and the
 * wait for it ends at D all the same. */
static bool wait_for_reader(const sigset_t *signals, uint32_t sequence,
                            const struct deadline *d, pid_t *reader)
{
    struct timespec left;
    siginfo_t info;
    int sig;

    do {        /* what is left of D, not -t afresh after a stray signal */
        left = time_left(d);
        sig = sigtimedwait(signals, &info, &left);
    } while ((sig == -1 && errno == EINTR) ||
             (sig == SIGRTMIN && (info.si_code != SI_QUEUE ||
                                  info.si_value.sival_int != (int) sequence)));
    if (sig == SIGRTMIN)
        *reader = info.si_pid;
    else if (sig != -1)                 /* -1 is EAGAIN: the time is up */
        stop_signal = sig;              /* SIGINT, SIGTERM or SIGHUP */
    return sig == SIGRTMIN;
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], text[64];
    int arg, fd, status = EXIT_FAILURE;
    struct timespec stored, seen;
    struct deadline limit;
    struct message *msg;
    sigset_t signals;
    struct stat st;
    pid_t reader = 0;
    char *map;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR is too long");

    /* Handlers first (a background job starts with SIGINT ignored), then
     * block them all with SIGRTMIN: they wait in the queue for sigtimedwait. */
    catch_stop_signals();
    sigemptyset(&signals);
    sigaddset(&signals, SIGRTMIN);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &signals, NULL) == -1)
        fail("sigprocmask");

    /* A fixed name where every user may write could be taken first. */
    if (stat(dir, &st) == -1)
        fail("stat(%s)", dir);
    why = dir_not_private(&st);
    if (why != NULL)
        fail_msg("%s: %s", dir, why);
    // slide: create
    /* O_EXCL: a new file, or EEXIST if anything (even a symlink) is
     * there. O_NOFOLLOW: no link followed. 0600: for this user only. */
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? "a writer is running, or one left "
                  "it behind: remove it if it is yours" : NULL,
                  "open(%s, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|"
                  "O_CLOEXEC, 0600)", path);
    // end slide
    /* 0 bytes: a store would be a SIGBUS. ftruncate allocates no blocks
     * (sparse); posix_fallocate would, and report ENOSPC here. */
    // slide: size
    if (ftruncate(fd, FILE_SIZE) == -1) {
        warn("ftruncate(%s, %d)", path, FILE_SIZE);
        close(fd);
        goto out_remove;
    }
    // end slide
    if (fstat(fd, &st) == -1) {
        warn("fstat(%s)", path);
        close(fd);
        goto out_remove;
    }
    printf("writer: created %s, mode 0600, %lld bytes (ftruncate), %lld blocks "
           "on disk%s\n", path, (long long) st.st_size, (long long) st.st_blocks,
           st.st_blocks == 0 ? ": sparse" : "");

    // slide: map-shared
    map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
               fd, 0);
    if (map == MAP_FAILED) {
        warn("mmap(%d, PROT_READ|PROT_WRITE, MAP_SHARED, %s)",
             FILE_SIZE, path);
        close(fd);
        goto out_remove;
    }
    /* The mapping holds its own reference to the file: close the fd. */
    if (close(fd) == -1) {
        warn("close(%s)", path);
        goto out_unmap;
    }
    // end slide
    print_maps_line("writer: /proc/self/maps: ", map);

    *(int32_t *) map = (int32_t) getpid();      /* whom to signal */
    msg = (struct message *) (map + MESSAGE_OFFSET);
    printf("writer: pid %d waiting up to %u s for a reader to see each update\n",
           (int) getpid(), seconds);
    for (uint32_t seq = 1; seq <= UPDATES; seq++) {
        snprintf(text, sizeof text, "hello %u of %u, stored into the mapping",
                 seq, UPDATES);
        clock_gettime(CLOCK_MONOTONIC, &stored);
        put_message(msg, seq, text);
        deadline_start(&limit, seconds);
        if (!wait_for_reader(&signals, seq, &limit, &reader)) {
            warn_msg("no reader saw update %u: %s", seq, wait_end_reason(&limit));
            goto out_unmap;
        }
        clock_gettime(CLOCK_MONOTONIC, &seen);
        printf("writer: update %u stored; reader %d saw it %.2f ms later\n", seq,
               (int) reader, (seen.tv_sec - stored.tv_sec) * 1e3 +
               (seen.tv_nsec - stored.tv_nsec) / 1e6);
    }
    status = EXIT_SUCCESS;

out_unmap:
    if (munmap(map, FILE_SIZE) == -1) {
        warn("munmap(%s)", path);
        status = EXIT_FAILURE;
    }
out_remove:
    /* The name goes now; a reader that still maps the file keeps its pages. */
    if (unlink(path) == -1) {
        warn("unlink(%s)", path);
        status = EXIT_FAILURE;
    } else {
        printf("writer: removed %s\n", path);
    }
    return status;
}
