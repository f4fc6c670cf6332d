/* course.c - the helper library of the lessons (see course.h). */
#define _GNU_SOURCE
#include "course.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *program_name = "program";
static char usage_line[512];            /* "usage: prog ARGS" */
volatile sig_atomic_t stop_signal;
static void note_stop_signal(int sig) { stop_signal = sig; }

void course_init(const char *argv0, const char *usage)
{
    const char *slash = strrchr(argv0, '/');
    /* No SA_RESTART: a pause or a read ends at once, and the program cleans up. */
    struct sigaction stop = { .sa_handler = note_stop_signal };

    program_name = slash ? slash + 1 : argv0;
    snprintf(usage_line, sizeof usage_line, "usage: %s%s%s", program_name, *usage ? " " : "", usage);
    setvbuf(stdout, NULL, _IOLBF, 0);   /* stdout and stderr lines stay in order */
    signal(SIGPIPE, SIG_IGN);           /* a closed pipe, a file size limit: */
    signal(SIGXFSZ, SIG_IGN);           /* errors we report, not a death */
    sigaction(SIGINT, &stop, NULL), sigaction(SIGTERM, &stop, NULL), sigaction(SIGHUP, &stop, NULL);
}

/* "prog: WHAT[: ENAME (message)][; HINT]" */
__attribute__((format(printf, 3, 0)))
static void report(int err, const char *hint, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, fmt, ap);
    if (err)
        fprintf(stderr, ": %s (%s)", strerrorname_np(err), strerror(err));
    fprintf(stderr, "%s%s\n", hint ? "; " : "", hint ? hint : "");
}

#define REPORT(err, hint) do { va_list ap; va_start(ap, fmt); \
    report(err, hint, fmt, ap); va_end(ap); } while (0)

noreturn void fail(const char *fmt, ...) { REPORT(errno, NULL); exit(1); }
noreturn void fail_msg(const char *fmt, ...) { REPORT(0, NULL); exit(1); }
void warn(const char *fmt, ...) { int err = errno; REPORT(err, NULL); errno = err; }
void warn_msg(const char *fmt, ...) { REPORT(0, NULL); }
noreturn void fail_hint(const char *hint, const char *fmt, ...) { REPORT(errno, hint); exit(1); }

noreturn void usage_error(const char *fmt, ...)
{
    REPORT(0, NULL);
    fprintf(stderr, "%s\n", usage_line);
    exit(2);
}

int parse_options(int argc, char *argv[], unsigned *seconds, int max_args)
{
    int opt;

    if (argc > 1 && strcmp(argv[1], "--help") == 0)
        puts(usage_line), exit(0);
    opterr = 0;         /* "+": options first; ":": we report a missing value */
    while ((opt = getopt(argc, argv, seconds ? "+:t:" : "+:")) != -1) {
        if (opt == 't')
            *seconds = (unsigned) parse_number("SECONDS", optarg, 1, 3600);
        else if (opt == ':')
            usage_error("option -%c needs a value", optopt);
        else
            usage_error("unknown option '-%c'", optopt);
    }
    if (argc - optind > max_args)
        usage_error("too many arguments, from '%.40s'", argv[optind + max_args]);
    return optind;
}

unsigned long parse_number(const char *name, const char *text, unsigned long min,
                           unsigned long max)
{
    unsigned long value;

    /* strtoul alone takes blanks, signs ("-1" is ULONG_MAX) and junk after. */
    if (*text == '\0' || strspn(text, "0123456789") != strlen(text))
        usage_error("%s '%.40s' is not a whole number from %lu to %lu", name, text,
                    min, max);
    errno = 0;
    value = strtoul(text, NULL, 10);
    if (errno == ERANGE || value < min || value > max)
        usage_error("%s '%.40s' is out of range: expected %lu to %lu", name, text,
                    min, max);
    return value;
}

const char *parse_path(const char *name, const char *text)
{
    if (*text == '\0' || strlen(text) >= PATH_MAX || access(text, F_OK) == -1)
        usage_error("%s '%.40s' is not an existing file or directory", name, text);
    return text;
}

const char *lesson_dir(void)
{
    static char dir[PATH_MAX];
    char here[PATH_MAX], *slash;

    if (realpath("/proc/self/exe", dir) == NULL)
        return ".";
    slash = strrchr(dir, '/');          /* realpath gives an absolute path */
    *(slash == dir ? slash + 1 : slash) = '\0';
    return realpath(".", here) != NULL && strcmp(here, dir) == 0 ? "." : dir;
}

bool keep_waiting(struct deadline *d, const char *what)
{
    struct timespec now;
    long long now_ns;

    clock_gettime(CLOCK_MONOTONIC, &now);
    now_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
    if (d->pause_ns == 0) {             /* the first miss: the wait starts now */
        if (what)                       /* NULL: a wait the program already announced */
            fprintf(stderr, "%s: waiting up to %u s for %s\n", program_name, d->seconds, what);
        d->end_ns = now_ns + d->seconds * 1000000000LL;
    }
    if (stop_signal || now_ns >= d->end_ns)
        return false;
    d->pause_ns = d->pause_ns == 0 ? 100000 : d->pause_ns < 2500000 ? 2 * d->pause_ns : 5000000;
    nanosleep(&(struct timespec) { 0, d->pause_ns }, NULL);    /* EINTR: Ctrl-C */
    return stop_signal == 0;
}

const char *wait_end_reason(const struct deadline *d)
{
    static char reason[48];

    if (stop_signal)
        snprintf(reason, sizeof reason, "interrupted by SIG%s", sigabbrev_np(stop_signal));
    else
        snprintf(reason, sizeof reason, "timed out after %u s", d->seconds);
    return reason;
}

const char *message_copy(const struct message *shared, size_t shared_size, char *out,
                         size_t out_size)
{
    uint32_t length;

    if (shared_size < sizeof *shared ||
        *(const volatile uint32_t *) &shared->magic != MESSAGE_MAGIC)
        return "no message header of this course there (bad magic)";
    /* Once, through volatile: the other side may change it after our check. */
    length = *(const volatile uint32_t *) &shared->length;
    if (length > shared_size - sizeof *shared || length >= out_size)
        return "its length is larger than the room for it";
    memcpy(out, shared->text, length);
    out[length] = '\0';
    for (char *p = out; *p; p++)        /* no escape sequences to the terminal */
        if ((unsigned char) *p < ' ' || *p == 0x7f)
            *p = '?';
    return NULL;
}

const char *not_ours(uid_t uid, uid_t cuid, mode_t mode, long long size, long long min)
{
    static char why[96];

    if (uid != geteuid())
        snprintf(why, sizeof why, "it belongs to uid %u, not to you", (unsigned) uid);
    else if (cuid != geteuid())     /* IPC_SET gave it to us; its creator keeps access */
        snprintf(why, sizeof why, "uid %u created it (and keeps access)", (unsigned) cuid);
    else if ((mode & 0777) != 0600)
        snprintf(why, sizeof why, "its mode is %03o, not 600", (unsigned) (mode & 0777));
    else if (size < min)
        snprintf(why, sizeof why, "it has %lld bytes, fewer than %lld", size, min);
    else
        return NULL;
    return why;
}

/* FILE read up to the line of the range that holds ADDR, left in LINE; or NULL. */
static FILE *open_at(const char *file, const void *addr, char *line, int size)
{
    FILE *stream = fopen(file, "r");
    unsigned long start, end;

    while (stream != NULL && fgets(line, size, stream))
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
            (uintptr_t) addr >= start && (uintptr_t) addr < end)
            return stream;
    if (stream != NULL)
        fclose(stream);
    return NULL;
}

void print_maps_line(const char *prefix, const void *addr)
{
    char line[512];
    FILE *maps = open_at("/proc/self/maps", addr, line, sizeof line);

    if (maps == NULL)
        printf("%s(no mapping holds %p)\n", prefix, addr);
    else
        printf("%s%s", prefix, line), fclose(maps);
}

long smaps_kb(const void *addr, const char *field)
{
    char line[512], name[32];
    long kb = 0, value;
    FILE *smaps = open_at("/proc/self/smaps", addr, line, sizeof line);

    while (smaps != NULL && fgets(line, sizeof line, smaps) &&   /* up to VmFlags */
           sscanf(line, "%31[A-Za-z_]: %ld kB", name, &value) == 2)
        if ((strncmp(name, "Shared_", 7) == 0 && strcmp(name + 7, field) == 0) ||
            (strncmp(name, "Private_", 8) == 0 && strcmp(name + 8, field) == 0))
            kb += value;
    return smaps != NULL && fclose(smaps) == 0 ? kb : -1;
}

int signal_from_child(void (*touch)(void *arg), void *arg)
{
    int status;
    pid_t child = fork();

    if (child == 0) {
        prctl(PR_SET_DUMPABLE, 0);      /* no core file for a fault on purpose */
        signal(SIGSEGV, SIG_DFL);       /* the kernel's action, even under ASan */
        signal(SIGBUS, SIG_DFL);
        touch(arg);
        _exit(0);
    }
    while (child != -1 && waitpid(child, &status, 0) == -1)
        if (errno != EINTR)
            return -1;
    return child == -1 ? -1 : WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}
