#!/usr/bin/env bash
# Lesson 07 test: after munmap a load at the old address is SIGSEGV, SEGV_MAPERR,
# with si_addr exactly that address (reported by the child's own handler); a
# partial munmap leaves the pages around the hole working and splits the maps
# line in two; munmap neither closes the fd nor removes the data, and close does
# not unmap; EINVAL for an unaligned address and for length 0. The writer leaves the file on purpose, its bytes intact; the
# reader checks it, reads it and removes it, and refuses what is not the writer's;
# the writer refuses a directory every user may write.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

dir=$TEST_TMP/d
mkdir -m 0700 "$dir"
file=$dir/mapped-07.dat
page=$(getconf PAGESIZE)
text='written through the mapping before munmap'

hex() { printf '0x%x' "$1"; }           # as %p prints an address
bare() { printf '%08x' "$1"; }          # as /proc/self/maps prints it
no_file() { [[ ! -e "$file" && ! -L "$file" ]]; }
# The bytes of FILE from OFFSET, COUNT of them.
bytes_at() { tail -c "+$(($2 + 1))" "$1" | head -c "$3"; }
child_said() { has_line "$w" "writer: child: SIGSEGV, si_code $1, si_addr $(hex "$2")"; }
# Exit status N and a line of stderr that matches REGEX; the second: that line alone.
fails_with() { status_is "$1" && err_has "$2"; }
fails_with_one_line() { fails_with "$@" && err_is_one_line; }
quiet_success() { status_is 0 && [[ ! -s "$err" ]]; }

# ---- the writer alone: three pages, a hole, two faults, and the file stays -------
run --vg writer "$dir"
w=$TEST_TMP/writer.txt
cp "$out" "$w"
ok "writer exits 0, nothing on stderr" quiet_success
base=$(sed -n 's/^writer: created .* mapped at \(0x[0-9a-f]*\)$/\1/p' "$w")
ok "writer says where it mapped the file ($base)" [ -n "$base" ]
base=$((base))
ok "created $((3 * page)) bytes, 3 pages" \
    has_line "$w" "writer: created $dir/mapped-07.dat, $((3 * page)) bytes \(3 pages of $page\), mapped at $(hex "$base")"
maps_line() {   # START END OFFSET: a rw-s line of the file
    has_line "$w" "writer: maps: $(bare "$1")-$(bare "$2") rw-s $3 [0-9a-f:]+ [0-9]+ +$dir/mapped-07.dat"
}
ok "before: one maps line for all 3 pages" maps_line "$base" $((base + 3 * page)) 00000000
ok "munmap of the middle page" \
    has_line "$w" "writer: munmap\($(hex $((base + page))), $page\): the middle page is unmapped"
ok "after: a line for page 0 alone" maps_line "$base" $((base + page)) 00000000
ok "after: no mapping holds the middle page" \
    has_line "$w" "writer: maps: \(no mapping holds $(hex $((base + page)))\)"
ok "after: a line for page 2 alone, file offset $((2 * page))" \
    maps_line $((base + 2 * page)) $((base + 3 * page)) "$(printf '%08x' $((2 * page)))"
ok "one maps line before the partial munmap, two after: 3 in all" \
    [ "$(grep -c ' rw-s .*/mapped-07.dat$' "$w")" = 3 ]
ok "pages 0 and 2 still work after the partial munmap" \
    has_line "$w" "writer: page 0 still reads '$text', page 2 still takes a store: 'last page'"
ok "munmap does not close: fstat and pread still work on the fd" \
    has_line "$w" "writer: after munmap the fd still works: fstat says $((3 * page)) bytes, pread at offset $page reads 'middle page'"
ok "a load from the hole: SEGV_MAPERR at exactly the hole" \
    child_said SEGV_MAPERR $((base + page))
ok "munmap over the hole is no error" \
    has_line "$w" "writer: munmap\($(hex "$base"), $((2 * page + 1))\) over the hole: no error, rounded up to 3 pages"
ok "... and 2 pages + 1 byte unmapped page 2 too: rounded up to 3 pages" \
    has_line "$w" "writer: maps: \(no mapping holds $(hex $((base + 2 * page)))\)"
ok "after the last munmap: SEGV_MAPERR at the unmapped address itself" \
    child_said SEGV_MAPERR "$base"
# Each "a child loads from ADDR" line, then the child's own si_addr: equal, twice.
loads_and_faults() {
    grep -A1 '^writer: a child loads from' "$w" |
        sed -n 's/^writer: a child loads from \(0x[0-9a-f]*\),.*/\1/p; s/^writer: child: .*si_addr //p' |
        paste - - | awk '$1 == $2 { n++ } END { print n + 0 }'
}
ok "each child's si_addr is the address it was sent to load from (2 of 2)" \
    [ "$(loads_and_faults)" = 2 ]

# The file after the writer has unmapped everything and exited.
ok "the file stays after munmap and exit: mode 600, $((3 * page)) bytes" \
    [ "$(stat -c '%a %s %F' "$file")" = "600 $((3 * page)) regular file" ]
read -r magic state sequence length < <(od -An -tx4 -N16 "$file")
ok "its header: magic SHM1, state READY, sequence 1, length ${#text} (od)" \
    [ "$magic $state $sequence $((16#$length))" = "314d4853 00000002 00000001 ${#text}" ]
ok "the message text is in the file at offset 16" [ "$(bytes_at "$file" 16 ${#text})" = "$text" ]
ok "the unmapped middle page's bytes are in the file at $page" \
    [ "$(bytes_at "$file" "$page" 11)" = 'middle page' ]
ok "the store after the partial munmap reached the file at $((2 * page))" \
    [ "$(bytes_at "$file" $((2 * page)) 9)" = 'last page' ]
ok "grep -a finds the message in the file" grep -aq "$text" "$file"

# ---- a second writer meets the leftover file --------------------------------------
run writer "$dir"
ok "a second writer stops: exit 1, EEXIST, what to do, one line" \
    fails_with_one_line 1 "writer: open\($file, O_RDWR\|O_CREAT\|O_EXCL\|O_NOFOLLOW\|O_CLOEXEC, 0600\): EEXIST .*; .*\./reader reads and removes it.*"

# ---- the reader, after the writer has gone ---------------------------------------
run --vg reader "$dir"
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0, nothing on stderr" quiet_success
rbase=$(sed -n 's/^reader: .* mapped it read-only at \(0x[0-9a-f]*\)$/\1/p' "$r")
rbase=$((rbase))
ok "reader checks the file: regular, mine, $((3 * page)) bytes" \
    has_line "$r" "reader: $dir/mapped-07.dat is a regular file of mine, $((3 * page)) bytes: mapped it read-only at $(hex "$rbase")"
ok "close does not unmap: the r--s maps line is there after close(fd)" \
    has_line "$r" "reader: closed the fd; the mapping stays: $(bare "$rbase")-$(bare $((rbase + 3 * page))) r--s 00000000 [0-9a-f:]+ [0-9]+ +$dir/mapped-07.dat"
ok "reader reads the message the writer wrote before it unmapped and exited" \
    has_line "$r" "reader: the message in the file: '$text'"
ok "munmap of a range with nothing mapped: no error" \
    has_line "$r" "reader: munmap\($(hex "$rbase"), $((3 * page))\) again: no error, though nothing is mapped there"
ok "munmap of an unaligned address (addr + 1): EINVAL" \
    has_line "$r" "reader: munmap\($(hex $((rbase + 1))), $page\): EINVAL, the address is not page-aligned"
ok "munmap of length 0: EINVAL" \
    has_line "$r" "reader: munmap\($(hex "$rbase"), 0\): EINVAL, the length is 0"
ok "the next mmap reuses the old address; the stale pointer reads it, no fault" \
    has_line "$r" "reader: the next mmap got $(hex "$rbase") again: the old pointer reads 0x00 there, no fault"
ok "the reader says it removed the file" has_line "$r" "reader: removed $file"
ok "... and the file is gone" no_file

# Memcheck checked the fault children too: one log for the writer and one for
# each child, every one with no error (the runner checks the same for all logs).
if [[ -n "$VALGRIND" ]]; then
    clean_logs() { grep -l 'ERROR SUMMARY: 0 errors' "$TEST_TMP"/.valgrind/writer.*.log | wc -l; }
    ok "valgrind: the writer and its 2 children ran under memcheck, 0 errors in each" \
        [ "$(clean_logs)" = 3 ]
else
    skip "valgrind: the fault children run under memcheck with 0 errors" "valgrind is not in use"
fi

# AddressSanitizer: the runner turns its SIGSEGV handler off (handle_segv=0). With
# it on, the child's own sigaction, installed later, still replaces it.
if grep -qa __asan_init "$LESSON_DIR/writer"; then
    mkdir -m 0700 "$TEST_TMP/asan"
    ASAN_OPTIONS=handle_segv=1:handle_sigbus=1 run writer "$TEST_TMP/asan"
    ok "ASan with handle_segv=1: the writer still exits 0" status_is 0
    ok "... and its children still report their faults themselves (2 of 2)" \
        [ "$(grep -c '^writer: child: SIGSEGV, si_code SEGV_MAPERR, si_addr 0x' "$out")" = 2 ]
    rm -r "$TEST_TMP/asan"
else
    skip "ASan with its own SIGSEGV handler on: the children's handlers still run" \
        "not an AddressSanitizer build"
fi

# ---- the pair at once, the reader first ---------------------------------------------
start early reader -t 20 "$dir"
wait_for_line "$TEST_TMP/early.err" "reader: waiting up to 20 s for the writer to create mapped-07.dat"
run writer "$dir"
ok "a writer started second exits 0" status_is 0
finish early
ok "a reader started first waits, then exits 0" status_is 0
ok "... having read the message" out_has "reader: the message in the file: '$text'"
ok "... and nothing is left" no_file

# ---- waiting ends: timeout, SIGINT, SIGTERM (each in a directory of its own, at once) --
for case in none empty blank int term; do
    mkdir -m 0700 "$TEST_TMP/$case"
done
install -m 600 /dev/null "$TEST_TMP/empty/mapped-07.dat"     # created, not yet sized
install -m 600 /dev/null "$TEST_TMP/blank/mapped-07.dat"
truncate -s $((3 * page)) "$TEST_TMP/blank/mapped-07.dat"     # sized, no message yet
for case in none empty blank; do
    start "$case" reader -t 1 "$TEST_TMP/$case"
done
start int reader -t 20 "$TEST_TMP/int"
start term reader -t 20 "$TEST_TMP/term"
for case in int term; do
    wait_for_line "$TEST_TMP/$case.err" 'reader: waiting up to 20 s'
    kill -"${case^^}" "${pid[$case]}"
done
finish none
ok "no file: the reader gives up after -t 1, exit 1, says what to do" \
    fails_with 1 "reader: no $TEST_TMP/none/mapped-07.dat: timed out after 1 s; start \./writer first"
finish empty
ok "a file of 0 bytes is one the writer has not sized yet: wait, then time out" \
    fails_with 1 "reader: no $TEST_TMP/empty/mapped-07.dat: timed out after 1 s; .*"
finish blank
ok "the right size but no message yet: wait, then time out" \
    fails_with 1 "reader: no message in $TEST_TMP/blank/mapped-07.dat: timed out after 1 s"
ok "... having said what it waits for" err_has "reader: waiting up to 1 s for the writer's message"
for case in int term; do
    finish "$case"
    ok "SIG${case^^} while the reader waits: exit 1, interrupted, says so" \
        fails_with 1 "reader: no $TEST_TMP/$case/mapped-07.dat: interrupted by SIG${case^^}"
done
rm -r "$TEST_TMP"/{none,empty,blank,int,term}

# ---- the reader refuses what is not the writer's file ------------------------------------
refused() { fails_with_one_line 1 "reader: $1"; }
install -m 600 /dev/null "$file"
truncate -s 100 "$file"
run reader -t 1 "$dir"
ok "a file of the wrong size is refused" \
    refused "$file: it has 100 bytes, not $((3 * page)): refusing it"
ok "... and left alone: not the reader's to remove" [ -f "$file" ]
truncate -s $((3 * page)) "$file"
chmod 644 "$file"
run reader -t 1 "$dir"
ok "a file of mode 644 is refused" refused "$file: its mode is 644, not 600: refusing it"
rm -f "$file"
mkdir "$file"
run reader -t 1 "$dir"
ok "a directory of that name is refused" refused "$file: it is not a regular file: refusing it"
run writer "$dir"
ok "... and the writer will not create over it (EEXIST)" \
    fails_with_one_line 1 "writer: open\($file, .*\): EEXIST .*"
rmdir "$file"
echo secret >"$TEST_TMP/target"
ln -s "$TEST_TMP/target" "$file"
run reader -t 1 "$dir"
ok "a symbolic link is refused (O_NOFOLLOW: ELOOP)" \
    refused "open\(\"$file\", O_RDONLY\|O_NOFOLLOW\|O_CLOEXEC\|O_NONBLOCK\): ELOOP .*; it is a symbolic link: refusing it"
run writer "$dir"
ok "... the writer will not follow it either (EEXIST)" \
    fails_with_one_line 1 "writer: open\($file, .*\): EEXIST .*"
ok "... and the link's target is untouched" [ "$(cat "$TEST_TMP/target")" = secret ]
rm -f "$file"
mkfifo -m 600 "$file"
start fifo reader -t 1 "$dir"
finish fifo
ok "a FIFO is refused at once (O_NONBLOCK: open does not hang)" \
    refused "$file: it is not a regular file: refusing it"
rm -f "$file"
install -m 600 /dev/null "$file"
printf 'XXXX\002\0\0\0\001\0\0\0\005\0\0\0hello' >"$file"
truncate -s $((3 * page)) "$file"
run reader -t 1 "$dir"
ok "bad contents (wrong magic) are refused" \
    refused "$file: bad magic: .*: refusing it"
rm -f "$file"
if really_root && id nobody >/dev/null 2>&1; then
    install -m 600 /dev/null "$file"
    truncate -s $((3 * page)) "$file"
    chown nobody "$file"
    run reader -t 1 "$dir"
    ok "a file owned by another user is refused" \
        refused "$file: it belongs to uid $(id -u nobody), not to you .*: refusing it"
    rm -f "$file"
else
    skip "a file owned by another user is refused" "needs the real root to chown a file"
fi

# ---- a directory every user may write (as /tmp, /dev/shm), sticky bit or not: refused --
for mode in 0777 1777; do
    mkdir -m 0700 "$TEST_TMP/open-$mode"
    chmod "$mode" "$TEST_TMP/open-$mode"
    run writer "$TEST_TMP/open-$mode"
    ok "writer: a directory of mode $mode is refused, one line, saying why" \
        fails_with_one_line 1 "writer: $TEST_TMP/open-$mode: every user may write there, so anyone could take the file's name first; use a directory of your own, .*mktemp -d.*"
    ok "... and nothing is created there" [ -z "$(ls -A "$TEST_TMP/open-$mode")" ]
    rmdir "$TEST_TMP/open-$mode"
done

# ---- a directory another user owns, or another group may write: refused ------------------
if really_root && id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null; then
    mkdir -m 0700 "$TEST_TMP/theirs" "$TEST_TMP/group"
    chown nobody "$TEST_TMP/theirs"
    chgrp nogroup "$TEST_TMP/group"
    chmod 0770 "$TEST_TMP/group"
    for d in theirs group; do
        run writer "$TEST_TMP/$d"
        ok "writer: a directory of $([[ $d == theirs ]] && echo "another user" || echo "another group, group-writable") is refused, one line" \
            fails_with_one_line 1 "writer: $TEST_TMP/$d: another user owns it, or a group other than yours may write there, .*"
        ok "... and nothing is created there" [ -z "$(ls -A "$TEST_TMP/$d")" ]
        rmdir "$TEST_TMP/$d"
    done
else
    skip "a directory of another user or group is refused" "needs the real root, the user nobody and the group nogroup"
fi

# ---- bad arguments -----------------------------------------------------------------------
usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1 .*\(usage: $prog .*\)"; }
for prog in writer reader; do
    run "$prog" "$TEST_TMP/missing"
    ok "$prog with a missing DIR: exit 1, ENOENT, one line" \
        fails_with_one_line 1 "$prog: .*missing.*: ENOENT .*"
    run "$prog" "$TEST_TMP/target"
    ok "$prog with a file for DIR: exit 1, one line" \
        fails_with_one_line 1 "$prog: .*target.*(ENOTDIR|not a directory).*"
    run "$prog" ''
    ok "$prog with an empty DIR: usage error" usage_fails 'DIR is empty:'
    for length in 5000 4090; do         # longer than PATH_MAX; too long with the name
        run "$prog" "$(printf "%${length}s" '' | tr ' ' d)"
        ok "$prog with a DIR of $length bytes: usage error" usage_fails 'DIR .*is too'
    done
    run "$prog" a b
    ok "$prog with too many arguments: usage error" usage_fails 'too many arguments'
    run "$prog" -x
    ok "$prog -x: usage error" usage_fails 'unknown option -x'
done
prog=reader
for bad in 0 3601 -1 x '' 99999999999999999999 '1 ' 1e3; do
    run reader -t "$bad" "$dir"
    ok "reader -t '$bad': usage error, exit 2, one line" usage_fails SECONDS
done
run reader -t
ok "reader -t without a value: usage error" usage_fails 'option -t needs a value'
ok "nothing is left in DIR" [ -z "$(ls -A "$dir")" ]
