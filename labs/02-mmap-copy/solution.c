#define _GNU_SOURCE
/* solution.c - lab 02, a reference: copy a regular file by mapping both files.
 *
 *   mmapcopy SOURCE DEST
 *
 * Maps SOURCE read-only, creates DEST (O_EXCL, O_NOFOLLOW, 0600), gives it SOURCE's
 * size with ftruncate before anything is stored in it, maps it MAP_SHARED, copies
 * with memcpy and writes it back with msync(MS_SYNC). Once DEST exists, any failure
 * (Ctrl-C too) removes it: no half copy is left, and a DEST it did not create is
 * never touched. No read() or write() carries the data; nothing waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

int main(int argc, char *argv[])
{
    char *in = NULL, *out = NULL;
    struct stat st;
    int status = 1;

    course_init(argv[0], "SOURCE DEST");
    int arg = parse_options(argc, argv, NULL, 2);
    if (argc - arg != 2)
        usage_error("wants a SOURCE file and a new DEST");
    const char *src = parse_path("SOURCE", argv[arg]), *dst = argv[arg + 1];

    /* SOURCE: a regular file (a directory, a device or a FIFO has no size to copy),
     * checked before DEST is created, so a refusal leaves nothing. */
    int in_fd = open(src, O_RDONLY | O_CLOEXEC);
    if (in_fd == -1)
        fail("open(%s, O_RDONLY|O_CLOEXEC)", src);
    if (fstat(in_fd, &st) == -1)
        fail("fstat(%s)", src);
    if (!S_ISREG(st.st_mode))
        fail_msg("%s: it is not a regular file: refusing it", src);
    size_t size = (size_t) st.st_size;
    if (size > 0) {             /* mmap of length 0 is EINVAL: an empty file needs none */
        in = mmap(NULL, size, PROT_READ, MAP_PRIVATE, in_fd, 0);
        if (in == MAP_FAILED)
            fail("mmap(%s, %zu, PROT_READ, MAP_PRIVATE)", src, size);
    }
    if (close(in_fd) == -1)     /* the mapping keeps the file open */
        fail("close(%s)", src);

    /* DEST: only a new file (EEXIST for anything at the name, a symlink too). */
    int out_fd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out_fd == -1)
        fail_hint(errno == EEXIST ? "mmapcopy never overwrites: remove it or choose a new name"
                                  : NULL,
                  "open(%s, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", dst);
    /* From here DEST is ours, and every failure removes it. Its size first: a store
     * into a page with no file behind it is SIGBUS, not an error code. */
    if (ftruncate(out_fd, st.st_size) == -1) {
        warn("ftruncate(%s, %zu)", dst, size);
        goto out_close;
    }
    if (size > 0) {
        out = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, out_fd, 0);
        if (out == MAP_FAILED) {
            warn("mmap(%s, %zu, PROT_READ|PROT_WRITE, MAP_SHARED)", dst, size);
            goto out_close;
        }
        memcpy(out, in, size);
        if (msync(out, size, MS_SYNC) == -1) {     /* on the disk before we say done */
            warn("msync(%s, %zu, MS_SYNC)", dst, size);
            goto out_unmap;
        }
    }
    if (stop_signal) {          /* Ctrl-C during the copy: no copy */
        warn_msg("%s: interrupted by SIG%s", dst, sigabbrev_np(stop_signal));
        goto out_unmap;
    }
    status = 0;

out_unmap:
    if (out != NULL && munmap(out, size) == -1) {
        warn("munmap(%s)", dst);
        status = 1;
    }
out_close:
    if (close(out_fd) == -1) {
        warn("close(%s)", dst);
        status = 1;
    }
    if (in != NULL && munmap(in, size) == -1) {
        warn("munmap(%s)", src);
        status = 1;
    }
    if (status != 0 && unlink(dst) == -1)      /* no half copy left */
        warn("unlink(%s)", dst);
    if (status == 0)
        printf("mmapcopy: copied %zu bytes from %s to %s, mode 0600\n", size, src, dst);
    return status;
}
