# loses: IPC_EXCL
# Without IPC_EXCL, shmget hands back whatever segment already has the key.
s/IPC_CREAT | IPC_EXCL | 0600)/IPC_CREAT | 0600)/
