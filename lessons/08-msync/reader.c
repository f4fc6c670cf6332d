#define _GNU_SOURCE
/* reader.c - lesson 08: see a mapped file's new bytes with plain pread(), before msync.
 *
 * Start this after the writer (or before: it waits). It opens DIR/mapped-08.dat
 * with open(), never mmap, checks that the file is the writer's, and reads it with
 * pread() until the writer's message is there. The writer has called no msync by
 * then: the bytes come from the page cache, the same page the writer has mapped.
 * It answers by pwrite()-ing MESSAGE_SEEN into the message's state field, which the
 * writer sees through its mapping at once.
 *
 * Usage: reader [-t SECONDS] [DIR]
 *        DIR: where the writer creates mapped-08.dat (default: the lesson directory)
 *        -t 10: how long to wait for the file, and for the message
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-08.dat"
#define FILE_SIZE 4096

int main(int argc, char *argv[])
{
    unsigned seconds = 10;
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], text[256];
    const uint32_t seen = MESSAGE_SEEN;
    uint32_t state;
    ssize_t n;
    struct message *copy;
    struct deadline deadline;
    struct stat st;
    int fd, arg;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    catch_stop_signals();

    /* Wait for the writer's file and open it, as lesson 06 shows step by step.
     * O_RDWR: we answer through the file (no mmap in this program). */
    fd = open_when_ready(dir, FILE_NAME, O_RDWR, seconds, path, &st);
    /* Trust only a regular file of ours, mode 0600, of the writer's size. */
    why = file_not_ours(&st, FILE_SIZE);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", path, why);

    deadline_start(&deadline, seconds);
    // slide: read
    /* The writer sets the state to READY last: read that field
     * alone until it says so. */
    for (;;) {
        n = pread(fd, &state, sizeof state,
                  offsetof(struct message, state));
        if (n == -1)
            fail("pread(\"%s\", state)", path);
        if (n == sizeof state && state == MESSAGE_READY)
            break;
        if (!keep_waiting(&deadline, "the writer's message"))
            fail_msg("no message in %s: %s", path,
                     wait_end_reason(&deadline));
    }
    // end slide

    /* Now the whole page, once, into private memory; check it there: the file
     * is input we do not trust (message_copy checks magic and length). */
    atomic_thread_fence(memory_order_acquire);  /* READY first, then the text */
    copy = malloc(FILE_SIZE);
    if (copy == NULL)
        fail("malloc(%d)", FILE_SIZE);
    n = pread(fd, copy, FILE_SIZE, 0);
    if (n != FILE_SIZE)
        fail("pread(\"%s\", %d bytes)", path, FILE_SIZE);
    printf("reader: opened %s with open(), no mmap: a regular file of mine, "
           "mode 0600, %d bytes\n", path, FILE_SIZE);
    if (!message_copy(copy, FILE_SIZE, text, sizeof text, &why))
        fail_msg("%s: %s: refusing it", path, why);
    for (char *c = text; *c; c++)       /* no terminal escapes from a file */
        if (!isprint((unsigned char) *c))
            *c = '?';
    printf("reader: pread() shows \"%s\" (sequence %u): the new bytes, before any msync\n",
           text, (unsigned) atomic_load(&copy->sequence));
    free(copy);

    // slide: answer
    /* Answer through the file: pwrite() lands in the page the writer
     * has mapped. READY (2) and SEEN (3) differ in one byte only, so
     * the writer never sees a half-written value. */
    n = pwrite(fd, &seen, sizeof seen, offsetof(struct message, state));
    if (n != sizeof seen)
        fail("pwrite(\"%s\", SEEN)", path);
    // end slide
    printf("reader: answered with pwrite() of SEEN into the state field\n");
    if (close(fd) == -1)
        fail("close(\"%s\")", path);
    return EXIT_SUCCESS;
}
