#define _GNU_SOURCE
/* writer.c - lesson 07: after munmap the address faults; the file keeps the data.
 *
 * Start this first (or second: the reader waits). It stores a message through
 * a MAP_SHARED mapping, unmaps it, reads it back through the fd, leaves the file
 * for the reader, and loads from the old address: its SIGSEGV handler says so.
 *
 * Usage: writer [DIR]   (default: this lesson's directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "course.h"

#define FILE_SIZE 4096

/* Only async-signal-safe calls here (signal-safety(7)): write, _exit,
 * stpcpy... not printf, which may hold a lock the fault interrupted. */
// slide: handler
static void on_segv(int sig, siginfo_t *info, void *ucontext)
{
    uintptr_t addr = (uintptr_t) info->si_addr;
    char line[80], *p = stpcpy(line, "writer: SIGSEGV, si_code ");

    (void) sig, (void) ucontext;
    p = stpcpy(p, info->si_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
    p = stpcpy(p, ", si_addr 0x");
    for (int shift = 60; shift >= 0; shift -= 4)     /* hex, as %p */
        if (addr >> shift != 0 || shift == 0)
            *p++ = "0123456789abcdef"[addr >> shift & 0xf];
    *p++ = '\n';
    if (write(STDOUT_FILENO, line, (size_t) (p - line)) == -1)
        _exit(1);
    _exit(0);   /* never return: the load would run again, and fault again */
}
// end slide

static char load_after_munmap(const void *addr) { return *(const volatile char *) addr; }

int main(int argc, char *argv[])
{
    static const char text[] = "written through the mapping before munmap";
    const char *dir = lesson_dir();
    char path[PATH_MAX], hint[PATH_MAX + 48], back[sizeof text] = "";
    struct message *msg;
    int arg, fd;

    course_init(argv[0], "[DIR]");
    arg = parse_options(argc, argv, NULL, 1);
    if (arg < argc)
        dir = parse_path("DIR", argv[arg]);
    if (snprintf(path, sizeof path, "%s/mapped-07.dat", dir) >= (int) sizeof path)
        usage_error("DIR '%.40s' is too long", dir);
    snprintf(hint, sizeof hint, "left by an earlier run of yours? remove it: rm %s", path);

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        fail_hint(errno == EEXIST ? hint : NULL,
                  "open(%s, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", path);
    /* Empty until sized: a reader waits only while it is new (lesson 06). */
    if (ftruncate(fd, FILE_SIZE) == -1) {
        warn("ftruncate(%s, %d)", path, FILE_SIZE);
        goto out_remove;
    }
    msg = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (msg == MAP_FAILED) {
        warn("mmap(%d, PROT_READ|PROT_WRITE, MAP_SHARED, %s)", FILE_SIZE, path);
        goto out_remove;
    }
    msg->magic = MESSAGE_MAGIC;         /* READY last, release order: lesson 03 */
    memcpy(msg->text, text, sizeof text - 1);
    msg->length = sizeof text - 1;
    atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);
    printf("writer: created %s, mapped it at %p, stored '%s'\n", path, (void *) msg, text);

    // slide: unmap
    if (munmap(msg, FILE_SIZE) == -1)
        fail("munmap(%p, %d)", (void *) msg, FILE_SIZE);
    /* munmap closes no fd, and the file keeps what was stored. */
    if (pread(fd, back, sizeof text - 1, sizeof *msg) == -1)
        fail("pread(%s)", path);
    // end slide
    printf("writer: munmap done; the fd still reads '%s' from the file\n", back);
    if (close(fd) == -1)
        fail("close(%s)", path);
    printf("writer: left %s; now a load from %p\n", path, (void *) msg);
    // slide: load
    /* SA_SIGINFO: the handler gets a siginfo_t, with si_code and si_addr. */
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) == -1)
        fail("sigaction(SIGSEGV)");
    printf("writer: no fault? it read %d\n", load_after_munmap(msg));
    // end slide
    return 1;

out_remove:                             /* no message will come: no file either */
    if (unlink(path) == -1)
        warn("unlink(%s)", path);
    return 1;
}
