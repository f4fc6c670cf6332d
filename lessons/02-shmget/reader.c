#define _GNU_SOURCE
/* reader.c - lesson 02: find a segment by its key, read the kernel's record, remove it.
 *
 * Start this after ./writer has exited (or before: it waits for the segment). It
 * derives the same key from the same path, looks the segment up without IPC_CREAT,
 * reads what the kernel recorded with shmctl(IPC_STAT), checks the segment is ours
 * (owner, mode 0600, at least SIZE bytes), and removes it with shmctl(IPC_RMID).
 *
 * Usage: reader [-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]
 *        (defaults: 10 s, this lesson's directory, 65, 100)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "course.h"

int main(int argc, char *argv[])
{
    const char *keypath = lesson_dir(), *why;
    int proj_id = 'A', arg, shmid;
    unsigned seconds = 10;
    size_t size = 100;
    struct shmid_ds ds;
    char proc[32];
    key_t key;

    course_init(argv[0], "[-t SECONDS] [KEYPATH [PROJ_ID [SIZE]]]");
    arg = parse_options(argc, argv, &seconds, 3);
    if (arg < argc)
        keypath = parse_path("KEYPATH", argv[arg++]);
    if (arg < argc)
        proj_id = (int) parse_number("PROJ_ID", argv[arg++], 1, 255);
    if (arg < argc)
        size = parse_number("SIZE", argv[arg++], 1, 1UL << 30);

    key = ftok(keypath, proj_id);
    if (key == -1)
        fail("ftok(\"%s\", %d)", keypath, proj_id);
    printf("reader: key 0x%08x from ftok(\"%s\", %d)\n",
           (unsigned) key, keypath, proj_id);

    // slide: lookup
    /* No IPC_CREAT: find the segment, or ENOENT: not created yet, so wait
     * (bounded). Size 0 accepts any size: IPC_STAT tells the real one. */
    struct deadline d = { .seconds = seconds };
    while ((shmid = shmget(key, 0, 0)) == -1) {
        if (errno != ENOENT)
            fail("shmget(key 0x%08x, 0, 0)", (unsigned) key);
        if (!keep_waiting(&d, "the writer to create the segment"))
            fail_msg("no segment for key 0x%08x: %s", (unsigned) key,
                     wait_end_reason(&d));
    }
    // end slide
    printf("reader: found shmid %d\n", shmid);

    // slide: inspect
    /* Keys, owners and modes are public (ipcs -m): anyone may have created
     * a segment at our key first. Trust it only if it is ours. */
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        fail("shmctl(%d, IPC_STAT)", shmid);
    why = not_ours(ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_perm.mode, ds.shm_segsz,
                   (long long) size);
    if (why != NULL)
        fail_msg("shmid %d: %s: refusing it", shmid, why);
    // end slide
    printf("reader: shm_perm: owner uid %u (me), mode %03o\n",
           (unsigned) ds.shm_perm.uid, (unsigned) (ds.shm_perm.mode & 0777));
    printf("reader: shm_segsz %zu: the size asked, not rounded up to a %ld-byte page\n",
           (size_t) ds.shm_segsz, sysconf(_SC_PAGESIZE));
    printf("reader: shm_nattch %lu: attached processes (it needs none to exist)\n",
           (unsigned long) ds.shm_nattch);
    snprintf(proc, sizeof proc, "/proc/%d", (int) ds.shm_cpid);
    printf("reader: shm_cpid %d: its creator, which %s\n", (int) ds.shm_cpid,
           access(proc, F_OK) == 0 ? "is still running"
                                   : "has exited: the segment outlived it");

    // slide: remove
    /* The last user of the segment removes it: nobody else will. */
    if (shmctl(shmid, IPC_RMID, NULL) == -1)
        fail("shmctl(%d, IPC_RMID)", shmid);
    // end slide
    printf("reader: removed shmid %d: the key is free again\n", shmid);
    return EXIT_SUCCESS;
}
