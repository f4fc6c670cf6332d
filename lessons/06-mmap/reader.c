#define _GNU_SOURCE
/* reader.c - lesson 06: see the writer's stores into a shared file, no read().
 *
 * Start this after the writer (or before: it waits for the file). It checks
 * DIR/mapped-06.dat with fstat, maps it MAP_SHARED, waits until the message is
 * READY in its own memory (no read()), copies it and marks it SEEN.
 *
 * Usage: reader [-t SECONDS] [DIR]   (defaults: 10, this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-06.dat"
#define FILE_SIZE 4096

int main(int argc, char *argv[])
{
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], text[128];
    unsigned seconds = 10;
    struct message *msg;
    struct stat st;
    int arg, fd;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR '%.40s' is too long", dir);

    /* Wait for the name. An empty file is a writer between open() and
     * ftruncate() (microseconds) or, unchanged for over a second, a leftover. */
    struct deadline d = { .seconds = seconds };
    for (;;) {
        fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd == -1 && errno != ENOENT)
            fail("open(%s, O_RDWR|O_NOFOLLOW|O_CLOEXEC)", path);
        if (fd != -1) {
            if (fstat(fd, &st) == -1)
                fail("fstat(%s)", path);
            if (!S_ISREG(st.st_mode) || st.st_size > 0 || time(NULL) - st.st_mtime > 1)
                break;
            close(fd);
        }
        if (!keep_waiting(&d, fd == -1 ? "the writer to create " FILE_NAME
                                       : "the writer to size " FILE_NAME))
            fail_msg(fd == -1 ? "no %s: %s" : "%s is still empty: %s", path,
                     wait_end_reason(&d));
    }
    // slide: check
    /* Anyone may put something at a known name: trust only a
     * regular file of ours, mode 0600, as big as the writer makes it. */
    why = !S_ISREG(st.st_mode) ? "it is not a regular file"
        : not_ours(st.st_uid, st.st_uid, st.st_mode, st.st_size, FILE_SIZE);
    if (why != NULL && st.st_uid == geteuid())
        fail_msg("%s: %s: refusing it; left by an earlier run? remove it: rm %s",
                 path, why, path);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", path, why);
    // end slide

    // slide: map
    msg = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED)
        fail("mmap(%s, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", path, FILE_SIZE);
    if (close(fd) == -1)        /* the mapping keeps the file open */
        fail("close(%s)", path);
    // end slide
    printf("reader: %s is a regular file of mine, mode 0600, %d bytes\n", path,
           FILE_SIZE);
    print_maps_line("reader: /proc/self/maps: ", msg);

    // slide: read
    /* No read(): the writer's stores appear in this process's memory. */
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the writer's message"))
            fail_msg("%s: no message: %s", path, wait_end_reason(&d));
    why = message_copy(msg, FILE_SIZE, text, sizeof text);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", path, why);
    atomic_store_explicit(&msg->state, MESSAGE_SEEN, memory_order_release);
    // end slide
    printf("reader: \"%s\"; marked it SEEN\n", text);
    if (munmap(msg, FILE_SIZE) == -1)
        fail("munmap(%s)", path);
    return 0;
}
