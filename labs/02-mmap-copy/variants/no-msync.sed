# loses: msync
# No msync: munmap and close write nothing back (lesson 08), yet it says "copied".
/if (msync(out, size, MS_SYNC) == -1) {/,/^        }$/d
