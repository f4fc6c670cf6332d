# loses: exists
# "On any failure, remove DEST", also when open() refused it: the user's file is gone.
/^    if (out_fd == -1)$/,/O_CLOEXEC, 0600)", dst);/c\
    if (out_fd == -1) {\
        warn("open(%s, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)", dst);\
        unlink(dst);\
        return 1;\
    }
