#define _GNU_SOURCE
/* writer.c - lesson 08: others see a store at once; the disk sees it after msync.
 *
 * Start this first (or second: the reader waits). It stores a message in a new
 * DIR/mapped-08.dat, mapped MAP_SHARED, and once the reader has seen it (no
 * msync so far), shows in smaps what munmap and msync do with the dirty page.
 *
 * Usage: writer [-t SECONDS] [DIR]   (defaults: 10, this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "course.h"

#define FILE_SIZE 4096                  /* one page */

/* smaps: dirty = newer than the disk; Private_ with one mapper, Shared_ with more. */
static void print_page(const char *after, const void *page)
{
    (void) *(const volatile char *) page;   /* smaps counts only pages used */
    printf("writer: after %s: %ld kB dirty, %ld kB clean\n", after,
           smaps_kb(page, "Dirty"), smaps_kb(page, "Clean"));
}

int main(int argc, char *argv[])
{
    static const char text[] = "seen before any msync";
    const char *dir = lesson_dir();
    char path[PATH_MAX], hint[PATH_MAX + 64];
    unsigned seconds = 10;
    int arg, fd, status = 1;
    struct message *msg;
    struct statfs fs;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/mapped-08.dat", dir) >= (int) sizeof path)
        usage_error("DIR '%.40s' is too long", dir);
    snprintf(hint, sizeof hint, "left by an earlier run of yours? remove it: rm %s", path);
    // slide: statfs
    if (statfs(dir, &fs) == -1)
        fail("statfs(%s)", dir);
    printf("writer: %s is on %s\n", dir, fs.f_type == TMPFS_MAGIC ?
           "tmpfs: no disk file system behind it" : "a disk file system");
    // end slide

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? hint : NULL, "open(%s, O_RDWR|O_CREAT|"
                  "O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", path);
    if (ftruncate(fd, FILE_SIZE) == -1) {
        warn("ftruncate(%s, %d)", path, FILE_SIZE);
        goto out_remove;
    }
    msg = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED) {
        warn("mmap(%s, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", path, FILE_SIZE);
        goto out_remove;
    }
    msg->magic = MESSAGE_MAGIC;         /* READY last, release order: lesson 03 */
    memcpy(msg->text, text, sizeof text - 1);
    msg->length = sizeof text - 1;
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);
    print_page("the store", msg);
    struct deadline d = { .seconds = seconds };
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_SEEN)
        if (!keep_waiting(&d, "the reader to mark it SEEN")) {
            warn_msg("%s: not seen: %s", path, wait_end_reason(&d));
            goto out_remove;
        }
    if (munmap(msg, FILE_SIZE) == -1) {
        warn("munmap(%s)", path);
        goto out_remove;
    }
    msg = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED) {
        warn("mmap(%s) again", path);
        goto out_remove;
    }
    // slide: durable
    if (msync(msg, FILE_SIZE, MS_ASYNC) == -1) {   /* no-op since 2.6.19 */
        warn("msync(%s, MS_ASYNC)", path);
        goto out_remove;
    }
    print_page("munmap, mmap again, msync(MS_ASYNC)", msg);
    if (msync(msg, FILE_SIZE, MS_SYNC) == -1) {    /* -1: NOT on the disk */
        warn("msync(%s, MS_SYNC)", path);
        goto out_remove;
    }
    print_page("msync(MS_SYNC)", msg);
    // end slide
    status = munmap(msg, FILE_SIZE) == -1 || close(fd) == -1;
    if (status != 0)
        warn("munmap, close(%s)", path);
out_remove:                             /* every way out: the name goes */
    if (unlink(path) == -1)
        fail("unlink(%s)", path);
    printf("writer: removed %s\n", path);
    return status;
}
