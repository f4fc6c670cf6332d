# loses: stdout fails
# A consumer that never looks at what its writes did: with a full disk it drains
# the ring into nothing, exits 0, and the lines are lost without a word.
s/if (fwrite(text, 1, n, stdout) != n || fflush(stdout) == EOF || ferror(stdout))/if (fwrite(text, 1, n, stdout) != n \&\& 0)/
