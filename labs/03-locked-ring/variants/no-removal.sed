# loses: nothing left behind
# only: short lines
# The producer never removes its segment: every run leaves one (ipcs -m).
/if (shmctl(shmid, IPC_RMID, NULL) == -1)    \/\* from here/,+1d
