#!/usr/bin/env bash
# Lesson 00 test: the writer's message reaches the reader through a segment at the
# key of the current directory (glibc's ftok formula), which stays between the two
# with mode 600, size 4096 and nattch 0, and which the reader removes; the reader
# refuses a segment that is not the writer's; EEXIST and ENOENT say what to do; both
# programs build alone with plain cc and system headers only, within 60 lines.
# shellcheck source=tests/lib.sh disable=SC2154 # out and err are set there
. "$TESTS_DIR/lib.sh"

key=$(ftok_key "$TEST_TMP" 65)
cleanup() { ipcrm -M "$key" 2>/dev/null; return 0; }
trap cleanup EXIT
out_is() { grep -Fqx -- "$1" "$out"; }
# The run's status is $1, its stderr has a line matching each further regex.
says() { local want=$1 line; shift; status_is "$want" || return 1
         for line; do err_has "$line" || return 1; done; }
short_and_plain() { ! grep -q '^#include "' "$1" && (( $(wc -l <"$1") <= 60 )); }

run --vg writer
ok "writer exits 0" status_is 0
shmid=$(field_of "$out" '^writer: key' 5 | tr -d :)
ok "writer's key is glibc's ftok(\".\", 'A') ($key), and it wrote the message" \
    out_is "writer: key $key, shmid $shmid: wrote \"hello, shared memory\", detached"
read -r perms size nattch < <(segment_row "$key" | awk '{ print $3, $4, $7 }')
ok "between the two, the segment stays: perms 600, size 4096, nattch 0" \
    test "${perms:-} ${size:-} ${nattch:-}" == "600 4096 0"

run --vg reader
ok "reader exits 0" status_is 0
ok "reader reads exactly the writer's message and removes the segment" \
    out_is "reader: key $key, shmid $shmid: read \"hello, shared memory\", removed the segment"
ok "the segment is gone" no_segment "$key"

run writer $'your text, a bell\a and an escape\e[31m'
run reader
ok "a message of your own; control characters reach the terminal as ?" \
    out_is "reader: key $key, shmid $(field_of "$out" '^reader' 5 | tr -d :): read \"your text, a bell? and an escape?[31m\", removed the segment"

run reader
ok "reader alone: exit 1, 'run ./writer first', then perror's ENOENT message" \
    says 1 "reader: no segment at key $key: run ./writer first" "shmget: No such file or directory"

run writer
run writer
ok "a second writer: exit 1, the key is taken, and the way out" \
    says 1 "writer: key $key is taken \(ipcs -m shows it\); if an earlier ./writer left it, ./reader removes it" \
        "shmget: File exists"
run reader
ok "... and ./reader removes it, as the hint says" says 0
ok "... nothing is left at the key" no_segment "$key"

# A segment planted at the key with mode 644 (perl's shmget: no shell tool makes one).
if perl -e 'shmget(hex($ARGV[0]), 4096, 01000 | 02000 | 0644) // exit 1' "$key"; then
    run reader
    ok "reader refuses a segment with mode 644" says 1 "reader: shmid [0-9]+ is not the writer.s: refusing it"
    ok "... and leaves it alone" test -n "$(segment_row "$key")"
    cleanup
else
    skip "reader refuses a segment with mode 644" "perl could not create one"
fi

run writer --help
ok "writer --help: usage, exit 0" says 0 "usage: ./writer .*"
run reader --help
ok "reader --help: usage, exit 0" says 0 "usage: ./reader .*"
run reader extra
ok "reader with an argument: usage, exit 2" says 2 "usage: ./reader .*"
run writer one two
ok "writer with two arguments: usage, exit 2" says 2 "usage: ./writer .*"
ok "... nothing created" no_segment "$key"
run writer "$(printf 'x%.0s' {1..4096})"
ok "a 4096-byte message does not fit: usage, exit 2" says 2 "usage: ./writer .*"

for prog in writer reader; do
    ok "$prog.c: system headers only, at most 60 lines" short_and_plain "$LESSON_DIR/$prog.c"
    ok "$prog.c builds alone: cc -std=c11 -Wall -Wextra -Werror $prog.c" \
        cc -std=c11 -Wall -Wextra -Werror -o "$TEST_TMP/$prog-alone" "$LESSON_DIR/$prog.c"
done
