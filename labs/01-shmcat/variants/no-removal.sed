# loses: nothing left behind
# only: writer started first
# The writer never removes its segment: every run leaves one (ipcs -m).
/if (shmctl(shmid, IPC_RMID, NULL) == -1)/,/fail("shmctl(%d, IPC_RMID)", shmid);/d
