#define _GNU_SOURCE
/* reader.c - lesson 01: derive the writer's key on your own; see what changes it.
 *
 * Start it after the writer, before it, or alone: nothing waits, as a key is only
 * a number computed from a file. From the writer's path and proj_id it prints the
 * writer's key: that agreement is the whole rendezvous. Then it follows a key file
 * of its own, in a private directory, through its life: created; deleted (ftok
 * fails with -1, itself a valid key); created again; replaced. It removes the file
 * and the directory on every path.
 *
 * Usage: reader [KEYPATH [PROJ_ID]]
 *        the same defaults as the writer: KEYPATH the lesson directory, PROJ_ID 65 ('A')
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 *   reader: key 0x4100d2a5 from ftok(".", 65)
 *   ...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

/* A new empty file, ours alone: O_EXCL never reuses an existing file,
 * O_NOFOLLOW refuses a symbolic link planted at the name. */
static bool create_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd == -1)
        warn("open(\"%s\", O_CREAT|O_EXCL|O_NOFOLLOW, 0600)", path);
    else
        close(fd);              /* nothing written, so nothing to lose */
    return fd != -1;
}

/* The key file's last key and inode number (0 before the first: no file has
 * inode 0, while -1 is a key like any other). */
struct seen { key_t key; ino_t ino; };

/* Print PATH's inode and key, and how the key compares with the last. */
static bool show_key(const char *what, const char *path, int proj_id,
                     struct seen *last)
{
    const char *change = "";
    struct stat st;
    key_t key = ftok(path, proj_id);

    if (key == -1 || stat(path, &st) == -1) {
        warn("%s(\"%s\")", key == -1 ? "ftok" : "stat", path);
        return false;
    }
    if (last->ino != 0 && key != last->key)
        change = ": a new key";
    else if (last->ino != 0)
        change = st.st_ino == last->ino ? ": the same key (inode number reused)"
                                        : ": the same key (same low 16 inode bits)";
    printf("reader: %s: inode %ju, key 0x%08x%s\n", what, (uintmax_t) st.st_ino,
           (unsigned) key, change);
    last->key = key;
    last->ino = st.st_ino;
    return true;
}

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 'A', first, shmid, status = EXIT_FAILURE;
    char dir[] = "/tmp/ftok-01.XXXXXX", path[64], spare[64];
    struct seen last = { 0 };
    key_t key;

    course_init(argv[0], "[KEYPATH [PROJ_ID]]");
    first = parse_options(argc, argv, NULL, NULL, 2);
    if (argc > first)
        keypath = parse_path("KEYPATH", argv[first]);
    if (argc > first + 1)
        proj_id = (int) parse_number("PROJ_ID", argv[first + 1], 1, 255);

    // slide: agree
    /* The writer's path and proj_id give the writer's key: nothing
     * passed between the two, they computed the same number. */
    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);
    // end slide

    /* From here on there is something to remove: Ctrl-C only notes the
     * signal, and these few milliseconds of work run to the end. */
    catch_stop_signals();
    if (mkdtemp(dir) == NULL)       /* a new directory, mode 0700: ours alone */
        fail("mkdtemp(\"%s\")", dir);
    snprintf(path, sizeof path, "%s/key-file", dir);
    snprintf(spare, sizeof spare, "%s/key-file.new", dir);
    printf("reader: made %s, mode 0700, for a key file of its own\n", dir);
    if (!create_file(path) ||
        !show_key("created key-file", path, proj_id, &last))
        goto out_remove;

    // slide: deleted
    if (unlink(path) == -1) {
        warn("unlink(\"%s\")", path);
        goto out_remove;
    }
    key = ftok(path, proj_id);      /* the path is gone */
    if (key != -1 || errno != ENOENT) {
        warn_msg("ftok of a deleted file did not fail with ENOENT");
        goto out_remove;
    }
    printf("reader: deleted it: ftok returns -1 (ENOENT)\n");
    // end slide

    // slide: minus-one
    /* A program that forgets the check uses -1 as a key: 0xffffffff.
     * It works, and every such program on the machine shares it. */
    shmid = shmget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1 && errno != EEXIST) {
        warn("shmget(key 0x%08x, 1, IPC_CREAT|IPC_EXCL|0600)",
             (unsigned) key);
        goto out_remove;
    }
    if (shmid != -1 && shmctl(shmid, IPC_RMID, NULL) == -1) {
        warn("shmctl(%d, IPC_RMID)", shmid);   /* removed at once */
        goto out_remove;
    }
    // end slide
    printf("reader: -1 is also key 0x%08x: shmget %s\n", (unsigned) key,
           shmid == -1 ? "found a segment there (EEXIST)"
                       : "created a segment with it (now removed)");

    // slide: recreate
    /* A key names an inode, not a path: a new file under the old name
     * may or may not get the old key. */
    if (!create_file(path) ||
        !show_key("created it again", path, proj_id, &last))
        goto out_remove;
    // end slide
    /* Replacing a file, as editors and installers do (write a new file,
     * rename it over the old one), always gives another inode. */
    if (!create_file(spare))
        goto out_remove;
    if (rename(spare, path) == -1)
        warn("rename(\"%s\", \"%s\")", spare, path);
    else if (show_key("replaced it by rename()", path, proj_id, &last))
        status = EXIT_SUCCESS;

out_remove:
    /* Whatever is there, on every path (if an unlink fails, rmdir says so). */
    unlink(spare);
    unlink(path);
    if (rmdir(dir) == -1) {
        warn("rmdir(\"%s\")", dir);
        status = EXIT_FAILURE;
    } else {
        printf("reader: removed %s\n", dir);
    }
    if (stop_signal) {
        warn_msg("stopped by %s, after cleaning up", signal_name(stop_signal));
        status = EXIT_FAILURE;
    }
    return status;
}
