#define _GNU_SOURCE
/* map-private.c - lesson 06: MAP_PRIVATE, the mapping that shares nothing.
 *
 * Runs on its own, after the pair or instead of it. It creates its own file,
 * DIR/mapped-06-private.dat (never the writer's), and maps it twice: MAP_SHARED
 * and MAP_PRIVATE. A store through the shared mapping reaches the file; a store
 * through the private one gives this process its own copy of the page
 * (copy-on-write): read() of the file and a load through the shared mapping,
 * which is what every other process sees, still give the shared text. The file
 * is removed at the end, and on every error after it was created.
 *
 * Usage: map-private [DIR]
 *        DIR: a directory of your own for mapped-06-private.dat (default: the
 *        lesson directory)
 *
 *   $ ./map-private
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-06-private.dat"
#define FILE_SIZE 4096
#define TEXT_SIZE 32                    /* the bytes of the page we print */

static const char shared_text[] = "hello from MAP_SHARED";
static const char private_text[] = "hello from MAP_PRIVATE";

int main(int argc, char *argv[])
{
    const char *dir = lesson_dir(), *why;
    char path[PATH_MAX], in_file[TEXT_SIZE] = "";
    int arg, fd, status = EXIT_FAILURE;
    char *shared, *private;
    struct stat st;
    ssize_t got;

    course_init(argv[0], "[DIR]");
    arg = parse_options(argc, argv, NULL, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR is too long");

    /* The writer's rules: a directory only we may write, a new file, 0600. */
    if (stat(dir, &st) == -1)
        fail("stat(%s)", dir);
    why = dir_not_private(&st);
    if (why != NULL)
        fail_msg("%s: %s", dir, why);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? "a map-private is running, or one left it "
                  "behind: remove it if it is yours" : NULL,
                  "open(%s, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", path);
    if (ftruncate(fd, FILE_SIZE) == -1) {
        warn("ftruncate(%s, %d)", path, FILE_SIZE);
        goto out_close;
    }
    printf("map-private: created %s, mode 0600, %d bytes (ftruncate)\n", path,
           FILE_SIZE);

    shared = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shared == MAP_FAILED) {
        warn("mmap(%d, PROT_READ|PROT_WRITE, MAP_SHARED, %s)", FILE_SIZE, path);
        goto out_close;
    }
    print_maps_line("map-private: /proc/self/maps: ", shared);
    memcpy(shared, shared_text, sizeof shared_text);    /* into the file */
    printf("map-private: stored \"%s\" through the MAP_SHARED mapping\n", shared_text);

    // slide: map-private
    /* Copy-on-write: this mapping reads the file's pages until it
     * stores into one, which gives this process its own copy. */
    private = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE, fd, 0);
    if (private == MAP_FAILED) {
        warn("mmap(%d, PROT_READ|PROT_WRITE, MAP_PRIVATE, %s)",
             FILE_SIZE, path);
        goto out_unmap_shared;
    }
    // end slide
    print_maps_line("map-private: /proc/self/maps: ", private);
    printf("map-private: before its first store, the MAP_PRIVATE mapping reads the "
           "file: \"%.*s\"\n", TEXT_SIZE, private);

    // slide: store-private
    memcpy(private, private_text, sizeof private_text);
    /* Ask the file itself, with read(): which text does it hold? */
    got = pread(fd, in_file, sizeof in_file, 0);
    if (got == -1) {
        warn("pread(%s, %zu bytes)", path, sizeof in_file);
        goto out_unmap_private;
    }
    // end slide
    printf("map-private: stored \"%s\" through the MAP_PRIVATE mapping\n", private_text);
    printf("map-private: read() of the file gives \"%.*s\"\n", (int) got, in_file);
    printf("map-private: a load through the MAP_SHARED mapping gives \"%.*s\"\n",
           TEXT_SIZE, shared);
    printf("map-private: a load through the MAP_PRIVATE mapping gives \"%.*s\"\n",
           TEXT_SIZE, private);
    status = EXIT_SUCCESS;

out_unmap_private:
    if (munmap(private, FILE_SIZE) == -1) {
        warn("munmap(MAP_PRIVATE mapping of %s)", path);
        status = EXIT_FAILURE;
    }
out_unmap_shared:
    if (munmap(shared, FILE_SIZE) == -1) {
        warn("munmap(MAP_SHARED mapping of %s)", path);
        status = EXIT_FAILURE;
    }
out_close:
    if (close(fd) == -1) {
        warn("close(%s)", path);
        status = EXIT_FAILURE;
    }
    /* Every way out after open() comes here: the file never stays. */
    if (unlink(path) == -1) {
        warn("unlink(%s)", path);
        status = EXIT_FAILURE;
    } else {
        printf("map-private: removed %s\n", path);
    }
    return status;
}
