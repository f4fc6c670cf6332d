# loses: killed
# The segment removed only at the end of the producer's run: a kill -KILL before that
# leaves it behind, when marking it as soon as both are attached would have freed it.
/if (shmctl(shmid, IPC_RMID, NULL) == -1)    \/\* from here/,+1d
s/^\( *\)return leave(r, &r->producer, &r->not_empty, why);/\1if (shmctl(shmid, IPC_RMID, NULL) == -1)\n\1    warn("shmctl(%d, IPC_RMID)", shmid);\n&/
