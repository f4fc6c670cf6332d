#define _GNU_SOURCE
/* map-private.c - lesson 06: MAP_PRIVATE is copy-on-write: it shares nothing.
 *
 * Runs on its own. It creates DIR/mapped-06-private.dat and removes the name at
 * once (the descriptor and the mappings keep the file), maps the file MAP_SHARED
 * and MAP_PRIVATE, stores through each, and asks the file with pread().
 *
 * Usage: map-private [DIR]   (default: this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-06-private.dat"
#define FILE_SIZE 4096

int main(int argc, char *argv[])
{
    static const char shared_text[] = "hello from MAP_SHARED";
    static const char private_text[] = "hello from MAP_PRIVATE";
    const char *dir = lesson_dir();
    char path[PATH_MAX], hint[PATH_MAX + 64], in_file[32] = "";
    char *shared, *private;
    int arg, fd;

    course_init(argv[0], "[DIR]");
    arg = parse_options(argc, argv, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= (int) sizeof path)
        usage_error("DIR '%.40s' is too long", dir);
    snprintf(hint, sizeof hint, "left by an earlier run of yours? remove it: rm %s", path);

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? hint : NULL, "open(%s, O_RDWR|O_CREAT|"
                  "O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", path);
    if (unlink(path) == -1)     /* no name needed: fd and mappings keep the file */
        fail("unlink(%s)", path);
    if (ftruncate(fd, FILE_SIZE) == -1)
        fail("ftruncate(%s, %d)", path, FILE_SIZE);
    shared = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shared == MAP_FAILED)
        fail("mmap(%s, %d, PROT_READ|PROT_WRITE, MAP_SHARED)", path, FILE_SIZE);
    memcpy(shared, shared_text, sizeof shared_text);    /* into the file */

    // slide: map-private
    private = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (private == MAP_FAILED)
        fail("mmap(%s, %d, PROT_READ|PROT_WRITE, MAP_PRIVATE)", path, FILE_SIZE);
    // end slide
    print_maps_line("map-private: /proc/self/maps: ", shared);
    print_maps_line("map-private: /proc/self/maps: ", private);
    printf("map-private: before its first store, MAP_PRIVATE reads the file: "
           "\"%s\"\n", private);

    // slide: store-private
    /* Copy-on-write: this store gives the process its own copy of the page. */
    memcpy(private, private_text, sizeof private_text);
    if (pread(fd, in_file, sizeof in_file - 1, 0) == -1)
        fail("pread(%s)", path);
    // end slide
    printf("map-private: read() of the file gives \"%s\"\n", in_file);
    printf("map-private: the MAP_SHARED mapping gives \"%s\"\n", shared);
    printf("map-private: the MAP_PRIVATE mapping gives \"%s\"\n", private);
    if (munmap(private, FILE_SIZE) == -1 || munmap(shared, FILE_SIZE) == -1)
        fail("munmap(%s)", path);
    if (close(fd) == -1)
        fail("close(%s)", path);
    return 0;
}
