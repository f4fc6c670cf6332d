# loses: mode 0600
# A segment anyone may read and write: another user's process could attach it.
s/IPC_CREAT | IPC_EXCL | 0600)/IPC_CREAT | IPC_EXCL | 0666)/
