#define _GNU_SOURCE
/* reader.c - lesson 07: the message outlives the writer's mapping; close keeps ours.
 *
 * Start it after the writer, or before: it waits. It maps the file read-only,
 * closes the fd (the mapping stays), copies the message out, removes the file.
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

#define FILE_SIZE 4096

int main(int argc, char *argv[])
{
    struct deadline d = { .seconds = 10 };     /* -t; one limit for both waits */
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], text[FILE_SIZE];
    struct message *msg;
    struct stat st;
    int arg, fd;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &d.seconds, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/mapped-07.dat", dir) >= (int) sizeof path)
        usage_error("DIR '%.40s' is too long", dir);

    /* Wait for the name. Empty: a writer before ftruncate(), or, a second old, a
     * leftover. O_NOFOLLOW: a symlink is ELOOP; O_NONBLOCK: a FIFO cannot hang us. */
    for (;;) {
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd == -1 && errno != ENOENT)
            fail("open(%s, O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK)", path);
        if (fd != -1) {
            if (fstat(fd, &st) == -1)
                fail("fstat(%s)", path);
            if (!S_ISREG(st.st_mode) || st.st_size > 0 || time(NULL) - st.st_mtime > 1)
                break;
            close(fd);
        }
        if (!keep_waiting(&d, fd == -1 ? "the writer to create mapped-07.dat"
                                       : "the writer to size mapped-07.dat"))
            fail_msg(fd == -1 ? "no %s: %s" : "%s is still empty: %s", path,
                     wait_end_reason(&d));
    }
    /* Anyone may put something at a known name: trust only what fstat says. */
    why = !S_ISREG(st.st_mode) ? "it is not a regular file"
        : not_ours(st.st_uid, st.st_uid, st.st_mode, st.st_size, FILE_SIZE);
    if (why != NULL && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        fail_msg("%s: %s: refusing it; left by an earlier run? remove it: rm %s",
                 path, why, path);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", path, why);
    msg = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED)
        fail("mmap(%d, PROT_READ, MAP_SHARED, %s)", FILE_SIZE, path);
    printf("reader: %s is mine, mode 600, %lld bytes: mapped it read-only\n", path,
           (long long) st.st_size);
    // slide: close
    /* The mapping holds its own reference to the file: close the fd. */
    if (close(fd) == -1)
        fail("close(%s)", path);
    print_maps_line("reader: closed the fd; the mapping stays: ", msg);
    // end slide
    /* Acquire order: once state reads READY, the rest reads as written. */
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the writer's message"))
            fail_msg("%s: no message: %s", path, wait_end_reason(&d));
    why = message_copy(msg, FILE_SIZE, text, sizeof text);     /* untrusted bytes */
    if (why != NULL)
        fail_msg("%s: %s: refusing it", path, why);
    printf("reader: the message in the file: '%s'\n", text);
    if (munmap(msg, FILE_SIZE) == -1)
        fail("munmap(%p, %d)", (void *) msg, FILE_SIZE);
    if (unlink(path) == -1)
        fail("unlink(%s)", path);
    printf("reader: unmapped it and removed %s\n", path);
    return 0;
}
