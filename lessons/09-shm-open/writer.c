#define _GNU_SOURCE
/* writer.c - lesson 09: a POSIX shared memory object, found by a name, not a key.
 *
 * Start it first (or second: the reader waits). It creates NAME with shm_open (on
 * Linux the file /dev/shm/NAME), sizes it, maps it, publishes a message, waits for
 * SEEN, then removes the name with shm_unlink (also after Ctrl-C or a timeout).
 *
 * Usage: writer [-t SECONDS] [NAME]   (defaults: 10, /shm-course-09-UID-INODE)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

#define SIZE 4096                       /* one page */

int main(int argc, char *argv[])
{
    static const char text[] = "hello through POSIX shared memory";
    const size_t length = strlen(text);
    char own[64], path[PATH_MAX], hint[PATH_MAX + 64];
    const char *name;
    struct deadline d = { .seconds = 10 };     /* -t */
    int arg, fd, status = 1;
    struct message *msg;
    struct stat st;

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
    /* The hint if the name is taken; O_EXCL decides, this only words the hint. */
    snprintf(path, sizeof path, "/dev/shm%s", name);
    if (lstat(path, &st) == 0 && st.st_uid != geteuid())
        snprintf(hint, sizeof hint, "uid %u has it: choose another NAME", (unsigned) st.st_uid);
    else
        snprintf(hint, sizeof hint, "left by an earlier run? remove it: rm %s", path);

    // slide: create
    /* glibc adds O_NOFOLLOW|O_CLOEXEC itself: open("/dev/shm/NAME", ...) */
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? hint : NULL,
                  "shm_open(%s, O_CREAT|O_EXCL|O_RDWR, 0600)", name);
    /* 0 bytes: a store into a page with nothing behind it is SIGBUS. */
    if (ftruncate(fd, SIZE) == -1) {
        warn("ftruncate(%s, %d)", name, SIZE);
        close(fd);
        goto out_unlink;
    }
    // end slide
    // slide: map
    msg = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED) {
        warn("mmap(%s, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", name, SIZE);
        close(fd);
        goto out_unlink;
    }
    if (close(fd) == -1) {      /* the mapping keeps the object */
        warn("close(%s)", name);
        goto out_unmap;
    }
    // end slide
    if (stat(path, &st) == -1) {        /* what ls -l shows, not what we asked */
        warn("stat(%s)", path);
        goto out_unmap;
    }
    printf("writer: created %s: the file %s, mode %04o, %lld bytes\n", name, path,
           (unsigned) (st.st_mode & 0777), (long long) st.st_size);
    print_maps_line("writer: /proc/self/maps: ", msg);

    // slide: publish
    msg->magic = MESSAGE_MAGIC;
    memcpy(msg->text, text, length);
    msg->length = (uint32_t) length;
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);

    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_SEEN)
        if (!keep_waiting(&d, "the reader to mark it SEEN")) {
            warn_msg("%s: not seen: %s", name, wait_end_reason(&d));
            goto out_unmap;
        }
    // end slide
    printf("writer: stored \"%s\"; the reader marked it SEEN\n", text);
    status = 0;

out_unmap:
    if (munmap(msg, SIZE) == -1) {
        warn("munmap(%s)", name);
        status = 1;
    }
out_unlink:
    // slide: unlink
    /* The name goes at once; the memory stays while anyone maps it. */
    if (shm_unlink(name) == -1) {
        warn("shm_unlink(%s)", name);
        return 1;
    }
    // end slide
    printf("writer: shm_unlink(%s): /dev/shm%s is gone\n", name, name);
    return status;
}
