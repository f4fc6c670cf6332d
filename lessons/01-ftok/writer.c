#define _GNU_SOURCE
/* writer.c - lesson 01: turn a path and a proj_id into a System V key with ftok.
 *
 * Start it first, or alone: ftok creates nothing, so nobody waits for anybody.
 * The writer derives a key from KEYPATH and PROJ_ID, then builds the same number
 * by hand from stat(): a key is the file's device and inode numbers, packed with
 * proj_id into 32 bits. Then it varies proj_id: another one gives another key,
 * only its low 8 bits count, and 0x80 and above make the key (an int) negative.
 *
 * Usage: writer [KEYPATH [PROJ_ID]]
 *        defaults: KEYPATH the lesson directory, PROJ_ID 65 ('A'); PROJ_ID 1..255
 *
 *   terminal 1$ ./writer          terminal 2$ ./reader
 *   writer: key 0x4100d2a5 from ftok(".", 65)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/stat.h>

#include "course.h"

/* ftok, checked: a failure returns -1, which is also a usable key. */
static key_t checked_ftok(const char *keypath, int proj_id)
{
    key_t key = ftok(keypath, proj_id);

    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    return key;
}

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 'A', other_id, first;
    unsigned by_hand;
    key_t key, other;
    struct stat st;

    course_init(argv[0], "[KEYPATH [PROJ_ID]]");
    first = parse_options(argc, argv, NULL, NULL, 2);
    if (argc > first)
        keypath = parse_path("KEYPATH", argv[first]);
    if (argc > first + 1)
        proj_id = (int) parse_number("PROJ_ID", argv[first + 1], 1, 255);

    // slide: ftok
    /* ftok stat()s the path and packs what it finds into a key_t. It
     * creates nothing. On failure it returns -1: check it, because -1
     * is a valid key that every failing program would share. */
    key = ftok(keypath, proj_id);
    if (key == -1)
        fail_hint(errno == ENOENT ? "give a path that exists" : NULL,
                  "ftok(\"%s\", %d)", keypath, proj_id);
    printf("writer: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);
    // end slide

    // slide: by-hand
    /* The same key by hand, as glibc builds it (sysvipc/ftok.c). The
     * shifts are unsigned: 0x80 << 24 would overflow a signed int. */
    if (stat(keypath, &st) == -1)
        fail("stat(\"%s\")", keypath);
    by_hand = ((unsigned) proj_id & 0xff) << 24
            | ((unsigned) st.st_dev & 0xff) << 16
            | ((unsigned) st.st_ino & 0xffff);
    // end slide
    printf("writer: stat(\"%s\") gives st_dev %ju, st_ino %ju\n", keypath,
           (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);
    printf("writer: (%d & 0xff) << 24 | (%ju & 0xff) << 16 | (%ju & 0xffff)"
           " = 0x%08x\n", proj_id, (uintmax_t) st.st_dev,
           (uintmax_t) st.st_ino, by_hand);
    if (by_hand != (unsigned) key)
        fail_msg("0x%08x is not ftok's key 0x%08x: has \"%s\" just changed?",
                 by_hand, (unsigned) key, keypath);
    printf("writer: that is ftok's key: proj_id, 8 bits of st_dev, "
           "16 bits of st_ino\n");

    // slide: proj-id
    /* One path, many keys: proj_id tells apart the objects of one
     * program. Only its low 8 bits count, and 0 is unspecified. */
    other_id = proj_id == 255 ? 1 : proj_id + 1;
    other = checked_ftok(keypath, other_id);
    printf("writer: proj_id %d gives %s: 0x%08x\n", other_id,
           other == key ? "the same key" : "another key",
           (unsigned) other);
    other = checked_ftok(keypath, proj_id + 0x100);
    printf("writer: proj_id %d (%#x) gives %s: 0x%08x\n",
           proj_id + 0x100, (unsigned) proj_id + 0x100, other == key ?
           "the same key, as only 8 bits count" : "another key",
           (unsigned) other);
    // end slide
    other = checked_ftok(keypath, proj_id | 0x80);
    printf("writer: proj_id %d (%#x) gives 0x%08x, negative as an int: %d\n",
           proj_id | 0x80, (unsigned) (proj_id | 0x80), (unsigned) other,
           (int) other);
    return EXIT_SUCCESS;
}
