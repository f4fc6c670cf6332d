#define _GNU_SOURCE
/* writer.c - lesson 06: share a file's pages with mmap(MAP_SHARED).
 *
 * Start this first (or second: the reader waits for the file). It creates and
 * sizes DIR/mapped-06.dat, maps it MAP_SHARED, stores a message (no write()),
 * waits for the reader's SEEN in the same page, and removes the file (also
 * after Ctrl-C or a timeout).
 *
 * Usage: writer [-t SECONDS] [DIR]   (defaults: 10, this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-06.dat"
#define FILE_SIZE 4096                  /* one page */

int main(int argc, char *argv[])
{
    static const char text[] = "hello through a shared file mapping";
    const size_t length = strlen(text);
    const char *dir = lesson_dir();
    char path[PATH_MAX], hint[PATH_MAX + 64];
    unsigned seconds = 10;
    int arg, fd, status = 1;
    struct message *msg;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR '%.40s' is too long", dir);
    snprintf(hint, sizeof hint, "left by an earlier run of yours? remove it: rm %s", path);

    // slide: create
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? hint : NULL, "open(%s, O_RDWR|O_CREAT|"
                  "O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", path);
    /* 0 bytes: a store into a page with no file behind it is SIGBUS. */
    if (ftruncate(fd, FILE_SIZE) == -1) {
        warn("ftruncate(%s, %d)", path, FILE_SIZE);
        close(fd);
        goto out_remove;
    }
    // end slide
    // slide: map
    msg = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED) {
        warn("mmap(%s, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", path, FILE_SIZE);
        close(fd);
        goto out_remove;
    }
    if (close(fd) == -1) {      /* the mapping keeps the file open */
        warn("close(%s)", path);
        goto out_unmap;
    }
    // end slide
    printf("writer: created %s, mode 0600, %d bytes (ftruncate)\n", path, FILE_SIZE);
    print_maps_line("writer: /proc/self/maps: ", msg);

    // slide: publish
    /* No write(): plain stores into the shared page, READY last. */
    msg->magic = MESSAGE_MAGIC;
    memcpy(msg->text, text, length);
    msg->length = (uint32_t) length;
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);

    struct deadline d = { .seconds = seconds };
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_SEEN)
        if (!keep_waiting(&d, "the reader to mark it SEEN")) {
            warn_msg("%s: not seen: %s", path, wait_end_reason(&d));
            goto out_unmap;
        }
    // end slide
    printf("writer: stored \"%s\"; the reader marked it SEEN\n", text);
    status = 0;

out_unmap:
    if (munmap(msg, FILE_SIZE) == -1) {
        warn("munmap(%s)", path);
        status = 1;
    }
out_remove:
    /* The name goes; a reader that still maps the file keeps its pages. */
    if (unlink(path) == -1) {
        warn("unlink(%s)", path);
        return 1;
    }
    printf("writer: removed %s\n", path);
    return status;
}
