#define _GNU_SOURCE
/* reader.c - lesson 09: open a POSIX shared memory object by its name, check, map it.
 *
 * Start it after the writer (or before: it waits for the name). It checks NAME with
 * fstat (mine, 0600, big enough), maps it, copies the message, marks it SEEN, and
 * once the writer has removed the name, still reads the message through its mapping.
 *
 * Usage: reader [-t SECONDS] [NAME]   (defaults: 10, /shm-course-09-UID-INODE)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "course.h"

#define SIZE 4096

int main(int argc, char *argv[])
{
    struct deadline d = { .seconds = 10 };     /* -t; one limit for every wait */
    char own[64], text[128];
    const char *name, *why;
    struct message *msg;
    struct stat st;
    int arg, fd;

    course_init(argv[0], "[-t SECONDS] [NAME]");
    arg = parse_options(argc, argv, &d.seconds, 1);
    /* /dev/shm is every user's: by default a name of yours and of this clone. */
    if (stat(lesson_dir(), &st) == -1)
        fail("stat(%s)", lesson_dir());
    snprintf(own, sizeof own, "/shm-course-09-%u-%llx", (unsigned) geteuid(),
             (unsigned long long) st.st_ino);
    name = arg < argc ? argv[arg] : own;
    if (name[0] != '/')
        usage_error("NAME '%.40s' does not start with a slash", name);

    /* Wait for the name. An empty object is a writer between shm_open and
     * ftruncate (microseconds) or, unchanged for over a second, a leftover. */
    for (;;) {
        fd = shm_open(name, O_RDWR, 0);
        if (fd == -1 && errno != ENOENT)
            fail("shm_open(%s, O_RDWR, 0)", name);
        if (fd != -1) {
            if (fstat(fd, &st) == -1)
                fail("fstat(%s)", name);
            if (!S_ISREG(st.st_mode) || st.st_size > 0 || time(NULL) - st.st_mtime > 1)
                break;
            close(fd);
        }
        if (!keep_waiting(&d, fd == -1 ? "the writer to create the object"
                                       : "the writer to size the object"))
            fail_msg(fd == -1 ? "no %s: %s" : "%s is still empty: %s", name,
                     wait_end_reason(&d));
    }
    // slide: check
    /* Anyone may create a name in /dev/shm first: trust only an object
     * of ours, mode 0600, as big as the writer makes it. */
    why = !S_ISREG(st.st_mode) ? "it is not a regular file"
        : not_ours(st.st_uid, st.st_uid, st.st_mode, st.st_size, SIZE);
    if (why != NULL && st.st_uid == geteuid())
        fail_msg("%s: %s: refusing it; left by an earlier run? remove it: "
                 "rm /dev/shm%s", name, why, name);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", name, why);
    // end slide
    msg = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED)
        fail("mmap(%s, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", name, SIZE);
    if (close(fd) == -1)
        fail("close(%s)", name);
    printf("reader: /dev/shm%s is mine, mode 0600, %d bytes (fstat)\n", name, SIZE);

    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the writer's message"))
            fail_msg("%s: no message: %s", name, wait_end_reason(&d));
    why = message_copy(msg, SIZE, text, sizeof text);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", name, why);
    atomic_store_explicit(&msg->state, MESSAGE_SEEN, memory_order_release);
    printf("reader: \"%s\"; marked it SEEN\n", text);

    // slide: after-unlink
    /* The writer calls shm_unlink when it sees SEEN: the name gives ENOENT... */
    while ((fd = shm_open(name, O_RDONLY, 0)) != -1) {
        close(fd);
        if (!keep_waiting(&d, "the writer to remove the name"))
            fail_msg("%s: still there: %s; its writer gone? rm /dev/shm%s", name,
                     wait_end_reason(&d), name);
    }
    if (errno != ENOENT)
        fail("shm_open(%s, O_RDONLY, 0)", name);
    /* ...and the object lives on while it is mapped: maps says "(deleted)". */
    print_maps_line("reader: /proc/self/maps: ", msg);
    why = message_copy(msg, SIZE, text, sizeof text);
    if (why != NULL)
        fail_msg("%s: %s: refusing it", name, why);
    // end slide
    printf("reader: shm_open(%s): ENOENT; my mapping still reads \"%s\"\n", name, text);
    if (munmap(msg, SIZE) == -1)
        fail("munmap(%s)", name);
    return 0;
}
