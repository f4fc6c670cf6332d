# loses: failed copy
# A failure after DEST was created leaves it there, empty or half written.
/if (status != 0 && unlink(dst) == -1)/,/warn("unlink(%s)", dst);/d
