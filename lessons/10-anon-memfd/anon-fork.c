#define _GNU_SOURCE
/* anon-fork.c - lesson 10: MAP_SHARED|MAP_ANONYMOUS before fork(): shared, nameless.
 *
 * Runs on its own. It maps one anonymous shared page, then forks: the child
 * writes the message (state READY, release order) and exits; the parent waits
 * for READY, copies the message and reaps the child. The page has no name:
 * nothing to find, to squat or to leave behind.
 *
 * Usage: anon-fork [-t SECONDS]   (default: 10)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "course.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int-sized atomics must be lock-free");

#define SIZE 4096

int main(int argc, char *argv[])
{
    static const char text[] = "hello from the child";
    struct deadline d = { .seconds = 10 };
    struct message *msg;
    const char *why;
    char copy[128];
    int status;
    pid_t child;

    course_init(argv[0], "[-t SECONDS]");
    parse_options(argc, argv, &d.seconds, 0);

    // slide: map
    /* No file (fd -1): zero-filled pages. MAP_SHARED: across fork() parent
     * and child keep the SAME pages; MAP_PRIVATE would give each a copy. */
    msg = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (msg == MAP_FAILED)
        fail("mmap(NULL, %d, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0)",
             SIZE);
    // end slide
    print_maps_line("anon-fork: maps: ", msg);

    // slide: fork
    /* fork() returns twice: 0 in the new child, the child's pid in the
     * parent. The child is a copy of the parent, msg and its page included. */
    child = fork();
    if (child == -1)
        fail("fork()");
    if (child == 0) {
        msg->magic = MESSAGE_MAGIC;
        memcpy(msg->text, text, strlen(text));
        msg->length = (uint32_t) strlen(text);
        printf("anon-fork: child: wrote \"%s\", then state READY\n", text);
        fflush(stdout);         /* now: _exit() below flushes no stdio buffer */
        atomic_store_explicit(&msg->state, MESSAGE_READY, memory_order_release);
        _exit(0);               /* not exit(): the parent's atexit handlers */
    }
    // end slide

    // slide: parent
    while (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        if (!keep_waiting(&d, "the child's message"))
            break;
    /* Reap the child (no zombie), on every path. */
    while (waitpid(child, &status, 0) == -1)
        if (errno != EINTR)
            fail("waitpid(%d)", (int) child);
    // end slide
    if (atomic_load_explicit(&msg->state, memory_order_acquire) != MESSAGE_READY)
        fail_msg("no message from the child: %s", wait_end_reason(&d));
    why = message_copy(msg, SIZE, copy, sizeof copy);
    if (why != NULL)
        fail_msg("the child's message: %s: refusing it", why);
    printf("anon-fork: parent: \"%s\", stored by the child into our page\n", copy);
    printf("anon-fork: parent: the child %s %d\n", WIFEXITED(status) ? "exited with status"
           : "was killed by signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    if (munmap(msg, SIZE) == -1)   /* the last mapping: the page is freed */
        fail("munmap");
    return 0;
}
