# loses: one line on stdout
# Says nothing on success: the README's line on stdout is missing.
/^    if (status == 0)$/,/printf("mmapcopy: copied/d
