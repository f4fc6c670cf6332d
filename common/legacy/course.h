/* course.h - the small helper library shared by the lessons.
 *
 * It reports errors (with the errno name), parses arguments strictly, waits with a
 * deadline, and opens small windows onto /proc so a lesson can show what the kernel
 * did. It never wraps a call that a lesson teaches: shmget, shmat, mmap and friends
 * stay written out in the lessons, each with its own error check.
 *
 * To copy a lesson out without this library, see common/README.md.
 */
#ifndef COURSE_H
#define COURSE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>

/* ---- messages and exit codes ------------------------------------------------ */

enum { EXIT_CALL_FAILED = 1, EXIT_USAGE = 2 };

/* Remember the program's name and its usage line, for every message after this;
 * make stdout line-buffered even into a pipe or a file; and ignore SIGPIPE and
 * SIGXFSZ, so a closed pipe or a file size limit is an error we report and clean
 * up after, not a death that leaves things behind. */
void course_init(const char *argv0, const char *usage);

/* The symbolic name of an errno value: "ENOENT". */
const char *errno_name(int err);

/* "prog: WHAT: ENAME (message)" using the current errno; exits 1. */
noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same line with a next step after it: "...; HINT"; exits 1. */
noreturn void fail_hint(const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "prog: WHAT" for a failure that has no errno (a refused segment, bad contents). */
noreturn void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As fail() and fail_msg(), but return, for errors met while cleaning up. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As warn(), with a next step after the message: "...; HINT". */
void warn_hint(const char *hint, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "prog: WHAT (usage: ...)"; exits 2. */
noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- arguments --------------------------------------------------------------- */

/* A whole decimal number in [min, max], or a usage error naming ARG_NAME.
 * Rejects "", "12x", " 12", "-1", "+1", and anything that overflows. */
unsigned long parse_number(const char *arg_name, const char *text,
                           unsigned long min, unsigned long max);
/* A non-empty path shorter than PATH_MAX, or a usage error naming ARG_NAME. */
const char *parse_path(const char *arg_name, const char *text);
/* The options of the lesson programs, then a check of the count of the rest.
 * -t SECONDS (1..3600) sets *SECONDS, if SECONDS is not NULL; -w sets *PAUSE, if
 * PAUSE is not NULL; any other option, a missing value, or more than
 * MAX_POSITIONAL further arguments is a usage error. Options come first (getopt's
 * "+"), so "-1" after them is a positional argument, and refused there as such.
 * Returns the index in ARGV of the first positional argument. */
int parse_options(int argc, char *argv[], unsigned *seconds, bool *pause,
                  int max_positional);

/* The default KEYPATH or DIR: the directory this program's file is in, which is
 * its lesson's directory inside the learner's own clone, wherever it is run from
 * (so no two learners share a default, and nobody falls back on /tmp's key).
 * Given as "." when that is the current directory. */
const char *lesson_dir(void);

/* ---- stopping and waiting ------------------------------------------------------ */

/* The signal (SIGINT, SIGTERM, SIGHUP) that asked us to stop, or 0. */
extern volatile sig_atomic_t stop_signal;
/* Install handlers that only set stop_signal, without SA_RESTART, so a wait is
 * interrupted and the program can clean up in its main flow. */
void catch_stop_signals(void);

struct deadline {
    struct timespec end;      /* CLOCK_MONOTONIC */
    long pause_ns;            /* grows from 100 us to 5 ms */
    unsigned seconds;
};
void deadline_start(struct deadline *d, unsigned seconds);
/* Pause briefly before the caller checks its condition again. Returns false when
 * the deadline has passed or a stop signal arrived: time to give up. */
bool deadline_pause(struct deadline *d);
/* Why the wait ended: "interrupted by SIGINT" or "timed out after 10 s". */
const char *wait_end_reason(const struct deadline *d);
/* The same, with a next step for a timeout only: "timed out after 10 s; HINT"
 * (after Ctrl-C the learner needs no advice). */
const char *wait_end_hint(const struct deadline *d, const char *hint);
/* deadline_pause(), and on the first call a notice on stderr:
 * "reader: waiting up to 10 s for WHAT". For a wait that happens only sometimes
 * (a reader started before its writer), so the notice is not part of the
 * transcript. Returns false when it is time to give up. */
bool keep_waiting(struct deadline *d, const char *what);
/* "SIGSEGV", "SIGBUS", "SIGINT"...: the name a shell would print. */
const char *signal_name(int sig);

/* ---- a message in shared memory ------------------------------------------------ */

/* The layout the lessons from 03 on put at the start of a segment or file. The
 * reader treats it as hostile: it checks magic and state, copies the length once,
 * checks it against the size it mapped, and adds its own NUL. */
#define MESSAGE_MAGIC 0x314d4853u          /* "SHM1" in memory on x86 */
enum message_state {
    MESSAGE_EMPTY = 0,      /* zero-filled: nobody has written yet */
    MESSAGE_WRITING = 1,    /* the writer is changing text[] */
    MESSAGE_READY = 2,      /* text[] is complete */
    MESSAGE_SEEN = 3,       /* the reader has taken a copy */
};
struct message {
    uint32_t magic;
    _Atomic uint32_t state;     /* enum message_state */
    _Atomic uint32_t sequence;  /* bumped by the writer at each update */
    uint32_t length;            /* bytes in text[], no NUL */
    char text[];
};
/* Copy the text out of a message that lives in SHARED_SIZE bytes of shared memory
 * into OUT (OUT_SIZE bytes, NUL-terminated). On failure returns false and sets
 * *WHY to the reason ("bad magic", "length 9000 is larger than the segment"). */
bool message_copy(const struct message *shared, size_t shared_size,
                  char *out, size_t out_size, const char **why);

/* ---- can we trust it? ------------------------------------------------------------- */

/* Keys, owners and modes of segments are public, and anyone may create a segment
 * at our key first, or a file at our path. These say why an object found there is
 * not the one our writer made, or return NULL when it is: owned by geteuid(), mode
 * exactly 0600, and big enough (a segment) or exactly the expected size (a regular
 * file). Fill DS with shmctl(IPC_STAT) and ST with fstat() first. */
const char *segment_not_ours(const struct shmid_ds *ds, size_t min_size);
const char *file_not_ours(const struct stat *st, off_t size);
/* Why a directory is no place for a file with a fixed name, or NULL: it must be a
 * directory of ours that no other user can write to (a group only if it is our
 * own primary group), or someone could put a file or a symlink at that name
 * first (as in /tmp or /dev/shm). Fill ST with stat(). */
const char *dir_not_private(const struct stat *st);
/* The reader's side of a mapped-file lesson, as lesson 06 writes it out: check
 * that DIR exists, then wait up to SECONDS for the writer's file DIR/NAME (its
 * path is put in PATH, PATH_MAX bytes), open it with FLAGS | O_NOFOLLOW |
 * O_CLOEXEC | O_NONBLOCK (a symlink at the name is refused, a FIFO cannot block),
 * and fstat it into ST. An empty file of ours is one the writer has only just
 * created: it waits for it to be sized. Exits 1 on a refused name, a timeout or
 * Ctrl-C; returns the descriptor. The caller checks ST with file_not_ours(). */
int open_when_ready(const char *dir, const char *name, int flags, unsigned seconds,
                    char *path, struct stat *st);

/* The next step after shmget(IPC_CREAT|IPC_EXCL) fails with EEXIST: which segment
 * has the key (from /proc/sysvipc/shm), and either that its creator is still
 * running (let it finish) or how to remove what an earlier run left:
 * "shmid 42 (uid 1000, nattch 0) already has key 0x4101d2a5, left by an earlier
 * run: 'make clean-ipc' removes this course's leftovers, or: ipcrm -m 42". */
const char *key_in_use_hint(key_t key);

/* ---- windows onto /proc ----------------------------------------------------------- */

/* Print PREFIX and the /proc/self/maps line of the mapping that holds ADDR. */
void print_maps_line(const char *prefix, const void *addr);
/* Print PREFIX and the first columns of SHMID's /proc/sysvipc/shm row, labelled:
 * "key 1090537541 shmid 3 perms 600 size 100 cpid 4242 lpid 0 nattch 0 uid 1000"
 * (the key in decimal as that file has it; perms in octal, 1600 once marked for
 * removal), or "(no row for shmid N)". */
void print_sysvipc_row(const char *prefix, int shmid);
/* The kB figures of the /proc/self/smaps entry that holds ADDR. */
struct smaps_counts {
    long rss_kb, shared_clean_kb, shared_dirty_kb, private_clean_kb, private_dirty_kb;
};
bool read_smaps_counts(const void *addr, struct smaps_counts *out);

/* ---- faults on purpose ------------------------------------------------------------ */

/* Say that the next access to LEN bytes at ADDR faults on purpose: valgrind's
 * memcheck then does not count that access as an error (every other one still
 * counts). Outside valgrind it does nothing. Call it in the child, just before. */
void fault_on_purpose(const volatile void *addr, size_t len);

/* Run TOUCH(ARG) in a child process with core dumps off, and return the number of
 * the signal that killed the child, 0 if it exited normally, -1 if fork failed.
 * This lets a lesson show a SIGSEGV or SIGBUS without dying of it. */
int signal_from_child(void (*touch)(void *arg), void *arg);

#endif
