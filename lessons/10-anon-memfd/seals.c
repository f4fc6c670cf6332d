#define _GNU_SOURCE
/* seals.c - lesson 10: what a memfd's seals forbid, and the SIGBUS they prevent.
 *
 * Runs on its own, with two memfds. The first has no seals: ftruncate(fd, 0)
 * under a mapping makes the next load from it SIGBUS (in a child). On the
 * second, F_SEAL_WRITE is refused while a writable shared mapping exists; after
 * F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL neither the size nor the seals change.
 *
 * Usage: seals
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "course.h"

#define SIZE 4096

/* A new memfd of SIZE bytes, mapped shared for reading and writing. */
static char *new_mapped_memfd(int *fd)
{
    char *map;

    *fd = memfd_create("shm-course-10-seals", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (*fd == -1)
        fail("memfd_create(\"shm-course-10-seals\", MFD_CLOEXEC|MFD_ALLOW_SEALING)");
    if (ftruncate(*fd, SIZE) == -1)
        fail("ftruncate(memfd, %d)", SIZE);
    map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
    if (map == MAP_FAILED)
        fail("mmap(memfd, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", SIZE);
    return map;
}

static void load(void *addr) { (void) *(volatile char *) addr; }

/* Close the fd (the mapping keeps the memfd), load from MAP in a child, unmap. */
static void close_and_load(int fd, char *map, const char *when)
{
    int sig;

    if (close(fd) == -1)
        fail("close(memfd)");
    sig = signal_from_child(load, map);
    if (sig == -1)
        fail("fork()");
    printf("seals: %s: a load from the mapping %s%s\n", when,
           sig ? "killed the child with SIG" : "works", sig ? sigabbrev_np(sig) : "");
    if (munmap(map, SIZE) == -1)    /* the last mapping: the memfd is freed */
        fail("munmap(memfd)");
}

/* What a call that may fail on purpose gave: its errno name, or "done". */
static const char *outcome(int result) { return result == -1 ? strerrorname_np(errno) : "done"; }

int main(int argc, char *argv[])
{
    char *map;
    int fd;

    course_init(argv[0], "");
    parse_options(argc, argv, NULL, 0);

    // slide: unsealed
    /* No seals: whoever holds the fd may shrink the file under a mapping. */
    map = new_mapped_memfd(&fd);
    if (ftruncate(fd, 0) == -1)
        fail("ftruncate(memfd, 0)");
    close_and_load(fd, map, "no seals, after ftruncate(fd, 0)");
    // end slide

    // slide: sealed
    map = new_mapped_memfd(&fd);
    printf("seals: F_ADD_SEALS F_SEAL_WRITE, with our writable shared mapping: %s\n",
           outcome(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1)
        fail("fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL)");
    printf("seals: F_ADD_SEALS F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL: done; "
           "F_GET_SEALS: 0x%x\n", fcntl(fd, F_GET_SEALS));
    printf("seals: ftruncate(fd, 0): %s\n", outcome(ftruncate(fd, 0)));
    printf("seals: ftruncate(fd, %d): %s\n", 2 * SIZE, outcome(ftruncate(fd, 2 * SIZE)));
    printf("seals: F_ADD_SEALS F_SEAL_WRITE, after F_SEAL_SEAL: %s\n",
           outcome(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    close_and_load(fd, map, "sealed");
    // end slide
    return 0;
}
