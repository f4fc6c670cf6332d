#define _GNU_SOURCE
/* writer.c - lesson 01: a System V key from a path and a proj_id, and what it is made of.
 *
 * Start it alone, or with the reader in any order: ftok creates nothing, so nobody
 * waits. The writer computes the key that names its objects from lesson 02 on,
 * then builds the same number by hand from stat(): proj_id, the file's device and
 * its inode number, cut down and packed into 32 bits. It is not a hash.
 *
 * Usage: writer [KEYPATH [PROJ_ID]]   (defaults: this lesson's directory, 65 ('A'))
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/stat.h>

#include "course.h"

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 'A', arg;
    unsigned by_hand;
    struct stat st;
    key_t key, same;

    course_init(argv[0], "[KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, NULL, 2);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)     /* 0 is unspecified by POSIX, and 256 counts as 0 */
        proj_id = (int) parse_number("PROJ_ID", argv[arg], 1, 255);

    // slide: ftok
    /* ftok stat()s the path and packs what it finds into a key_t; it creates
     * nothing. -1 is its error AND a valid key: always check it. */
    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("writer: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);
    // end slide

    // slide: by-hand
    /* The same key by hand, as glibc builds it (sysvipc/ftok.c). Unsigned
     * shifts: 0x80 << 24 would overflow an int. */
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
        fail_msg("0x%08x is not ftok's key 0x%08x: has \"%s\" just been replaced?",
                 by_hand, (unsigned) key, keypath);

    // slide: low-byte
    /* Only the low 8 bits of proj_id count: 256 more is the same key. */
    same = ftok(keypath, proj_id + 256);
    if (same == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id + 256);
    printf("writer: proj_id %d (%d + 256) gives %s: 0x%08x\n", proj_id + 256,
           proj_id, same == key ? "the same key" : "another key", (unsigned) same);
    // end slide
    return EXIT_SUCCESS;
}
