#define _GNU_SOURCE
/* reader.c - lesson 07: what was written through a mapping stays in the file.
 *
 * Start this after the writer (or before: it waits for the file). By then the
 * writer has unmapped the file and exited. The reader checks the file, maps
 * it read-only and closes the fd at once: the mapping stays. It reads the
 * message, unmaps, shows what munmap refuses (EINVAL) and how the next mmap
 * may reuse the old address, and removes the file.
 *
 * Usage: reader [-t SECONDS] [DIR]
 *        DIR: where the writer creates mapped-07.dat (default: the lesson directory)
 *        -t 10: how long to wait for the writer's file and message
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-07.dat"
#define PAGES 3

int main(int argc, char *argv[])
{
    const long page = sysconf(_SC_PAGESIZE);
    const size_t size = (size_t) page * PAGES;
    const char *dir = lesson_dir(), *why;
    unsigned seconds = 10;
    char path[PATH_MAX], text[128];
    struct message *msg;
    struct deadline deadline;
    struct stat st;
    char *map, *again;
    int fd, arg;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    catch_stop_signals();

    /* Wait for the writer's file and open it, as lesson 06 shows step by step. */
    fd = open_when_ready(dir, FILE_NAME, O_RDONLY, seconds, path, &st);
    /* Trust only a regular file of ours, mode 0600, of the writer's size. */
    why = file_not_ours(&st, (off_t) size);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", path, why);
    map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        fail("mmap(%zu, PROT_READ, MAP_SHARED, %s)", size, path);
    printf("reader: %s is a regular file of mine, %zu bytes: mapped it read-only at %p\n",
           path, size, (void *) map);

    // slide: close
    /* The mapping holds its own reference to the file: close the fd. */
    if (close(fd) == -1)
        fail("close(%s)", path);
    print_maps_line("reader: closed the fd; the mapping stays: ", map);
    // end slide

    /* The text is written before the state turns READY (an atomic store in
     * the writer, paired with this atomic load). */
    msg = (struct message *) map;
    deadline_start(&deadline, seconds);
    while (atomic_load(&msg->state) != MESSAGE_READY)
        if (!keep_waiting(&deadline, "the writer's message"))
            fail_msg("no message in %s: %s", path, wait_end_reason(&deadline));
    /* The contents are not trusted: a bounded copy, with our own NUL. */
    if (!message_copy(msg, size, text, sizeof text, &why))
        fail_msg("%s: %s: refusing it", path, why);
    printf("reader: the message in the file: '%s'\n", text);

    if (munmap(map, size) == -1)
        fail("munmap(%p, %zu)", (void *) map, size);
    printf("reader: munmap(%p, %zu): unmapped\n", (void *) map, size);

    /* What munmap refuses, and what it does not. */
    printf("reader: munmap(%p, %zu) again: %s\n", (void *) map, size,
           munmap(map, size) == -1 ? errno_name(errno) :
           "no error, though nothing is mapped there");
    printf("reader: munmap(%p, %ld): %s, the address is not page-aligned\n",
           (void *) (map + 1), page,
           munmap(map + 1, (size_t) page) == -1 ? errno_name(errno) : "no error");
    printf("reader: munmap(%p, 0): %s, the length is 0\n", (void *) map,
           munmap(map, 0) == -1 ? errno_name(errno) : "no error");

    /* The freed range is free for the next mapping to take. */
    // slide: stale
    again = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
    if (again == MAP_FAILED)
        fail("mmap(%zu, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS)", size);
    if (again == map)   /* the stale pointer reads the new pages */
        printf("reader: the next mmap got %p again: the old "
               "pointer reads 0x%02x there, no fault\n",
               (void *) map, (unsigned char) map[0]);
    else
        printf("reader: the next mmap got %p, not the old "
               "address\n", (void *) again);
    // end slide
    if (munmap(again, size) == -1)
        fail("munmap(%p, %zu)", (void *) again, size);

    /* The file outlived the writer's mapping; now it has served. */
    if (unlink(path) == -1)
        fail("unlink(%s)", path);
    printf("reader: removed %s\n", path);
    return EXIT_SUCCESS;
}
