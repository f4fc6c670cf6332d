/* writer.c - lesson 00: the whole System V round trip, writer side.
 *
 * Creates a shared memory segment at the key of the current directory, writes a
 * message into it, detaches and exits. The segment stays, with the message, until
 * the reader removes it. Run ./writer first, then ./reader, in the same directory.
 *
 * Build: cc -std=c11 -Wall -Wextra -o writer writer.c   Usage: ./writer [MESSAGE]
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>

#define SIZE 4096                       /* bytes: one page */

/* Say what failed, with errno's message, and stop. */
static void die(const char *what) { perror(what); exit(EXIT_FAILURE); }

int main(int argc, char *argv[])
{
    const char *text = argc > 1 ? argv[1] : "hello, shared memory";
    key_t key;
    int shmid;
    char *mem;

    if (argc > 2 || (argc == 2 && (strcmp(text, "--help") == 0 || strlen(text) >= SIZE))) {
        fprintf(stderr, "usage: ./writer [MESSAGE]   (MESSAGE under %d bytes)\n", SIZE);
        return argc == 2 && strcmp(text, "--help") == 0 ? EXIT_SUCCESS : 2;
    }
    key = ftok(".", 'A');               /* the name both sides agree on */
    if (key == -1)                      /* -1 is also a valid key: always check */
        die("ftok");
    /* Create only: IPC_EXCL fails if the key is taken. 0600: me alone. */
    shmid = shmget(key, SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1 && errno == EEXIST)
        fprintf(stderr, "writer: key 0x%08x is taken (ipcs -m shows it); if an earlier "
                "./writer left it, ./reader removes it\n", (unsigned) key);
    if (shmid == -1)
        die("shmget");
    mem = shmat(shmid, NULL, 0);        /* map it into this process */
    if (mem == (void *) -1) {
        perror("shmat");
        shmctl(shmid, IPC_RMID, NULL);  /* nobody has used it: undo */
        return EXIT_FAILURE;
    }
    snprintf(mem, SIZE, "%s", text);    /* plain memory now, shared */
    if (shmdt(mem) == -1)               /* unmap it; the segment stays */
        die("shmdt");
    printf("writer: key 0x%08x, shmid %d: wrote \"%s\", detached\n", (unsigned) key,
           shmid, text);
    return EXIT_SUCCESS;
}
