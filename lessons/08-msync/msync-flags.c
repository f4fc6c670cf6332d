#define _GNU_SOURCE
/* msync-flags.c - lesson 08: msync's flags and its errors, one call each.
 *
 * Runs on its own. msync checks its arguments and the range before it looks at
 * any page, so anonymous memory shows every rule, with no file to make or remove.
 * Each call that should fail is checked: if it returns 0, that is the error.
 *
 * Usage: msync-flags
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "course.h"

int main(int argc, char *argv[])
{
    const size_t page = (size_t) sysconf(_SC_PAGESIZE);
    char *map, *locked;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);
    map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        fail("mmap(%zu, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS)", 2 * page);

    // slide: both
    /* POSIX: exactly one of MS_SYNC and MS_ASYNC. */
    if (msync(map, page, MS_SYNC | MS_ASYNC) == 0)
        fail_msg("msync(MS_SYNC|MS_ASYNC) returned 0, not EINVAL");
    printf("msync-flags: msync(MS_SYNC|MS_ASYNC): %s, choose one\n",
           strerrorname_np(errno));
    // end slide
    // slide: neither
    /* Linux also takes neither (0, MS_INVALIDATE alone): as MS_ASYNC. */
    if (msync(map, page, 0) == -1 || msync(map, page, MS_INVALIDATE) == -1)
        fail("msync(0), msync(MS_INVALIDATE)");
    printf("msync-flags: msync(0), msync(MS_INVALIDATE): 0 on Linux only, "
           "POSIX wants one of them\n");
    // end slide

    // slide: unmapped
    /* Every page of the range must be mapped. */
    if (munmap(map + page, page) == -1)
        fail("munmap(%p, %zu)", (void *) (map + page), page);
    if (msync(map, 2 * page, MS_ASYNC) == 0)
        fail_msg("msync of a range not all mapped returned 0, not ENOMEM");
    printf("msync-flags: msync of a range not all mapped: %s\n",
           strerrorname_np(errno));
    // end slide

    // slide: locked
    /* MS_INVALIDATE on a locked range (MAP_LOCKED, mlock) is refused. */
    locked = mmap(NULL, page, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_LOCKED,
                  -1, 0);
    if (locked == MAP_FAILED) {         /* past RLIMIT_MEMLOCK: ulimit -l */
        printf("msync-flags: mmap(MAP_LOCKED): %s, over ulimit -l: no EBUSY "
               "to show\n", strerrorname_np(errno));
    } else {
        if (msync(locked, page, MS_ASYNC | MS_INVALIDATE) == 0)
            fail_msg("msync(MS_ASYNC|MS_INVALIDATE) of a locked page returned 0");
        printf("msync-flags: msync(MS_ASYNC|MS_INVALIDATE) of a locked page: %s\n",
               strerrorname_np(errno));
        if (munmap(locked, page) == -1)
            fail("munmap(%p, %zu)", (void *) locked, page);
    }
    // end slide
    if (munmap(map, page) == -1)
        fail("munmap(%p, %zu)", (void *) map, page);
    return 0;
}
