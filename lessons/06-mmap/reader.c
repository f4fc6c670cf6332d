#define _GNU_SOURCE
/* reader.c - lesson 06: see another process's stores into a file, with no read().
 *
 * Start this after the writer (or before: it waits for the file). It checks
 * DIR/mapped-06.dat with fstat, maps it read-only and MAP_SHARED, and closes
 * the descriptor. Each update the writer stores then shows up in this
 * process's memory: one page of the page cache, two mappings. It answers each
 * with a signal, then shows the two faults of a mapping: SIGBUS past the end
 * of the file, SIGSEGV for a store into a read-only page.
 *
 * Usage: reader [-t SECONDS] [DIR]
 *        DIR: where the writer creates mapped-06.dat (default: the lesson directory)
 *        -t 10: how long to wait for the file, and for each update
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

/* The file: the writer's pid (int32_t) at offset 0, then a struct message. */
#define FILE_NAME "mapped-06.dat"
#define FILE_SIZE 4096
#define MESSAGE_OFFSET 8
#define UPDATES 3

static void load_from(void *addr) { (void) *(volatile char *) addr; }
static void store_into(void *addr) { *(volatile char *) addr = 1; }

/* Run TOUCH(ADDR) in a child: it must end with WANT (0: no signal). */
static const char *child_gets(void (*touch)(void *), const void *addr, int want)
{
    int sig = signal_from_child(touch, (void *) addr);

    if (sig == -1)
        fail("fork");
    if (sig != want)
        fail_msg("a child's access to %p gave %s, not %s", addr,
                 signal_name(sig), signal_name(want));
    return signal_name(sig);
}

int main(int argc, char *argv[])
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned seconds = 10;
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], text[128];
    const char *map, *probe;
    const struct message *msg;
    struct deadline d;
    struct stat st;
    int arg, fd;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    arg = parse_options(argc, argv, &seconds, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR is too long");
    catch_stop_signals();

    /* A missing directory is an error now; a missing file is worth a wait. */
    if (stat(dir, &st) == -1)
        fail("stat(%s)", dir);

    /* Wait for the file, and for the writer to size it: an empty file of
     * ours is one it has only just created. O_NOFOLLOW: a symlink at the
     * name is ELOOP; O_NONBLOCK: a FIFO there cannot block open(). */
    deadline_start(&d, seconds);
    for (;;) {
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd == -1 && errno != ENOENT)
            fail_hint(errno == ELOOP ? "it is a symbolic link: refusing it" : NULL,
                      "open(%s, O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK)", path);
        if (fd != -1) {
            if (fstat(fd, &st) == -1)
                fail("fstat(%s)", path);
            if (file_not_ours(&st, 0) != NULL)
                break;                  /* sized, or not the writer's */
            close(fd);
        }
        if (!keep_waiting(&d, "the writer to create " FILE_NAME))
            fail_msg("no %s: %s", path, wait_end_hint(&d, "start ./writer first"));
    }
    // slide: check
    /* Anyone may put something at a known name: trust only a regular
     * file of ours, mode 0600, of the size the writer gives it. */
    why = file_not_ours(&st, FILE_SIZE);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", path, why);
    // end slide

    // slide: map-read-only
    map = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        fail("mmap(%d, PROT_READ, MAP_SHARED, %s)", FILE_SIZE, path);
    /* For the end: two pages of this one-page file. mmap does
     * not compare the length with the size of the file. */
    probe = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
    if (probe == MAP_FAILED)
        fail("mmap(%ld, PROT_READ, MAP_SHARED, %s)", 2 * page, path);
    if (close(fd) == -1)        /* the mappings keep the file open */
        fail("close(%s)", path);
    // end slide
    printf("reader: %s is a regular file of mine, %d bytes: mapped it read-only\n",
           path, FILE_SIZE);
    print_maps_line("reader: /proc/self/maps: ", map);

    msg = (const struct message *) (map + MESSAGE_OFFSET);
    for (uint32_t seq = 1; seq <= UPDATES; seq++) {
        // slide: watch
        /* No read(): the writer's stores appear in our memory. */
        deadline_start(&d, seconds);
        while (atomic_load(&msg->state) != MESSAGE_READY ||
               atomic_load(&msg->sequence) != seq)
            if (!deadline_pause(&d))
                fail_msg("no update %u in %s: %s", seq, path,
                         wait_end_reason(&d));
        /* Untrusted bytes: check magic and length, add a NUL. */
        if (!message_copy(msg, FILE_SIZE - MESSAGE_OFFSET, text,
                          sizeof text, &why))
            fail_msg("%s: %s: refusing it", path, why);
        // end slide
        printf("reader: update %u: \"%s\"\n", seq, text);
        /* A pid is input too: kill(0, sig) would signal our process
         * group, kill(-1, sig) every process we may signal. */
        int32_t writer = *(const volatile int32_t *) map;   /* read once */
        if (writer <= 1 || writer == getpid())
            fail_msg("%s: %d is not a writer's pid: refusing it", path, (int) writer);
        // slide: answer
        /* A read-only mapping cannot carry "seen": send a real-time
         * signal with the number; each one queues, none is lost. */
        union sigval seen = { .sival_int = (int) seq };
        if (sigqueue(writer, SIGRTMIN, seen) == -1)
            fail_hint(errno == ESRCH ? "the writer is gone; 'make clean-ipc' "
                      "removes the file it left" : NULL,
                      "sigqueue(%d, SIGRTMIN, %u)", writer, seq);
        // end slide
    }

    /* SIGBUS: the address is mapped, but no page of the file is behind it.
     * SIGSEGV: no mapping at the address, or one without that permission. */
    printf("reader: a 2-page mapping of the 1-page file: a load from page 1 gets %s\n",
           child_gets(load_from, probe, 0));
    printf("reader: a load from page 2 (past the end of the file) killed the child "
           "with %s\n", child_gets(load_from, probe + page, SIGBUS));
    printf("reader: a store through the read-only mapping killed the child with %s\n",
           child_gets(store_into, map, SIGSEGV));
    if (munmap((void *) probe, 2 * page) == -1 || munmap((void *) map, FILE_SIZE) == -1)
        fail("munmap");
    return EXIT_SUCCESS;
}
