# loses: symlink to a regular file
# O_NOFOLLOW on SOURCE too, "to be safe": a symlink to a regular file is ELOOP, though
# only DEST must not be followed.
s/open(src, O_RDONLY | O_CLOEXEC)/open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)/
