#define _GNU_SOURCE
/* reader.c - lesson 06: see another process's stores into a file, with no read().
 *
 * Start this after the writer (or before: it waits for the file). It opens
 * DIR/mapped-06.dat read-only, checks that it is a regular file of this user
 * and of the agreed size, maps it PROT_READ and MAP_SHARED, and closes the
 * descriptor. Each update the writer stores then shows up in this process's
 * memory: both mappings are the same pages of the page cache. The mapping is
 * read-only, so the reader answers "seen update N" with a SIGRTMIN carrying N to
 * the writer's pid, which the writer put in the file. Last, it shows the two
 * faults a mapping can give: SIGBUS for a page past the end of the file,
 * SIGSEGV for a store into a read-only page.
 *
 * Usage: reader [-t SECONDS] [DIR]
 *        DIR: where the writer creates mapped-06.dat (default ".")
 *        -t 10: how long to wait for the file, and for each update
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

/* The file, as writer and reader agree: the writer's pid (int32_t) at offset 0,
 * then a struct message (course.h). */
#define FILE_NAME "mapped-06.dat"
#define FILE_SIZE 4096
#define MESSAGE_OFFSET 8
#define UPDATES 3

static void load_from(void *addr) { (void) *(volatile char *) addr; }
static void store_into(void *addr) { *(volatile char *) addr = 1; }

static const char *fault_name(int sig)
{
    return sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" :
           sig == 0 ? "no signal" : "another signal";
}

/* Open PATH once the writer has created it and given it its size. */
static int open_when_ready(const char *path, unsigned seconds, struct stat *st)
{
    struct deadline d;

    deadline_start(&d, seconds);
    for (;;) {
        /* O_NOFOLLOW: a symlink at the name is an error (ELOOP), not followed.
         * O_NONBLOCK: a FIFO at the name cannot block open() forever; for a
         * regular file it changes nothing. */
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd == -1 && errno != ENOENT)
            fail_hint(errno == ELOOP ? "it is a symbolic link: refusing it" : NULL,
                      "open(%s, O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK)", path);
        if (fd != -1) {
            if (fstat(fd, st) == -1)
                fail("fstat(%s)", path);
            /* Ours but still empty: the writer is about to ftruncate it. */
            if (!S_ISREG(st->st_mode) || st->st_uid != geteuid() || st->st_size != 0)
                return fd;
            close(fd);
        }
        if (d.pause_ns == 100 * 1000)   /* say it once, on the first miss */
            fprintf(stderr, "reader: waiting up to %u s for the writer to create %s\n",
                    seconds, path);
        if (!deadline_pause(&d))
            fail_msg("no %s from a writer: %s; start ./writer first", path,
                     wait_end_reason(&d));
    }
}

int main(int argc, char *argv[])
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned seconds = 10;
    const char *dir = ".", *why;
    char path[PATH_MAX], text[128];
    const char *map, *probe;
    const struct message *msg;
    struct deadline d;
    struct stat st;
    int32_t writer = 0;
    int opt, fd;

    course_init(argv[0], "[-t SECONDS] [DIR]");
    /* "+": stop at the first non-option; ":": report a missing value ourselves. */
    while ((opt = getopt(argc, argv, "+:t:")) != -1) {
        if (opt == ':')
            usage_error("option -%c needs a value", optopt);
        if (opt != 't')
            usage_error("unknown option -%c", optopt);
        seconds = (unsigned) parse_number("SECONDS", optarg, 1, 3600);
    }
    if (argc - optind > 1)
        usage_error("too many arguments");
    if (argc - optind > 0)
        dir = parse_path("DIR", argv[optind]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR is too long");
    catch_stop_signals();

    /* A missing directory is an error now; a missing file is worth a wait. */
    if (stat(dir, &st) == -1)
        fail("stat(%s)", dir);
    if (!S_ISDIR(st.st_mode))
        fail_msg("%s is not a directory", dir);
    fd = open_when_ready(path, seconds, &st);
    // slide: check
    /* Anyone may put something at a known name: trust only a regular
     * file that is ours, of the size the writer gives it. */
    if (!S_ISREG(st.st_mode))
        fail_msg("refusing %s: not a regular file", path);
    if (st.st_uid != geteuid())
        fail_msg("refusing %s: owned by uid %u, not by you (uid %u)",
                 path, (unsigned) st.st_uid, (unsigned) geteuid());
    if (st.st_size != FILE_SIZE)
        fail_msg("refusing %s: %lld bytes, not %d", path,
                 (long long) st.st_size, FILE_SIZE);
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
            fail_msg("refusing %s: %s", path, why);
        // end slide
        printf("reader: update %u: \"%s\"\n", seq, text);
        if (seq == 1) {
            /* A pid from shared memory is input too. sigqueue refuses 0
             * and -1, but kill(0, sig) signals our whole process group and
             * kill(-1, sig) every process we may signal: check it first. */
            writer = *(const int32_t *) map;
            if (writer <= 1 || writer == getpid())
                fail_msg("refusing %s: %d is not a writer's pid", path, (int) writer);
        }
        // slide: answer
        /* We cannot store "seen" into a read-only mapping: signal it,
         * with the update's number. A real-time signal, as each one
         * queues: none is lost behind another that is pending. */
        union sigval seen = { .sival_int = (int) seq };
        if (sigqueue(writer, SIGRTMIN, seen) == -1)
            fail("sigqueue(%d, SIGRTMIN, %u)", writer, seq);
        // end slide
    }

    /* SIGBUS: the address is mapped, but no page of the file is behind it.
     * SIGSEGV: no mapping at the address, or one without that permission. */
    printf("reader: a 2-page mapping of the 1-page file: a load from page 1 gets %s\n",
           fault_name(signal_from_child(load_from, (void *) probe)));
    printf("reader: a load from page 2 (past the end of the file) killed the child with %s\n",
           fault_name(signal_from_child(load_from, (void *) (probe + page))));
    printf("reader: a store through the read-only mapping killed the child with %s\n",
           fault_name(signal_from_child(store_into, (void *) map)));
    if (munmap((void *) probe, 2 * page) == -1 || munmap((void *) map, FILE_SIZE) == -1)
        fail("munmap");
    return EXIT_SUCCESS;
}
