# loses: failed copy
# ftruncate's result unchecked: over the file size limit DEST stays 0 bytes, the
# memcpy into its mapping is SIGBUS, and the dead program leaves DEST behind.
s/^    if (ftruncate(out_fd, st.st_size) == -1) {$/    (void) ftruncate(out_fd, st.st_size);\
    if (0) {/
