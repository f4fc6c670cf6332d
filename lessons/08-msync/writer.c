#define _GNU_SOURCE
/* writer.c - lesson 08: msync is about the disk, not about other processes.
 *
 * Start this first. It creates DIR/mapped-08.dat, maps it MAP_SHARED, stores a
 * message and waits: the reader sees it with pread(), no msync anywhere (there is
 * one copy of the page, in the page cache). Then smaps shows what msync is for:
 * the page is dirty (newer than the disk) until MS_SYNC writes it back; MS_ASYNC
 * and munmap write nothing; on tmpfs there is no disk and msync does nothing.
 * msync's flags and errors are msync-flags.c's part.
 *
 * Usage: writer [-t SECONDS] [DIR]
 *        DIR: a directory of your own for mapped-08.dat (default: the lesson directory)
 *        -t 10: how long to wait for the reader
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 *   on tmpfs$ d=$(mktemp -d /dev/shm/lab.XXXXXX)
 *   on tmpfs$ ./writer "$d" & ./reader "$d"; wait; rmdir "$d"
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-08.dat"
#define FILE_SIZE 4096                  /* one page on x86-64 */
static const char new_text[] = "new bytes, stored through the mapping";

/* Print the mapping's Dirty figures (changed in memory, not yet on the disk)
 * from /proc/self/smaps; return their sum. Private_ and Shared_ count the
 * processes that map the page, whatever the mmap flag. */
static long print_dirty(const char *when, const void *addr)
{
    struct smaps_counts c;
    long kb;

    if (!read_smaps_counts(addr, &c)) {
        printf("writer: smaps %s: no entry found\n", when);
        return -1;
    }
    kb = c.private_dirty_kb + c.shared_dirty_kb;
    printf("writer: smaps %s: Private_Dirty %ld kB, Shared_Dirty %ld kB: %s\n",
           when, c.private_dirty_kb, c.shared_dirty_kb, kb > 0 ? "dirty" : "clean");
    return kb;
}

/* Microseconds since START (CLOCK_MONOTONIC, which cannot fail). */
static long us_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000000L + (now.tv_nsec - start->tv_nsec) / 1000;
}

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX];
    int fd, arg, status = EXIT_CALL_FAILED;
    bool on_tmpfs;
    struct deadline deadline;
    struct timespec start;
    struct message *msg;
    struct statfs fs;
    struct stat st;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR is too long");
    catch_stop_signals();

    /* A fixed name where every user may write could be taken first. */
    if (stat(dir, &st) == -1)
        fail("stat(\"%s\")", dir);
    why = dir_not_private(&st);
    if (why != NULL)
        fail_msg("%s: %s", dir, why);
    // slide: statfs
    if (statfs(dir, &fs) == -1)
        fail("statfs(\"%s\")", dir);
    on_tmpfs = fs.f_type == TMPFS_MAGIC;
    // end slide

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? "left over from an earlier run? if it is yours, rm it"
                                  : NULL, "open(\"%s\", O_CREAT|O_EXCL|O_NOFOLLOW)", path);
    if (ftruncate(fd, FILE_SIZE) == -1) {   /* a new file is empty */
        warn("ftruncate(\"%s\", %d)", path, FILE_SIZE);
        goto out_remove;
    }
    msg = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED) {
        warn("mmap(\"%s\", %d, MAP_SHARED)", path, FILE_SIZE);
        goto out_remove;
    }
    printf("writer: created %s, %d bytes, mode 0600, and mapped it MAP_SHARED\n",
           path, FILE_SIZE);
    printf("writer: it is on %s (statfs f_type %#lx)\n",
           on_tmpfs ? "tmpfs: memory only, no disk" : "a disk file system",
           (unsigned long) fs.f_type);

    // slide: store
    /* Plain stores into the mapping: no write(), no msync. The state goes
     * last, with release order: whoever sees READY sees the text too. */
    msg->magic = MESSAGE_MAGIC;
    msg->length = sizeof new_text - 1;
    memcpy(msg->text, new_text, sizeof new_text - 1);
    atomic_store(&msg->sequence, 1);
    atomic_store_explicit(&msg->state, MESSAGE_READY,
                          memory_order_release);
    // end slide
    printf("writer: stored \"%s\" through the mapping; no msync yet\n", new_text);
    print_dirty("after the store", msg);

    /* The reader answers with pwrite(SEEN) into the file: that lands in the
     * page we have mapped, so an atomic load sees it. */
    printf("writer: waiting up to %u s for the reader: ./reader %s\n", seconds, dir);
    deadline_start(&deadline, seconds);
    while (atomic_load(&msg->state) != MESSAGE_SEEN) {
        if (!deadline_pause(&deadline)) {
            warn_msg("no answer from the reader: %s", wait_end_reason(&deadline));
            goto out_unmap;
        }
    }
    printf("writer: the reader has read the new bytes with pread(), before any msync\n");

    // slide: ms-async
    /* MS_ASYNC has started nothing since Linux 2.6.19: the kernel
     * tracks dirty pages anyway; its flusher writes them back later. */
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (msync(msg, FILE_SIZE, MS_ASYNC) == -1) {
        warn("msync(MS_ASYNC)");
        goto out_unmap;
    }
    // end slide
    printf("writer: msync(MS_ASYNC) returned 0 after %ld us\n", us_since(&start));
    print_dirty("after MS_ASYNC", msg);

    // slide: ms-sync
    /* MS_SYNC writes the dirty pages now and waits for the disk. An
     * error (EIO, ENOSPC) means the data is NOT on the disk: check it. */
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (msync(msg, FILE_SIZE, MS_SYNC) == -1) {
        warn("msync(MS_SYNC)");
        goto out_unmap;
    }
    // end slide
    printf("writer: msync(MS_SYNC) returned 0 after %ld us\n", us_since(&start));
    if (print_dirty("after MS_SYNC", msg) > 0 && on_tmpfs)
        printf("writer: tmpfs has no disk to write to: msync does nothing there, "
               "the page stays dirty\n");

    // slide: munmap
    /* Store again, unmap without msync, map again: is the page dirty?
     * (smaps counts only the pages a mapping has touched: read one.) */
    atomic_fetch_add(&msg->sequence, 1);
    if (munmap(msg, FILE_SIZE) == -1) {
        warn("munmap");
        goto out_remove;
    }
    msg = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
               fd, 0);
    if (msg == MAP_FAILED) {
        warn("mmap(\"%s\", %d, MAP_SHARED) again", path, FILE_SIZE);
        goto out_remove;
    }
    // end slide
    printf("writer: stored again (sequence %u), munmap without msync, mapped again\n",
           (unsigned) atomic_load(&msg->sequence));
    if (print_dirty("of the new mapping", msg) > 0 && !on_tmpfs)
        printf("writer: munmap wrote nothing back: only msync, fsync or the "
               "flusher clean a page\n");
    status = EXIT_SUCCESS;

out_unmap:
    if (munmap(msg, FILE_SIZE) == -1) {
        warn("munmap");
        status = EXIT_CALL_FAILED;
    }
out_remove:                             /* the creator removes what it created */
    if (close(fd) == -1)
        warn("close");
    if (unlink(path) == -1) {
        warn("unlink(\"%s\")", path);
        status = EXIT_CALL_FAILED;
    } else {
        printf("writer: removed %s\n", path);
    }
    return status;
}
