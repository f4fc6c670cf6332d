#define _GNU_SOURCE
/* starter.c - lab 02: copy a regular file by mapping both files.
 *
 *   mmapcopy SOURCE DEST
 *
 * Copy this file to mmapcopy.c and fill in the TODOs; the rules are in README.md.
 * It builds and runs as it is: it says it is not written yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

int main(int argc, char *argv[])
{
    course_init(argv[0], "SOURCE DEST");
    int arg = parse_options(argc, argv, NULL, 2);
    if (argc - arg != 2)
        usage_error("wants a SOURCE file and a new DEST");
    const char *src = parse_path("SOURCE", argv[arg]), *dst = argv[arg + 1];

    (void) src, (void) dst;
    /* TODO 1: open SOURCE with O_RDONLY | O_CLOEXEC and fstat it. Refuse anything
     *         that is not S_ISREG (a directory, /dev/null) with fail_msg, before
     *         DEST exists. Its size is st_size.
     * TODO 2: a non-empty SOURCE: mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0),
     *         then close the fd (the mapping keeps the file). An empty one: no mmap
     *         at all (a length of 0 is EINVAL).
     * TODO 3: create DEST: open(dst, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
     *         O_CLOEXEC, 0600). On failure say why and exit 1: DEST is not yours,
     *         leave it alone.
     * TODO 4: ftruncate DEST to st_size BEFORE any store into it (lesson 06: past
     *         the end of the file is SIGBUS).
     * TODO 5: a non-empty SOURCE: mmap DEST with PROT_READ | PROT_WRITE, MAP_SHARED;
     *         memcpy; msync(out, size, MS_SYNC) (lesson 08).
     * TODO 6: munmap both, close DEST. If any step after TODO 3 failed, or
     *         stop_signal is set (Ctrl-C): unlink(dst) and exit 1. Otherwise print
     *         "mmapcopy: copied N bytes from SOURCE to DEST, mode 0600", exit 0. */
    fail_msg("not written yet");
}
