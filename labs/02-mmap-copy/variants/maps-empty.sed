# loses: empty file
# Maps SOURCE whatever its size: an empty one is mmap(length 0), EINVAL.
s/^    if (size > 0) {             \/\* mmap of length 0.*/    {/
