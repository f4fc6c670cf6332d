# loses: symlink
# cp's flags: O_TRUNC for O_EXCL, no O_NOFOLLOW. DEST is whatever is at the name,
# and a symlink is followed to its target, which is overwritten.
s/O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)/O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)/
