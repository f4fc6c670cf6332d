/* course.c - the helper library shared by the lessons (see course.h). */
#define _GNU_SOURCE
#include "course.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif

static const char *program_name = "program";
static const char *usage_line = "";

void course_init(const char *argv0, const char *usage)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

    if (argv0 && *argv0)
        program_name = slash ? slash + 1 : argv0;
    usage_line = usage ? usage : "";
    /* One line at a time even into a pipe or a file, so the order of stdout and
     * stderr lines stays true, and a test can follow a program as it runs. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* "./writer | head -n 1" must not kill us with SIGPIPE before we clean up: a
     * write to a closed pipe then fails with EPIPE instead, and we go on. */
    signal(SIGPIPE, SIG_IGN);
    /* Likewise a file size limit (ulimit -f): ftruncate or write past it then
     * fails with EFBIG, which we report and clean up after, instead of dying of
     * SIGXFSZ with a half-made file left behind. */
    signal(SIGXFSZ, SIG_IGN);
}

const char *errno_name(int err)
{
    static const struct { int value; const char *name; } names[] = {
#define NAME(e) { e, #e }
        NAME(EPERM), NAME(ENOENT), NAME(ESRCH), NAME(EINTR), NAME(EIO),
        NAME(ENXIO), NAME(E2BIG), NAME(ENOEXEC), NAME(EBADF), NAME(ECHILD),
        NAME(EAGAIN), NAME(ENOMEM), NAME(EACCES), NAME(EFAULT), NAME(EBUSY),
        NAME(EEXIST), NAME(EXDEV), NAME(ENODEV), NAME(ENOTDIR), NAME(EISDIR),
        NAME(EINVAL), NAME(ENFILE), NAME(EMFILE), NAME(ETXTBSY), NAME(EFBIG),
        NAME(ENOSPC), NAME(ESPIPE), NAME(EROFS), NAME(EMLINK), NAME(ERANGE),
        NAME(ENAMETOOLONG), NAME(ENOSYS), NAME(ELOOP), NAME(EIDRM), NAME(EOVERFLOW),
        NAME(EDQUOT), NAME(ENOTSUP), NAME(ETIMEDOUT), NAME(ECANCELED),
#undef NAME
    };
    static char unknown[32];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].value == err)
            return names[i].name;
    snprintf(unknown, sizeof unknown, "errno %d", err);
    return unknown;
}

/* One line: "prog: WHAT[: ENAME (message)][; HINT]". */
__attribute__((format(printf, 3, 0)))
static void report(int err, const char *hint, const char *fmt, va_list ap)
{
    char what[1024];

    vsnprintf(what, sizeof what, fmt, ap);
    fflush(stdout);
    if (err)
        fprintf(stderr, "%s: %s: %s (%s)", program_name, what, errno_name(err),
                strerror(err));
    else
        fprintf(stderr, "%s: %s", program_name, what);
    if (hint)
        fprintf(stderr, "; %s", hint);
    fputc('\n', stderr);
}

noreturn void fail(const char *fmt, ...)
{
    int err = errno;
    va_list ap;

    va_start(ap, fmt);
    report(err, NULL, fmt, ap);
    va_end(ap);
    exit(EXIT_CALL_FAILED);
}

noreturn void fail_hint(const char *hint, const char *fmt, ...)
{
    int err = errno;
    va_list ap;

    va_start(ap, fmt);
    report(err, hint, fmt, ap);
    va_end(ap);
    exit(EXIT_CALL_FAILED);
}

noreturn void fail_msg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(0, NULL, fmt, ap);
    va_end(ap);
    exit(EXIT_CALL_FAILED);
}

void warn(const char *fmt, ...)
{
    int err = errno;
    va_list ap;

    va_start(ap, fmt);
    report(err, NULL, fmt, ap);
    va_end(ap);
    errno = err;
}

void warn_msg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(0, NULL, fmt, ap);
    va_end(ap);
}

void warn_hint(const char *hint, const char *fmt, ...)
{
    int err = errno;
    va_list ap;

    va_start(ap, fmt);
    report(err, hint, fmt, ap);
    va_end(ap);
    errno = err;
}

noreturn void usage_error(const char *fmt, ...)
{
    char what[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "%s: %s (usage: %s %s)\n", program_name, what, program_name,
            usage_line);
    exit(EXIT_USAGE);
}

/* Quote at most 40 characters of a bad argument, so a 5000-character one still
 * gives one readable line. */
static const char *shorten(const char *text, char *buf, size_t size)
{
    if (strlen(text) < 40)
        return text;
    snprintf(buf, size, "%.32s...", text);
    return buf;
}

unsigned long parse_number(const char *arg_name, const char *text,
                           unsigned long min, unsigned long max)
{
    char shown[48];
    char *end;
    unsigned long value;

    if (text == NULL || *text == '\0')
        usage_error("%s is empty: expected a number from %lu to %lu", arg_name, min, max);
    /* strtoul skips blanks and accepts a sign ("-1" becomes ULONG_MAX): allow only
     * digits, so nothing surprising gets through. */
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            usage_error("%s '%s' is not a whole number from %lu to %lu", arg_name,
                        shorten(text, shown, sizeof shown), min, max);
    errno = 0;
    value = strtoul(text, &end, 10);
    if (errno == ERANGE || value < min || value > max)
        usage_error("%s '%s' is out of range: expected %lu to %lu", arg_name,
                    shorten(text, shown, sizeof shown), min, max);
    return value;
}

const char *parse_path(const char *arg_name, const char *text)
{
    if (text == NULL || *text == '\0')
        usage_error("%s is empty: expected a path", arg_name);
    if (strlen(text) >= PATH_MAX) {
        char shown[48];

        usage_error("%s '%s' is too long: a path has fewer than %d bytes", arg_name,
                    shorten(text, shown, sizeof shown), PATH_MAX);
    }
    return text;
}

int parse_options(int argc, char *argv[], unsigned *seconds, bool *pause,
                  int max_positional)
{
    int opt;

    /* "+": stop at the first non-option; ":": report a missing value ourselves,
     * in our one-line format (and opterr = 0 keeps getopt's own message out). */
    opterr = 0;
    while ((opt = getopt(argc, argv, "+:t:w")) != -1) {
        if (opt == ':')
            usage_error("option -%c needs a value", optopt);
        else if (opt == 't' && seconds != NULL)
            *seconds = (unsigned) parse_number("SECONDS", optarg, 1, 3600);
        else if (opt == 'w' && pause != NULL)
            *pause = true;
        else
            usage_error("unknown option -%c", opt == '?' ? optopt : opt);
    }
    if (argc - optind > max_positional)
        usage_error("too many arguments");
    return optind;
}

const char *lesson_dir(void)
{
    static char dir[PATH_MAX];
    char here[PATH_MAX];
    char *slash;

    if (realpath("/proc/self/exe", dir) == NULL || (slash = strrchr(dir, '/')) == NULL)
        return ".";                     /* no /proc: the current directory */
    *(slash == dir ? slash + 1 : slash) = '\0';
    if (realpath(".", here) != NULL && strcmp(here, dir) == 0)
        return ".";
    return dir;
}

volatile sig_atomic_t stop_signal;

static void note_stop_signal(int sig)
{
    stop_signal = sig;
}

void catch_stop_signals(void)
{
    static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = note_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;            /* no SA_RESTART: a pause returns early with EINTR */
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (sigaction(signals[i], &sa, NULL) == -1)
            fail("sigaction(%d)", signals[i]);
}

void deadline_start(struct deadline *d, unsigned seconds)
{
    if (clock_gettime(CLOCK_MONOTONIC, &d->end) == -1)
        fail("clock_gettime");
    d->end.tv_sec += seconds;
    d->pause_ns = 100 * 1000;
    d->seconds = seconds;
}

bool deadline_pause(struct deadline *d)
{
    struct timespec now, pause;

    if (stop_signal)
        return false;
    if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
        fail("clock_gettime");
    if (now.tv_sec > d->end.tv_sec ||
        (now.tv_sec == d->end.tv_sec && now.tv_nsec >= d->end.tv_nsec))
        return false;
    pause.tv_sec = 0;
    pause.tv_nsec = d->pause_ns;
    nanosleep(&pause, NULL);            /* EINTR is fine: we look at stop_signal */
    if (d->pause_ns < 5 * 1000 * 1000)
        d->pause_ns *= 2;
    return stop_signal == 0;
}

const char *wait_end_reason(const struct deadline *d)
{
    static char reason[64];

    switch (stop_signal) {
    case 0:
        snprintf(reason, sizeof reason, "timed out after %u s", d->seconds);
        break;
    case SIGINT:
        return "interrupted by SIGINT";
    case SIGTERM:
        return "interrupted by SIGTERM";
    case SIGHUP:
        return "interrupted by SIGHUP";
    default:
        snprintf(reason, sizeof reason, "interrupted by signal %d", (int) stop_signal);
    }
    return reason;
}

const char *dir_not_private(const struct stat *st)
{
    if (!S_ISDIR(st->st_mode))
        return "it is not a directory";
    /* Whoever may write the directory may put a file or a symlink at the name
     * first, or swap the file later: only us. A group may write it only when it
     * is our own primary group (a per-user group, as umask 002 systems use). */
    if (st->st_mode & S_IWOTH)
        return "every user may write there, so anyone could take the file's name "
               "first; use a directory of your own, e.g. d=$(mktemp -d) or "
               "d=$(mktemp -d /dev/shm/lab.XXXXXX)";
    if (st->st_uid != geteuid() || ((st->st_mode & S_IWGRP) && st->st_gid != getegid()))
        return "another user owns it, or a group other than yours may write there, so "
               "someone else could take the file's name first; use a directory of your "
               "own, e.g. d=$(mktemp -d)";
    return NULL;
}

int open_when_ready(const char *dir, const char *name, int flags, unsigned seconds,
                    char *path, struct stat *st)
{
    struct deadline d;
    char what[PATH_MAX + 32];

    if (snprintf(path, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        usage_error("DIR is too long");
    /* A missing directory is an error now; a missing file is worth a wait. */
    if (stat(dir, st) == -1)
        fail("stat(\"%s\")", dir);
    snprintf(what, sizeof what, "the writer to create %s", name);
    deadline_start(&d, seconds);
    for (;;) {
        int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

        if (fd == -1 && errno != ENOENT)
            fail_hint(errno == ELOOP ? "it is a symbolic link: refusing it" : NULL,
                      "open(\"%s\", %s|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK)", path,
                      (flags & O_ACCMODE) == O_RDWR ? "O_RDWR" : "O_RDONLY");
        if (fd != -1) {
            if (fstat(fd, st) == -1)
                fail("fstat(\"%s\")", path);
            if (file_not_ours(st, 0) != NULL)
                return fd;              /* sized, or not the writer's */
            close(fd);
        }
        if (!keep_waiting(&d, what))
            fail_msg("no %s: %s", path, wait_end_hint(&d, "start ./writer first"));
    }
}

const char *wait_end_hint(const struct deadline *d, const char *hint)
{
    static char text[256];

    if (stop_signal)
        return wait_end_reason(d);
    snprintf(text, sizeof text, "%s; %s", wait_end_reason(d), hint);
    return text;
}

bool keep_waiting(struct deadline *d, const char *what)
{
    if (d->pause_ns == 100 * 1000)      /* no pause yet: this is the first miss */
        fprintf(stderr, "%s: waiting up to %u s for %s\n", program_name, d->seconds, what);
    return deadline_pause(d);
}

const char *signal_name(int sig)
{
    static char other[32];

    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGKILL: return "SIGKILL";
    case SIGPIPE: return "SIGPIPE";
    case SIGUSR1: return "SIGUSR1";
    case SIGABRT: return "SIGABRT";
    case 0: return "no signal";
    default:
        snprintf(other, sizeof other, "signal %d", sig);
        return other;
    }
}

const char *segment_not_ours(const struct shmid_ds *ds, size_t min_size)
{
    static char why[128];

    if (ds->shm_perm.uid != geteuid())
        snprintf(why, sizeof why, "it belongs to uid %u, not to you (uid %u)",
                 (unsigned) ds->shm_perm.uid, (unsigned) geteuid());
    else if ((ds->shm_perm.mode & 0777) != 0600)
        snprintf(why, sizeof why, "its mode is %03o, not 600",
                 (unsigned) (ds->shm_perm.mode & 0777));
    else if ((size_t) ds->shm_segsz < min_size)
        snprintf(why, sizeof why, "it has %zu bytes, fewer than the %zu needed",
                 (size_t) ds->shm_segsz, min_size);
    else
        return NULL;
    return why;
}

const char *file_not_ours(const struct stat *st, off_t size)
{
    static char why[128];

    if (!S_ISREG(st->st_mode))
        snprintf(why, sizeof why, "it is not a regular file");
    else if (st->st_uid != geteuid())
        snprintf(why, sizeof why, "it belongs to uid %u, not to you (uid %u)",
                 (unsigned) st->st_uid, (unsigned) geteuid());
    else if ((st->st_mode & 0777) != 0600)
        snprintf(why, sizeof why, "its mode is %03o, not 600",
                 (unsigned) (st->st_mode & 0777));
    else if (st->st_size != size)
        snprintf(why, sizeof why, "it has %lld bytes, not %lld",
                 (long long) st->st_size, (long long) size);
    else
        return NULL;
    return why;
}

const char *key_in_use_hint(key_t key)
{
    static char hint[320];
    int saved_errno = errno;            /* the caller's EEXIST, for fail_hint() */
    FILE *table = fopen("/proc/sysvipc/shm", "r");
    char line[512];
    long id = -1, uid = -1, nattch = -1, cpid = -1;

    while (table != NULL && fgets(line, sizeof line, table)) {
        long row_key, rid, size, row_cpid, lpid, n, u;
        unsigned perms;

        if (sscanf(line, "%ld %ld %o %ld %ld %ld %ld %ld", &row_key, &rid, &perms,
                   &size, &row_cpid, &lpid, &n, &u) == 8 && row_key == (long) key) {
            id = rid;
            cpid = row_cpid;
            nattch = n;
            uid = u;
            break;
        }
    }
    if (table != NULL)
        fclose(table);
    if (id == -1)
        snprintf(hint, sizeof hint, "another segment has key 0x%08x: see ipcs -m; "
                 "'make clean-ipc' removes this course's leftovers", (unsigned) key);
    else if (cpid > 0 && (kill((pid_t) cpid, 0) == 0 || errno == EPERM))
        snprintf(hint, sizeof hint, "shmid %ld (uid %ld, nattch %ld) has key 0x%08x, and "
                 "its creator, pid %ld, is still running: let it finish, or stop it, "
                 "then try again", id, uid, nattch, (unsigned) key, cpid);
    else
        snprintf(hint, sizeof hint, "shmid %ld (uid %ld, nattch %ld) already has key "
                 "0x%08x, left by an earlier run: 'make clean-ipc' removes this "
                 "course's leftovers, or: ipcrm -m %ld", id, uid, nattch,
                 (unsigned) key, id);
    errno = saved_errno;
    return hint;
}

bool message_copy(const struct message *shared, size_t shared_size,
                  char *out, size_t out_size, const char **why)
{
    uint32_t magic, length;

    if (shared_size < sizeof *shared) {
        *why = "the shared area is smaller than a message header";
        return false;
    }
    magic = *(const volatile uint32_t *) &shared->magic;
    if (magic != MESSAGE_MAGIC) {
        *why = "bad magic: this is not a message written by these lessons";
        return false;
    }
    /* Read once, through a volatile lvalue, so the compiler cannot load it again
     * after the check: the other process may change it at any moment. */
    length = *(const volatile uint32_t *) &shared->length;
    if (length > shared_size - sizeof *shared) {
        *why = "the length in the header is larger than the shared area";
        return false;
    }
    if (length >= out_size) {
        *why = "the message is longer than the reader's buffer";
        return false;
    }
    memcpy(out, shared->text, length);
    out[length] = '\0';
    /* The writer may have put a NUL inside: keep what a C string would show. */
    *why = NULL;
    return true;
}

/* Find the line of /proc/self/maps whose range holds ADDR. */
static bool find_maps_line(const void *addr, char *line, size_t size)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    uintptr_t target = (uintptr_t) addr;
    bool found = false;

    if (maps == NULL)
        return false;
    while (!found && fgets(line, (int) size, maps)) {
        unsigned long start, end;

        if (sscanf(line, "%lx-%lx", &start, &end) == 2 && target >= start && target < end)
            found = true;
    }
    fclose(maps);
    if (found)
        line[strcspn(line, "\n")] = '\0';
    return found;
}

void print_maps_line(const char *prefix, const void *addr)
{
    char line[512];

    if (find_maps_line(addr, line, sizeof line))
        printf("%s%s\n", prefix, line);
    else
        printf("%s(no mapping holds %p)\n", prefix, addr);
}

void print_sysvipc_row(const char *prefix, int shmid)
{
    FILE *table = fopen("/proc/sysvipc/shm", "r");
    char line[512];

    if (table == NULL) {
        printf("%s(cannot open /proc/sysvipc/shm)\n", prefix);
        return;
    }
    /* The first columns: key shmid perms size cpid lpid nattch uid (the key in
     * decimal, perms in octal). Later ones: gid cuid cgid atime dtime ctime rss swap. */
    while (fgets(line, sizeof line, table)) {
        long key, id, size, cpid, lpid, nattch, uid;
        unsigned perms;

        if (sscanf(line, "%ld %ld %o %ld %ld %ld %ld %ld", &key, &id, &perms, &size,
                   &cpid, &lpid, &nattch, &uid) == 8 && id == shmid) {
            fclose(table);
            printf("%skey %ld shmid %ld perms %o size %ld cpid %ld lpid %ld nattch %ld "
                   "uid %ld\n", prefix, key, id, perms, size, cpid, lpid, nattch, uid);
            return;
        }
    }
    fclose(table);
    printf("%s(no row for shmid %d)\n", prefix, shmid);
}

bool read_smaps_counts(const void *addr, struct smaps_counts *out)
{
    FILE *smaps = fopen("/proc/self/smaps", "r");
    uintptr_t target = (uintptr_t) addr;
    char line[512];
    bool inside = false, found = false;

    if (smaps == NULL)
        return false;
    memset(out, 0, sizeof *out);
    while (fgets(line, sizeof line, smaps)) {
        unsigned long start, end;
        char field[64];
        long kb;

        if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
            if (inside)
                break;                  /* the entry we wanted is complete */
            inside = target >= start && target < end;
            found = found || inside;
            continue;
        }
        if (!inside || sscanf(line, "%63[^:]: %ld kB", field, &kb) != 2)
            continue;
        if (strcmp(field, "Rss") == 0)
            out->rss_kb = kb;
        else if (strcmp(field, "Shared_Clean") == 0)
            out->shared_clean_kb = kb;
        else if (strcmp(field, "Shared_Dirty") == 0)
            out->shared_dirty_kb = kb;
        else if (strcmp(field, "Private_Clean") == 0)
            out->private_clean_kb = kb;
        else if (strcmp(field, "Private_Dirty") == 0)
            out->private_dirty_kb = kb;
    }
    fclose(smaps);
    return found;
}

void fault_on_purpose(const volatile void *addr, size_t len)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
    VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(addr, len);
#else
    (void) addr;
    (void) len;
#endif
}

int signal_from_child(void (*touch)(void *arg), void *arg)
{
    int status;
    pid_t child;

    fflush(NULL);                       /* or the child would print our buffer twice */
    child = fork();
    if (child == -1)
        return -1;
    if (child == 0) {
        prctl(PR_SET_DUMPABLE, 0);      /* a fault on purpose leaves no core file */
        /* The kernel's own action, even in a sanitizer build whose runtime would
         * otherwise catch the fault and exit instead of dying of it. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        touch(arg);
        _exit(0);
    }
    while (waitpid(child, &status, 0) == -1)
        if (errno != EINTR)
            return -1;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}
