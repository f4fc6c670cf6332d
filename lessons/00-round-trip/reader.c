/* reader.c - lesson 00: the whole System V round trip, reader side.
 * Finds the writer's segment by the key of the current directory, checks that it
 * is the writer's, copies the message out, detaches and removes the segment.
 * Build: cc -std=c11 -Wall -Wextra -o reader reader.c   Usage: ./reader
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#define SIZE 4096                       /* as in the writer */
static void die(const char *what) { perror(what); exit(EXIT_FAILURE); }

int main(int argc, char *argv[])
{
    char text[SIZE];
    const char *mem;
    struct shmid_ds ds;
    int shmid;
    key_t key;

    if (argc > 1) {
        fprintf(stderr, "usage: ./reader   (after ./writer, in the same directory)\n");
        return strcmp(argv[1], "--help") == 0 ? EXIT_SUCCESS : 2;
    }
    key = ftok(".", 'A');
    if (key == -1)
        die("ftok");
    shmid = shmget(key, 0, 0);          /* find it, no IPC_CREAT: size 0 is any */
    if (shmid == -1 && errno == ENOENT)
        fprintf(stderr, "reader: no segment at key 0x%08x: run ./writer first\n",
                (unsigned) key);
    if (shmid == -1)
        die("shmget");
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        die("shmctl(IPC_STAT)");
    /* Keys are public: trust only a 0600 segment I own and made, big enough, detached. */
    if (ds.shm_perm.uid != geteuid() || ds.shm_perm.cuid != geteuid() ||
        (ds.shm_perm.mode & 0777) != 0600 || ds.shm_segsz < SIZE || ds.shm_nattch != 0) {
        fprintf(stderr, "reader: shmid %d is not the writer's: refusing it\n", shmid);
        return EXIT_FAILURE;
    }
    mem = shmat(shmid, NULL, SHM_RDONLY);       /* read-only: we only look */
    if (mem == (void *) -1)
        die("shmat");
    memcpy(text, mem, SIZE - 1);        /* untrusted: a bounded copy, our own NUL */
    text[SIZE - 1] = '\0';
    for (char *p = text; *p; p++)       /* and no escape codes to the terminal */
        *p = (unsigned char) *p < ' ' || *p == 0x7f ? '?' : *p;
    if (shmdt(mem) == -1)
        die("shmdt");
    if (shmctl(shmid, IPC_RMID, NULL) == -1)    /* remove it: the last user */
        die("shmctl(IPC_RMID)");
    printf("reader: key 0x%08x, shmid %d: read \"%s\", removed the segment\n",
           (unsigned) key, shmid, text);
    return EXIT_SUCCESS;
}
