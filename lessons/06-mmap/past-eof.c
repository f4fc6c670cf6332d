#define _GNU_SOURCE
/* past-eof.c - lesson 06: a touch past the file's last page is SIGBUS.
 *
 * Runs on its own. It creates DIR/mapped-06-eof.dat and removes the name at once
 * (the descriptor and the mapping keep the file), gives it 100 bytes and maps two
 * pages of it: mmap does not compare the length with the file's size. The rest of
 * the file's one page is usable; a load from the second page kills a child.
 *
 * Usage: past-eof [DIR]   (default: this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

#define FILE_NAME "mapped-06-eof.dat"
#define FILE_SIZE 100

static void load(void *addr) { (void) *(volatile char *) addr; }

int main(int argc, char *argv[])
{
    const long page = sysconf(_SC_PAGESIZE);
    const char *dir = lesson_dir();
    char path[PATH_MAX], hint[PATH_MAX + 64];
    struct stat st;
    int arg, fd, sig;
    char *map;

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
    if (unlink(path) == -1)     /* no name needed: fd and mapping keep the file */
        fail("unlink(%s)", path);
    // slide: past-eof
    if (ftruncate(fd, FILE_SIZE) == -1)
        fail("ftruncate(%s, %d)", path, FILE_SIZE);
    map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        fail("mmap(%s, %ld, PROT_READ|PROT_WRITE, MAP_SHARED)", path, 2 * page);
    map[page - 1] = 'x';        /* past byte 100, but on the file's last page */
    // end slide
    if (fstat(fd, &st) == -1)
        fail("fstat(%s)", path);
    if (close(fd) == -1)
        fail("close(%s)", path);
    sig = signal_from_child(load, map + page);  /* no page of the file there */
    if (sig == -1)
        fail("fork");
    printf("past-eof: mapped 2 pages (%ld bytes) of a %d-byte file\n", 2 * page,
           FILE_SIZE);
    printf("past-eof: a store into byte %ld (page 1) works; the file still has "
           "%lld bytes\n", page - 1, (long long) st.st_size);
    if (sig == 0)
        printf("past-eof: a load from page 2 did not fault\n");
    else
        printf("past-eof: a load from page 2 killed the child with SIG%s\n",
               sigabbrev_np(sig));
    if (munmap(map, 2 * page) == -1)
        fail("munmap(%s)", path);
    return 0;
}
