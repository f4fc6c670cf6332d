#define _GNU_SOURCE
/* key-follows-inode.c - lesson 01: a key names a file's inode, not its path.
 *
 * Runs alone. In a new private directory inside DIR it follows a key file through
 * its life: created; deleted (ftok fails: -1, which is also a key); created again
 * (the same key if the file system hands back the freed inode number, as ext4
 * often does; tmpfs gives a new one); replaced by rename(), as editors save (a new
 * inode, a new key). It removes the file and the directory on every path.
 *
 * Usage: key-follows-inode [DIR]   (default: this lesson's directory; try /dev/shm)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

/* A new empty file, ours alone: O_EXCL never takes an existing one. */
static bool create_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd == -1)
        warn("open(\"%s\", O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", path);
    else
        close(fd);
    return fd != -1;
}

/* Print PATH's inode and key; with COMPARE, whether the key is still *LAST. */
static bool show_key(const char *what, const char *path, key_t *last, bool compare)
{
    struct stat st;
    key_t key = ftok(path, 'A');

    if (key == -1 || stat(path, &st) == -1) {
        warn("%s(\"%s\")", key == -1 ? "ftok" : "stat", path);
        return false;
    }
    printf("key-follows-inode: %s: inode %ju, key 0x%08x%s\n", what,
           (uintmax_t) st.st_ino, (unsigned) key,
           !compare ? "" : key == *last ? ": the same key" : ": a new key");
    *last = key;
    return true;
}

int main(int argc, char *argv[])
{
    const char *base = lesson_dir();
    char dir[PATH_MAX], path[PATH_MAX + 16], spare[PATH_MAX + 16];
    int status = EXIT_FAILURE, arg;
    key_t key, last = 0;

    course_init(argv[0], "[DIR]");
    arg = parse_options(argc, argv, NULL, 1);
    if (arg < argc)
        base = parse_path("DIR", argv[arg]);
    snprintf(dir, sizeof dir, "%s/ftok-01.XXXXXX", base);

    if (mkdtemp(dir) == NULL)   /* a new directory, mode 0700: ours alone */
        fail("mkdtemp(\"%s\")", dir);
    printf("key-follows-inode: made %s, mode 0700, for a key file\n", dir);
    snprintf(path, sizeof path, "%s/key-file", dir);
    snprintf(spare, sizeof spare, "%s/key-file.new", dir);
    if (!create_file(path) || !show_key("created key-file", path, &last, false))
        goto out_remove;

    // slide: deleted
    if (unlink(path) == -1) {
        warn("unlink(\"%s\")", path);
        goto out_remove;
    }
    key = ftok(path, 'A');          /* no file, no key */
    if (key != -1 || errno != ENOENT) {
        warn_msg("ftok of a deleted file gave 0x%08x, not -1 (ENOENT)", (unsigned) key);
        goto out_remove;
    }
    printf("key-follows-inode: deleted it: ftok returns -1 (ENOENT), "
           "which is also key 0x%08x\n", (unsigned) key);
    // end slide

    // slide: recreate
    /* The same name, a new file: the key follows the inode number. */
    if (!create_file(path) || !show_key("created it again", path, &last, true))
        goto out_remove;
    /* Replaced as editors and installers save: a new file renamed over it. */
    if (!create_file(spare))
        goto out_remove;
    if (rename(spare, path) == -1)
        warn("rename(\"%s\", \"%s\")", spare, path);
    else if (show_key("replaced it by rename()", path, &last, true))
        status = EXIT_SUCCESS;
    // end slide

out_remove:
    unlink(spare);                  /* whatever is there; rmdir tells if one stays */
    unlink(path);
    if (rmdir(dir) == -1) {
        warn("rmdir(\"%s\")", dir);
        status = EXIT_FAILURE;
    } else {
        printf("key-follows-inode: removed %s\n", dir);
    }
    if (stop_signal) {
        warn_msg("interrupted by SIG%s, after cleaning up", sigabbrev_np(stop_signal));
        status = EXIT_FAILURE;
    }
    return status;
}
