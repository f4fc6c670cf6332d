/* course.h - the small helper library of the lessons: errors with the errno name,
 * strict arguments, the bounded wait, the shared message, windows onto /proc. It
 * never wraps a call a lesson teaches (shmget, shmat, mmap...): those stay in the
 * lessons, each with its own check. One file without it: tools/standalone FILE.c
 */
#ifndef COURSE_H
#define COURSE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>
#include <time.h>

/* Name and usage for every message; stdout line-buffered; SIGPIPE and SIGXFSZ
 * ignored (EPIPE, EFBIG instead). */
void course_init(const char *argv0, const char *usage);
/* One line on stderr, "prog: WHAT: ENAME (message)[; HINT]", from errno; exit 1. */
noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fail_hint(const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "prog: WHAT", no errno (a refused segment); exit 1. */
noreturn void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As fail() and fail_msg(), but return: for errors while cleaning up. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: WHAT", then "usage: prog USAGE"; exit 2. */
noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define KEY_IN_USE_HINT "'ipcs -m' shows it; 'make clean-ipc' removes what this " \
    "course left"

/* --help: usage, exit 0. -t SECONDS (1..3600) sets *SECONDS if SECONDS is not NULL.
 * Another option, or over MAX_ARGS arguments after the options: usage error.
 * Returns the index of the first argument after the options. */
int parse_options(int argc, char *argv[], unsigned *seconds, int max_args);
/* Digits only, in [MIN, MAX], else a usage error naming NAME ("-1", " 1", "1x"). */
unsigned long parse_number(const char *name, const char *text,
                           unsigned long min, unsigned long max);
/* A path that exists, else a usage error naming NAME. */
const char *parse_path(const char *name, const char *text);
/* This program's directory: its lesson in the learner's own clone, the default
 * KEYPATH or DIR ("." when it is the current directory). */
const char *lesson_dir(void);

/* The bounded wait: poll, pausing 100 us growing to 5 ms, until a deadline or a
 * stop signal (SIGINT, SIGTERM, SIGHUP set stop_signal after catch_stop_signals):
 *     struct deadline d = { .seconds = 10 };
 *     while (!condition)
 *         if (!keep_waiting(&d, "the writer"))
 *             fail_msg("...: %s", wait_end_reason(&d));
 * The first call starts the clock and says "prog: waiting up to N s for WHAT" on
 * stderr. False when the time is up or a stop signal came. */
extern volatile sig_atomic_t stop_signal;
void catch_stop_signals(void);
struct deadline { unsigned seconds; long pause_ns; struct timespec end; };
bool keep_waiting(struct deadline *d, const char *what);
/* "timed out after 10 s" or "interrupted by SIGINT". */
const char *wait_end_reason(const struct deadline *d);

/* The message at the start of the shared memory. The writer fills magic, length
 * and text, then stores state READY with release order; the reader loads state
 * with acquire order, and only then reads the rest. */
#define MESSAGE_MAGIC 0x314d4853u       /* "SHM1" in memory on x86 */
enum { MESSAGE_EMPTY, MESSAGE_WRITING, MESSAGE_READY, MESSAGE_SEEN };
struct message {
    uint32_t magic;
    _Atomic uint32_t state;
    uint32_t length;            /* bytes in text[], no NUL */
    char text[];
};
/* Copy the text out as hostile input: magic checked, length read once and
 * bounded, our own NUL, control characters as '?'. NULL, or why it was refused. */
const char *message_copy(const struct message *shared, size_t shared_size,
                         char *out, size_t out_size);
/* Why an object found at our key or name is not our writer's, or NULL: from
 * IPC_STAT (shm_perm.uid, shm_perm.mode, shm_segsz) or fstat (st_uid...), the
 * owner must be geteuid(), the mode 0600, the size at least MIN_SIZE. */
const char *not_ours(uid_t uid, mode_t mode, long long size, long long min_size);

/* PREFIX and the /proc/self/maps line of the mapping that holds ADDR. */
void print_maps_line(const char *prefix, const void *addr);
/* FIELD's kB ("Rss", "Private_Dirty"...) in the /proc/self/smaps entry of ADDR, or -1. */
long smaps_kb(const void *addr, const char *field);
/* Run TOUCH(ARG) in a child, core dumps off: the signal that killed it (print it
 * as "SIG%s" with sigabbrev_np), 0 if it exited, -1 if fork failed. */
int signal_from_child(void (*touch)(void *arg), void *arg);

#endif
