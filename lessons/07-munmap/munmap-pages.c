#define _GNU_SOURCE
/* munmap-pages.c - lesson 07: munmap works in whole pages, on any part of a mapping.
 *
 * Runs on its own. It maps 3 pages and unmaps the middle one: the kernel splits
 * the mapping and pages 0 and 2 still work. munmap wants a page-aligned address
 * and a length above 0 (else EINVAL); it rounds the length up, and a range with
 * nothing mapped is no error. The freed address is free for the next mmap: a
 * stale pointer may then read new pages, without a fault.
 *
 * Usage: munmap-pages
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "course.h"

#define SAY(...) printf("munmap-pages: " __VA_ARGS__)

int main(int argc, char *argv[])
{
    const size_t page = (size_t) sysconf(_SC_PAGESIZE);
    const char *bad;
    char *map, *again;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);

    map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        fail("mmap(%zu, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)", 3 * page);
    SAY("mapped 3 pages of %zu bytes at %p\n", page, (void *) map);
    print_maps_line("munmap-pages: maps: ", map);

    // slide: partial
    /* The middle page only: the kernel splits the mapping in two. */
    if (munmap(map + page, page) == -1)
        fail("munmap(%p, %zu)", (void *) (map + page), page);
    // end slide
    for (size_t i = 0; i < 3; i++)
        print_maps_line("munmap-pages: maps: ", map + i * page);
    map[0] = 'a';
    map[2 * page] = 'c';
    SAY("pages 0 and 2 still work: they hold '%c' and '%c'\n", map[0], map[2 * page]);

    // slide: errors
    /* What munmap refuses: EINVAL, and nothing is unmapped. */
    bad = munmap(map + 1, page) == -1 ? strerrorname_np(errno) : "no error";
    SAY("munmap(%p, %zu): %s, the address is not page-aligned\n",
        (void *) (map + 1), page, bad);
    bad = munmap(map, 0) == -1 ? strerrorname_np(errno) : "no error";
    SAY("munmap(%p, 0): %s, the length is 0\n", (void *) map, bad);
    // end slide

    // slide: rest
    /* Over the hole, and 1 byte into page 2: no error, and the length
     * is rounded up to whole pages, so page 2 goes too. */
    if (munmap(map, 2 * page + 1) == -1)
        fail("munmap(%p, %zu)", (void *) map, 2 * page + 1);
    // end slide
    SAY("munmap(%p, %zu): no error over the hole, rounded up to 3 pages\n",
        (void *) map, 2 * page + 1);
    print_maps_line("munmap-pages: maps: ", map + 2 * page);
    SAY("munmap(%p, %zu) again: %s, though nothing is mapped there\n", (void *) map,
        3 * page, munmap(map, 3 * page) == -1 ? strerrorname_np(errno) : "no error");

    // slide: stale
    /* The freed range is free for the next mapping to take. */
    again = mmap(NULL, 3 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (again == MAP_FAILED)
        fail("mmap(%zu, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS)", 3 * page);
    if (again == map)           /* the stale pointer reads the new page */
        SAY("the next mmap got %p again: the old pointer reads 0x%02x "
            "there, no fault\n", (void *) map, (unsigned char) map[0]);
    else
        SAY("the next mmap got %p, not the old address\n", (void *) again);
    // end slide
    if (munmap(again, 3 * page) == -1)
        fail("munmap(%p, %zu)", (void *) again, 3 * page);
    return EXIT_SUCCESS;
}
