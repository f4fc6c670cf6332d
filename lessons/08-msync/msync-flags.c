#define _GNU_SOURCE
/* msync-flags.c - lesson 08: msync's flags and its errors, one call each.
 *
 * Runs on its own, after the pair or instead of it. It creates its own file,
 * DIR/mapped-08-flags.dat (never the writer's), maps it MAP_SHARED and calls
 * msync the ways the man page rules on: MS_SYNC|MS_ASYNC and an address that is
 * not page-aligned give EINVAL; MS_INVALIDATE returns 0, as there is nothing to
 * invalidate, except on a locked mapping (MAP_LOCKED), where it gives EBUSY. The
 * file is removed at the end, and on every error after it was created.
 *
 * Usage: msync-flags [DIR]
 *        DIR: a directory of your own for mapped-08-flags.dat (default: the
 *        lesson directory)
 *
 *   $ ./msync-flags
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-08-flags.dat"
#define FILE_SIZE 4096                  /* one page on x86-64 */

int main(int argc, char *argv[])
{
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], *map, *locked;
    int arg, fd, status = EXIT_CALL_FAILED;
    struct stat st;

    course_init(argv[0], "[DIR]");
    arg = parse_options(argc, argv, NULL, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR is too long");

    /* The writer's rules: a directory only we may write, a new file, 0600. */
    if (stat(dir, &st) == -1)
        fail("stat(\"%s\")", dir);
    why = dir_not_private(&st);
    if (why != NULL)
        fail_msg("%s: %s", dir, why);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? "an msync-flags is running, or one left it "
                  "behind: remove it if it is yours" : NULL,
                  "open(\"%s\", O_CREAT|O_EXCL|O_NOFOLLOW)", path);
    if (ftruncate(fd, FILE_SIZE) == -1) {       /* a new file is empty */
        warn("ftruncate(\"%s\", %d)", path, FILE_SIZE);
        goto out_remove;
    }
    map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        warn("mmap(\"%s\", %d, MAP_SHARED)", path, FILE_SIZE);
        goto out_remove;
    }
    printf("msync-flags: created %s, %d bytes, mode 0600, and mapped it MAP_SHARED\n",
           path, FILE_SIZE);

    // slide: both-flags
    /* Exactly one of MS_SYNC and MS_ASYNC: both is EINVAL. */
    if (msync(map, FILE_SIZE, MS_SYNC | MS_ASYNC) == 0) {
        warn_msg("msync(MS_SYNC|MS_ASYNC) returned 0, not EINVAL");
        goto out_unmap;
    }
    // end slide
    printf("msync-flags: msync(MS_SYNC|MS_ASYNC) gives %s: choose one\n",
           errno_name(errno));

    // slide: unaligned
    /* The address must be page-aligned; the length is rounded up. */
    if (msync(map + 1, FILE_SIZE - 1, MS_SYNC) == 0) {
        warn_msg("msync(%p + 1) returned 0, not EINVAL", (void *) map);
        goto out_unmap;
    }
    // end slide
    printf("msync-flags: msync(%p + 1) gives %s: not page-aligned\n", (void *) map,
           errno_name(errno));

    // slide: invalidate
    /* Every shared mapping of the file uses the same page-cache pages:
     * MS_INVALIDATE finds nothing to invalidate. */
    if (msync(map, FILE_SIZE, MS_INVALIDATE) == -1) {
        warn("msync(MS_INVALIDATE)");
        goto out_unmap;
    }
    // end slide
    printf("msync-flags: msync(MS_INVALIDATE) returned 0: nothing to invalidate, "
           "every mapping shares one page cache\n");

    /* MAP_LOCKED locks as mlock() does (ulimit -l bounds both), and
     * AddressSanitizer leaves it alone. */
    // slide: locked
    /* Its one effect: EBUSY on a locked range (mlock, MAP_LOCKED). */
    locked = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED | MAP_LOCKED,
                  fd, 0);
    if (locked == MAP_FAILED) {         /* ulimit -l bounds locking */
        printf("msync-flags: mmap(MAP_LOCKED) gives %s: skipping "
               "MS_INVALIDATE on a locked page\n", errno_name(errno));
        status = EXIT_SUCCESS;
        goto out_unmap;
    }
    if (msync(locked, FILE_SIZE, MS_INVALIDATE) == 0) {
        warn_msg("msync(MS_INVALIDATE) of a locked page returned 0");
        goto out_unmap_locked;
    }
    // end slide
    printf("msync-flags: on a locked mapping (MAP_LOCKED) msync(MS_INVALIDATE) "
           "gives %s\n", errno_name(errno));
    status = EXIT_SUCCESS;

out_unmap_locked:
    if (munmap(locked, FILE_SIZE) == -1) {
        warn("munmap(MAP_LOCKED mapping of \"%s\")", path);
        status = EXIT_CALL_FAILED;
    }
out_unmap:
    if (munmap(map, FILE_SIZE) == -1) {
        warn("munmap(\"%s\")", path);
        status = EXIT_CALL_FAILED;
    }
out_remove:                             /* every way out after open() comes here */
    if (close(fd) == -1) {
        warn("close(\"%s\")", path);
        status = EXIT_CALL_FAILED;
    }
    if (unlink(path) == -1) {
        warn("unlink(\"%s\")", path);
        status = EXIT_CALL_FAILED;
    } else {
        printf("msync-flags: removed %s\n", path);
    }
    return status;
}
