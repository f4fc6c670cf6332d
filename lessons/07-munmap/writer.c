#define _GNU_SOURCE
/* writer.c - lesson 07: after munmap the address is gone; the file is not.
 *
 * Start this first. It maps a new 3-page file MAP_SHARED, writes a message
 * and unmaps the middle page: the other pages, the fd and the file still
 * work, and a load from the hole is SIGSEGV, SEGV_MAPERR at exactly that
 * address. Then it unmaps the rest and leaves the file, on purpose: the
 * reader reads and removes it.
 *
 * Usage: writer [DIR]      DIR: a directory of your own (default: the lesson directory)
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-07.dat"
#define PAGES 3
static const char greeting[] = "written through the mapping before munmap";
static const char middle_text[] = "middle page";

/* VALUE in hex as %p prints it, without leading zeros. A handler may
 * call only async-signal-safe functions (signal-safety(7)): write and
 * stpcpy, not printf. So it builds its line by hand. */
static char *put_hex(char *p, uintptr_t value)
{
    if (value >= 16)
        p = put_hex(p, value / 16);
    *p++ = "0123456789abcdef"[value % 16];
    return p;
}

/* The kernel says why (si_code) and where (si_addr). */
static void report_fault(int sig, siginfo_t *info, void *context)
{
    char line[128], *p;

    (void) sig, (void) context;
    // slide: handler
    p = stpcpy(line, "writer: child: SIGSEGV, si_code ");
    /* SEGV_MAPERR: nothing is mapped at that address */
    p = stpcpy(p, info->si_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
    p = stpcpy(p, ", si_addr 0x");
    p = put_hex(p, (uintptr_t) info->si_addr);
    *p++ = '\n';
    if (write(STDOUT_FILENO, line, (size_t) (p - line)) == -1)
        _exit(EXIT_FAILURE);
    /* Return: the load runs again, and faults again, now fatally. */
    // end slide
}

/* Runs in a child (signal_from_child): catch the fault, then load. */
static void load_from(void *addr)
{
    // slide: catch
    /* SA_SIGINFO: pass a siginfo_t; SA_RESETHAND: once only, then
     * the default action again, which kills at the next fault. */
    struct sigaction sa = { .sa_sigaction = report_fault,
                            .sa_flags = SA_SIGINFO | SA_RESETHAND };

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) == -1)
        _exit(EXIT_FAILURE);
    fault_on_purpose(addr, 1);      /* for valgrind: no error */
    (void) *(volatile char *) addr; /* volatile: really load */
    // end slide
}

/* One load per child, so the writer itself survives them all. */
static void load_in_child(char *addr, const char *where)
{
    int sig;

    printf("writer: a child loads from %p, %s\n", (void *) addr, where);
    sig = signal_from_child(load_from, addr);
    if (sig == -1)
        fail("fork");
    if (sig != SIGSEGV)
        fail_msg("the child's load from %p gave %s, not SIGSEGV",
                 (void *) addr, signal_name(sig));
}

int main(int argc, char *argv[])
{
    const long page = sysconf(_SC_PAGESIZE);
    const size_t size = (size_t) page * PAGES;
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], back[sizeof middle_text] = "";
    struct message *msg;
    struct stat st;
    char *map;
    int fd, arg;

    course_init(argv[0], "[DIR]");
    arg = parse_options(argc, argv, NULL, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR is too long");

    /* A fixed name where every user may write could be taken first. */
    if (stat(dir, &st) == -1)
        fail("stat(%s)", dir);
    why = dir_not_private(&st);
    if (why != NULL)
        fail_msg("%s: %s", dir, why);
    /* O_EXCL: never reuse a file found there; O_NOFOLLOW: never a link. */
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? "it is left from an earlier run: ./reader reads "
                  "and removes it (or rm it)" : NULL,
                  "open(%s, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", path);
    if (ftruncate(fd, (off_t) size) == -1) {
        warn("ftruncate(%s, %zu)", path, size);
        goto out_remove;
    }
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        warn("mmap(%zu, PROT_READ|PROT_WRITE, MAP_SHARED, %s)", size, path);
        goto out_remove;
    }
    printf("writer: created %s, %zu bytes (%d pages of %ld), mapped at %p\n",
           path, size, PAGES, page, (void *) map);
    msg = (struct message *) map;
    msg->magic = MESSAGE_MAGIC;
    msg->length = sizeof greeting - 1;
    memcpy(msg->text, greeting, sizeof greeting - 1);
    atomic_store(&msg->sequence, 1);
    atomic_store(&msg->state, MESSAGE_READY);  /* publishes the text above */
    strcpy(map + page, middle_text);
    printf("writer: wrote '%s' in page 0, '%s' in page 1\n", greeting, middle_text);
    print_maps_line("writer: maps: ", map);

    // slide: partial
    /* Unmap the middle page only: the kernel splits the mapping in
     * two, and the pages on either side stay as they were. */
    if (munmap(map + page, (size_t) page) == -1)
        fail("munmap(%p, %ld)", (void *) (map + page), page);
    // end slide
    printf("writer: munmap(%p, %ld): the middle page is unmapped\n",
           (void *) (map + page), page);
    for (int i = 0; i < PAGES; i++)
        print_maps_line("writer: maps: ", map + i * page);
    strcpy(map + 2 * page, "last page");
    printf("writer: page 0 still reads '%.*s', page 2 still takes a store: '%s'\n",
           (int) msg->length, msg->text, map + 2 * page);

    // slide: fd-lives
    /* munmap never closes the descriptor: it still reads the file,
     * the bytes of the page that is no longer mapped included. */
    if (fstat(fd, &st) == -1)
        fail("fstat(%s)", path);
    if (pread(fd, back, sizeof back - 1, page) == -1)
        fail("pread(%s, %zu bytes at %ld)", path, sizeof back - 1, page);
    // end slide
    printf("writer: after munmap the fd still works: fstat says %lld bytes, "
           "pread at offset %ld reads '%s'\n", (long long) st.st_size, page, back);
    /* Done with the fd. close never unmaps (the reader shows it). */
    if (close(fd) == -1)
        fail("close(%s)", path);
    load_in_child(map + page, "in the hole");

    // slide: rest
    /* The rest in one call: the hole is no error, and the length is
     * rounded up to whole pages: 2 pages + 1 byte unmaps 3 pages. */
    if (munmap(map, 2 * (size_t) page + 1) == -1)
        fail("munmap(%p, %zu)", (void *) map, 2 * (size_t) page + 1);
    // end slide
    printf("writer: munmap(%p, %ld) over the hole: no error, rounded up to 3 pages\n",
           (void *) map, 2 * page + 1);
    print_maps_line("writer: maps: ", map + 2 * page);
    load_in_child(map, "where the message was");
    printf("writer: left %s behind on purpose: the message is in the file\n", path);
    return EXIT_SUCCESS;

out_remove:
    /* Nothing was written yet: take the file away again. */
    if (unlink(path) == -1)
        warn("unlink(%s)", path);
    if (close(fd) == -1)
        warn("close(%s)", path);
    return EXIT_FAILURE;
}
