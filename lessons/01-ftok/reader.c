#define _GNU_SOURCE
/* reader.c - lesson 01: derive the writer's key on your own; see what changes it.
 *
 * Start it after the writer, before it, or alone: nothing waits, because a key is
 * only a number computed from a file. Given the writer's path and proj_id the
 * reader prints the writer's key: that agreement is the whole rendezvous. Then it
 * follows a key file of its own, in a private directory, through its life:
 * created; deleted (ftok now fails with -1, itself a valid key); created again;
 * replaced. It removes the file and the directory on every path.
 *
 * Usage: reader [KEYPATH [PROJ_ID]]
 *        the same defaults as the writer: KEYPATH ".", PROJ_ID 65 ('A')
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

/* Make an empty file that is ours alone: O_EXCL never reuses an existing
 * file, O_NOFOLLOW refuses a symbolic link planted at the name. */
static bool create_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd == -1) {
        warn("open(\"%s\", O_CREAT|O_EXCL|O_NOFOLLOW, 0600)", path);
        return false;
    }
    close(fd);                      /* empty, nothing to flush: cannot lose data */
    return true;
}

/* The key file's last key and inode number; key -1 before the first. */
struct seen {
    key_t key;
    ino_t ino;
};

/* Print the inode and key of PATH, and whether the key changed. */
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
    if (last->key != -1 && key != last->key)
        change = ": a new key";
    else if (last->key != -1)
        change = st.st_ino == last->ino ? ": the same key (inode number reused)"
                                        : ": the same key (same low 16 inode bits)";
    printf("reader: %s: inode %ju, key 0x%08x%s\n", what, (uintmax_t) st.st_ino,
           (unsigned) key, change);
    last->key = key;
    last->ino = st.st_ino;
    return true;
}

/* Remove the key file, if it is there, and the directory. */
static bool remove_all(const char *dir, const char *path)
{
    if (unlink(path) == -1 && errno != ENOENT) {
        warn("unlink(\"%s\")", path);
        return false;               /* rmdir would fail: ENOTEMPTY */
    }
    if (rmdir(dir) == -1) {
        warn("rmdir(\"%s\")", dir);
        return false;
    }
    return true;
}

int main(int argc, char *argv[])
{
    const char *keypath = ".";
    int proj_id = 'A', shmid, status = EXIT_FAILURE;
    char dir[] = "/tmp/ftok-01.XXXXXX", path[64], spare[64];
    struct seen last = { .key = -1 };
    key_t key;

    course_init(argv[0], "[KEYPATH [PROJ_ID]]");
    if (argc > 3)
        usage_error("too many arguments");
    if (argc > 1)
        keypath = parse_path("KEYPATH", argv[1]);
    if (argc > 2)
        proj_id = (int) parse_number("PROJ_ID", argv[2], 1, 255);

    // slide: agree
    /* The writer's path and proj_id give the writer's key: nothing
     * passed between the two, they computed the same number. */
    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);
    // end slide

    /* From here on we own things to remove. Ctrl-C only notes the signal,
     * and these few milliseconds of work run to the end; a closed output
     * pipe (./reader | head -n 2) gives EPIPE instead of killing us. */
    catch_stop_signals();
    signal(SIGPIPE, SIG_IGN);
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
    printf("reader: deleted it: ftok returns -1 (%s)\n",
           errno_name(errno));
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
    if (shmid != -1)
        printf("reader: -1 is also key 0x%08x: shmget created segment %d"
               " with it (now removed)\n", (unsigned) key, shmid);
    else
        printf("reader: -1 is also key 0x%08x: a segment already exists"
               " there (EEXIST)\n", (unsigned) key);

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
    if (rename(spare, path) == -1) {
        warn("rename(\"%s\", \"%s\")", spare, path);
        unlink(spare);
        goto out_remove;
    }
    if (!show_key("replaced it by rename()", path, proj_id, &last))
        goto out_remove;
    status = EXIT_SUCCESS;

out_remove:
    if (remove_all(dir, path))
        printf("reader: removed %s\n", dir);
    else
        status = EXIT_FAILURE;
    if (stop_signal) {
        warn_msg("stopped by signal %d, after cleaning up", (int) stop_signal);
        status = EXIT_FAILURE;
    }
    return status;
}
