/* course.h - the lessons' helpers: errors, strict arguments, the bounded wait, the
 * shared message, /proc windows; never a taught call. See common/README.md. */
#ifndef COURSE_H
#define COURSE_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

/* Names the program; SIGPIPE, SIGXFSZ ignored; SIGINT, SIGTERM, SIGHUP set stop_signal. */
void course_init(const char *argv0, const char *usage);
extern volatile sig_atomic_t stop_signal;
/* "prog: WHAT: ENAME (message)[; HINT]"; exit 1. _msg: no errno. warn: no exit. */
noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fail_hint(const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
noreturn void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: WHAT", then "usage: prog USAGE"; exit 2. */
noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define KEY_IN_USE_HINT "'ipcs -m' shows it; 'make clean-ipc' removes what this course left"

/* --help, -t SECONDS (if SECONDS), MAX_ARGS more; returns the first one's index. */
int parse_options(int argc, char *argv[], unsigned *seconds, int max_args);
/* Digits only, in [MIN, MAX], else a usage error naming NAME. */
unsigned long parse_number(const char *name, const char *text, unsigned long min,
                           unsigned long max);
/* A path that exists, else a usage error naming NAME. */
const char *parse_path(const char *name, const char *text);
/* This program's lesson directory, the default KEYPATH or DIR ("." if cwd). */
const char *lesson_dir(void);

/* The bounded wait (lesson 03): while (!condition) if (!keep_waiting(&d, WHAT)) give
 * up. Pauses 100 us-5 ms; false after d.seconds or a stop signal. WHAT NULL: silent. */
struct deadline { unsigned seconds; long pause_ns; long long end_ns; };
bool keep_waiting(struct deadline *d, const char *what);
const char *wait_end_reason(const struct deadline *d);

/* The shared message: length bytes of text, no NUL; state READY is stored with
 * release order, loaded with acquire order (lesson 03). */
#define MESSAGE_MAGIC 0x314d4853u       /* "SHM1" in memory on x86 */
enum { MESSAGE_EMPTY, MESSAGE_WRITING, MESSAGE_READY, MESSAGE_SEEN };
struct message { uint32_t magic; _Atomic uint32_t state; uint32_t length; char text[]; };
/* Copy the text out as hostile input (magic, length once, own NUL); NULL or why not. */
const char *message_copy(const struct message *shared, size_t shared_size, char *out,
                         size_t out_size);
/* Why an object is not ours (owner UID, creator CUID; mode 0600; size >= MIN), or NULL. */
const char *not_ours(uid_t uid, uid_t cuid, mode_t mode, long long size, long long min);

/* PREFIX and the /proc/self/maps line of the mapping that holds ADDR. */
void print_maps_line(const char *prefix, const void *addr);
/* Shared_FIELD + Private_FIELD ("Dirty") in kB, one read of ADDR's smaps entry; or -1. */
long smaps_kb(const void *addr, const char *field);
/* Run TOUCH(ARG) in a child: the signal that killed it, 0 if none, -1 if no fork. */
int signal_from_child(void (*touch)(void *arg), void *arg);

#endif
