#define _GNU_SOURCE
/* reader.c - lesson 01: the writer's key, computed on its own; another proj_id, another key.
 *
 * Start it after the writer, before it, or alone: nothing passes between the two.
 * Given the writer's path and proj_id it computes the writer's key: that agreement
 * is the whole rendezvous. Then one path with another proj_id: another key, so
 * one file can name several objects.
 *
 * Usage: reader [KEYPATH [PROJ_ID]]   (defaults, as the writer's: this lesson's directory, 65)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>

#include "course.h"

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir();
    int proj_id = 'A', other_id, arg;
    key_t key, other;

    course_init(argv[0], "[KEYPATH [PROJ_ID]]");
    arg = parse_options(argc, argv, NULL, 2);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg], 1, 255);

    // slide: agree
    /* The writer's path and proj_id give the writer's key: nothing was
     * sent, both sides computed the same number from the same file. */
    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);
    // end slide

    // slide: other-id
    /* One path, several keys: proj_id tells apart the objects of a program. */
    other_id = proj_id % 255 + 1;       /* the next one in 1..255 */
    other = ftok(keypath, other_id);
    if (other == -1)
        fail("ftok(\"%s\", %d)", keypath, other_id);
    printf("reader: proj_id %d gives %s: 0x%08x\n", other_id,
           other == key ? "the same key" : "another key", (unsigned) other);
    // end slide
    return EXIT_SUCCESS;
}
