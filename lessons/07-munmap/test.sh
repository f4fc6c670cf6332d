#!/usr/bin/env bash
# Lesson 07 test: after munmap a load at the old address is SIGSEGV with si_code
# SEGV_MAPERR and si_addr exactly that address, as the writer's own handler reports;
# munmap closes no fd and leaves the file, its size and its bytes; close does not
# unmap. The reader waits for the file and for the message, refuses at once what is
# not the writer's, reads the message and removes the file. An empty file is waited
# for while it is new (a writer between open and ftruncate), refused at once when
# older than a second. The writer: EEXIST with the rm hint; a failed ftruncate
# leaves nothing. munmap-pages: a partial munmap splits the mapping and the rest
# works; EINVAL for an unaligned address and for length 0; the length is rounded
# up; a hole is no error; the freed address is handed out again.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

SIZE=4096
MAGIC=$((0x314d4853))
text='written through the mapping before munmap'
dir=$TEST_TMP/d
mkdir -m 0700 "$dir"
file=$dir/mapped-07.dat

hex() { printf '0x%x' "$1"; }           # an address as %p prints it
bare() { printf '%08x' "$1"; }          # ... and as /proc/self/maps does
no_file() { [[ ! -e "$1" && ! -L "$1" ]]; }
quiet_success() { status_is 0 && [[ ! -s "$err" ]]; }
fails_with() { status_is "$1" && err_is_one_line && err_has "$2"; }
usage_fails() { status_is 2 && [[ $(wc -l <"$err") -eq 2 ]] && err_has "$1" && err_has "usage: $2"; }
read_it() { status_is 0 && out_has "reader: the message in the file: '$text'"; }
# A file as a writer would leave it: mode 600, 4096 bytes, the header (magic,
# state, length) and the text. FILE MAGIC STATE [TEXT]
plant() {
    rm -rf "$1"
    install -m 600 /dev/null "$1"
    perl -e 'print pack("L< L< L<", @ARGV[0, 1], length $ARGV[2]), $ARGV[2]' \
        "$2" "$3" "${4-$text}" >"$1"
    truncate -s "$SIZE" "$1"
}

# ---- the writer alone: store, munmap, a load from the old address -------------------
run --vg writer "$dir"
w=$TEST_TMP/writer.txt
cp "$out" "$w"
ok "writer exits 0 (its handler's _exit), nothing on stderr" quiet_success
addr=$(sed -n 's/^writer: created .*, mapped it at \(0x[0-9a-f]*\), stored .*/\1/p' "$w")
ok "writer says where it mapped the file (${addr:-nothing})" [ -n "$addr" ]
ok "writer creates the file, maps it and stores the message" \
    has_line "$w" "writer: created $file, mapped it at $addr, stored '$text'"
ok "munmap closes no fd: pread through it still reads the message" \
    has_line "$w" "writer: munmap done; the fd still reads '$text' from the file"
ok "the writer leaves the file and says where it loads" \
    has_line "$w" "writer: left $file; now a load from $addr"
ok "the load from the old address: SIGSEGV, SEGV_MAPERR, si_addr exactly $addr" \
    has_line "$w" "writer: SIGSEGV, si_code SEGV_MAPERR, si_addr $addr"
ok "... the handler's line is the last: its _exit ends the program" \
    [ "$(tail -n 1 "$w")" = "writer: SIGSEGV, si_code SEGV_MAPERR, si_addr $addr" ]
ok "the file stays after munmap and exit, untruncated: regular, mode 600, $SIZE bytes" \
    [ "$(stat -c '%F %a %s' "$file")" = "regular file 600 $SIZE" ]
read -r magic state length < <(od -An -tx4 -N12 "$file")
ok "its header (od): magic SHM1, state READY, length ${#text}" \
    [ "${magic:-} ${state:-} $((16#${length:-0}))" = "314d4853 00000002 ${#text}" ]
ok "the message text is in the file at offset 12" \
    [ "$(tail -c +13 "$file" | head -c ${#text})" = "$text" ]

mkdir -m 0700 "$TEST_TMP/strace"
# (LeakSanitizer cannot work under ptrace: off for this run of a sanitizer build.)
if command -v strace >/dev/null && ASAN_OPTIONS=detect_leaks=0 strace -o "$TEST_TMP/strace.txt" \
        -e trace=munmap -e signal=SIGSEGV "$LESSON_DIR/writer" "$TEST_TMP/strace" >/dev/null 2>&1; then
    at=$(sed -n 's/^munmap(\(0x[0-9a-f]*\), 4096) *= 0$/\1/p' "$TEST_TMP/strace.txt" | tail -n 1)
    ok "strace: the SIGSEGV is SEGV_MAPERR at the address of the last munmap (${at:-none})" \
        grep -q "^--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=${at:-none}} ---" "$TEST_TMP/strace.txt"
else
    skip "strace shows SEGV_MAPERR at the unmapped address" "strace is missing or cannot trace here"
fi
rm -rf "$TEST_TMP/strace" "$TEST_TMP/strace.txt"

if [[ -n "$VALGRIND" ]]; then
    ok "memcheck saw the load after munmap, as tests/valgrind.supp names it" \
        grep -q 'ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 1 from 1)' \
        "$TEST_TMP"/.valgrind/writer.*.log
    mkdir -m 0700 "$TEST_TMP/bare"
    valgrind --log-file="$TEST_TMP/bare.log" "$LESSON_DIR/writer" "$TEST_TMP/bare" >/dev/null 2>&1
    ok "without the suppression: an invalid read of size 1 at that address" \
        grep -q 'Invalid read of size 1' "$TEST_TMP/bare.log"
    rm -r "$TEST_TMP/bare" "$TEST_TMP/bare.log"
else
    skip "memcheck sees the load after munmap" "valgrind is not in use"
fi
# AddressSanitizer: the runner turns its SIGSEGV handler off; with it on, the
# writer's sigaction, made later, replaces it all the same.
if grep -qa __asan_init "$LESSON_DIR/writer"; then
    mkdir -m 0700 "$TEST_TMP/asan"
    ASAN_OPTIONS=handle_segv=1 run writer "$TEST_TMP/asan"
    ok "ASan with handle_segv=1: the writer's own handler still reports the fault" \
        out_has 'writer: SIGSEGV, si_code SEGV_MAPERR, si_addr 0x[0-9a-f]+'
    rm -r "$TEST_TMP/asan"
else
    skip "ASan with its own SIGSEGV handler on" "not an AddressSanitizer build"
fi

# ---- a second writer meets the file; a writer whose ftruncate fails ----------------
exists="writer: open\($file, O_RDWR\|O_CREAT\|O_EXCL\|O_NOFOLLOW\|O_CLOEXEC, 0600\): EEXIST \(File exists\); left by an earlier run of yours\? remove it: rm $file"
inode=$(stat -c %i "$file")
run writer "$dir"
ok "a second writer stops: exit 1, EEXIST, the rm hint, one line" fails_with 1 "$exists"
ok "Questions 1: the answer shows what the second writer printed" answer_matches 1 "$err"
ok "... the first file is untouched" \
    [ "$(stat -c %i "$file")$(od -An -tx4 -N4 "$file")" = "$inode 314d4853" ]
mkdir -m 0700 "$TEST_TMP/fsize"
# A file size limit of 1 KiB: ftruncate to 4096 fails (EFBIG; course_init()
# ignores SIGXFSZ).
bash -c 'ulimit -f 1 && exec "$@"' _ "$LESSON_DIR/writer" "$TEST_TMP/fsize" \
    >"$TEST_TMP/fsize.out" 2>"$TEST_TMP/fsize.err" </dev/null
status=$? out=$TEST_TMP/fsize.out err=$TEST_TMP/fsize.err
ok "a writer whose ftruncate fails: exit 1, one line" \
    fails_with 1 "writer: ftruncate\($TEST_TMP/fsize/mapped-07.dat, $SIZE\): EFBIG .*"
ok "... and the file it created is removed" [ -z "$(ls -A "$TEST_TMP/fsize")" ]
rm -r "$TEST_TMP/fsize" "$TEST_TMP"/fsize.*

# ---- Questions 4: on_segv returns instead of _exit: the load faults for ever ---------
b=$TEST_TMP/b-return
mkdir -m 0700 "$b"
sed 's|^    _exit(0);   /\* never return.*|    return;|' "$LESSON_DIR/writer.c" >"$b/writer.c"
if ! env --default-signal=QUIT true 2>/dev/null; then
    skip "Questions 4: a handler that returns faults for ever" "env has no --default-signal"
elif ! cmp -s "$b/writer.c" "$LESSON_DIR/writer.c" &&
        "${CC:-cc}" -std=c11 -I"$LESSON_DIR/../../common" -o "$b/writer" "$b/writer.c" \
            "$LESSON_DIR/../../common/course.c"; then
    "$b/writer" "$b" 2>"$b/err" | head -n 5 >"$b/first"   # the pipe's end stops it
    rm -f "$b/mapped-07.dat"
    repeats() {         # lines 4 and 5: the same SIGSEGV line
        has_line "$b/first" "writer: SIGSEGV, si_code SEGV_MAPERR, si_addr 0x[0-9a-f]+" &&
            [ "$(sed -n 4p "$b/first")" = "$(sed -n 5p "$b/first")" ]
    }
    ok "Questions 4: on_segv with return: the handler's line again and again" repeats
    # Again, into /dev/null (a write there never waits, so no signal can cut one
    # short); SIGQUIT set back to its default (a script's background job ignores it).
    (ulimit -c 0; exec env --default-signal=QUIT "$b/writer" "$b") >/dev/null 2>&1 </dev/null &
    loop=$!
    segv_caught() { (( 16#$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$loop/status") >> 10 & 1 )); }
    for (( i = 0; i < 100; i++ )); do segv_caught && break; sleep 0.01; done
    sleep 0.1
    kill -INT "$loop"
    sleep 0.2
    running() { grep -Eq '^State:[[:space:]]+[RS]' "/proc/$loop/status"; }  # not a zombie
    ok "... SIGINT (Ctrl-C) does not stop it" running
    kill -QUIT "$loop"
    { wait "$loop"; } 2>/dev/null       # bash would say "Quit"
    status=$?
    ok "... SIGQUIT does" status_is $((128 + 3))
else
    ok "Questions 4: writer.c with return in on_segv builds" false
fi
rm -r "$b"

# ---- the reader, after the writer has gone ------------------------------------------
run --vg reader "$dir"
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0, nothing on stderr" quiet_success
ok "reader checks the file: mine, mode 600, still $SIZE bytes" \
    has_line "$r" "reader: $file is mine, mode 600, $SIZE bytes: mapped it read-only"
mapped_after_close() {
    local start end
    read -r start end < <(sed -n 's/^reader: closed the fd; the mapping stays: \([0-9a-f]*\)-\([0-9a-f]*\) .*/\1 \2/p' "$r")
    has_line "$r" "reader: closed the fd; the mapping stays: [0-9a-f]+-[0-9a-f]+ r--s 00000000 [0-9a-f:]+ [0-9]+ +$file" &&
        (( 16#${end:-0} - 16#${start:-0} == SIZE ))
}
ok "close does not unmap: after close(fd) the file is still mapped, r--s, one page" \
    mapped_after_close
ok "reader reads the message the writer stored before it unmapped and exited" \
    has_line "$r" "reader: the message in the file: '$text'"
ok "reader unmaps and removes the file" \
    has_line "$r" "reader: unmapped it and removed $file"
ok "... and the file is gone" no_file "$file"

# ---- the reader first: it waits for the name, then the writer comes -----------------
start early reader -t 20 "$dir"
wait_for_line "$TEST_TMP/early.err" '^reader: waiting up to 20 s for the writer to create mapped-07.dat$'
run writer "$dir"
ok "a writer started second exits 0" status_is 0
finish early
ok "the reader started first waited, then read the message" read_it
ok "... and nothing is left" [ -z "$(ls -A "$dir")" ]

# ---- waiting for the message: the state word turns READY later ----------------------
plant "$file" 0 0 ''                    # sized, state EMPTY: a writer at work
start --vg later reader -t 20 "$dir"
wait_for_line "$TEST_TMP/later.err" "reader: waiting up to 20 s for the writer's message"
plant "$TEST_TMP/body" "$MAGIC" 0       # magic, length and text first...
dd if="$TEST_TMP/body" of="$file" bs=1 count=$((12 + ${#text})) conv=notrunc status=none
printf '\002' | dd of="$file" bs=1 seek=4 conv=notrunc status=none     # ...READY last
finish later
ok "a reader waiting for the message reads it once the state word is READY" read_it
ok "... and removes the file" no_file "$file"

# ---- an empty file while it is new: a writer between open() and ftruncate() ---------
install -m 600 /dev/null "$file"        # the slow writer's open()...
start slow reader -t 20 "$dir"
wait_for_line "$TEST_TMP/slow.err" '^reader: waiting up to 20 s for the writer to size mapped-07.dat$'
truncate -s "$SIZE" "$file"             # ...its ftruncate(), its message, READY last
dd if="$TEST_TMP/body" of="$file" bs=1 count=$((12 + ${#text})) conv=notrunc status=none
printf '\002' | dd of="$file" bs=1 seek=4 conv=notrunc status=none
finish slow
ok "a new empty file is waited for, not refused: the reader reads the message" read_it
ok "... and removes the file" no_file "$file"
rm "$TEST_TMP/body"

# ---- waits that end: timeout, SIGINT, SIGTERM (nothing left) ------------------------
for c in none blank int term; do mkdir -m 0700 "$TEST_TMP/$c"; done
plant "$TEST_TMP/blank/mapped-07.dat" 0 0 ''
start none reader -t 1 "$TEST_TMP/none"
start blank reader -t 1 "$TEST_TMP/blank"
# A script's background job starts with SIGINT ignored; course_init() takes it.
start int reader -t 20 "$TEST_TMP/int"
start term reader -t 20 "$TEST_TMP/term"
for c in int term; do
    wait_for_line "$TEST_TMP/$c.err" 'reader: waiting up to 20 s'
    kill -"${c^^}" "${pid[$c]}"
done
# What the README says of that: without job control a background job starts with
# SIGINT ignored (bit 2 of SigIgn); with it (set -m, as an interactive shell) not.
sigint_ignored() {      # SHELL-PREFIX
    local mask
    # shellcheck disable=SC2016 # $! belongs to the inner shell
    mask=$(bash -c "$1"' sleep 9 & until [[ $(readlink /proc/$!/exe) == */sleep ]]; do :; done
                        sed -n "s/^SigIgn:[[:space:]]*//p" /proc/$!/status; kill $!')
    (( 16#${mask:-0} & 2 ))
}
sigint_default() { ! sigint_ignored "$@"; }
ok "a background job of a shell without job control ignores SIGINT" sigint_ignored ''
ok "... with job control (set -m) it keeps the default action" sigint_default 'set -m;'
gave_up() { status_is 1 && err_has "reader: waiting up to $1" && err_has "reader: $2"; }
finish none
ok "no file: the reader gives up after -t 1, exit 1" \
    gave_up "1 s for the writer to create mapped-07.dat" \
    "no $TEST_TMP/none/mapped-07.dat: timed out after 1 s"
finish blank
ok "a file with no message: the reader waits for it, then gives up" \
    gave_up "1 s for the writer's message" "$TEST_TMP/blank/mapped-07.dat: no message: timed out after 1 s"
for c in int term; do
    finish "$c"
    ok "SIG${c^^} while the reader waits: exit 1, says it was interrupted" \
        gave_up "20 s for the writer to create mapped-07.dat" "no $TEST_TMP/$c/mapped-07.dat: interrupted by SIG${c^^}"
    ok "... and nothing is left" [ -z "$(ls -A "$TEST_TMP/$c")" ]
done
rm -r "$TEST_TMP"/{none,blank,int,term}

# ---- the reader refuses at once what is not the writer's ----------------------------
t0=$SECONDS
quick() { (( SECONDS - t0 < 5 )); }
refused() {     # TITLE REGEX: a reader that may wait 20 s stops at once, one line
    t0=$SECONDS
    run reader -t 20 "$dir"
    ok "$1: refused at once, exit 1, one line" fails_with 1 "reader: $2"
    ok "... within 5 s of the 20 it may wait" quick
}
left="left by an earlier run\? remove it: rm $file"
install -m 600 /dev/null "$file"
touch -d '-10 seconds' "$file"
refused "an empty leftover, unchanged for 10 s" "$file: it has 0 bytes, fewer than $SIZE: refusing it; $left"
ok "... and left alone: not the reader's to remove" [ -f "$file" ]
touch "$file"
t0=$SECONDS
run reader -t 20 "$dir"
ok "a new empty file that stays empty: waited for, then refused with the rm hint" \
    gave_up "20 s for the writer to size mapped-07.dat" "$file: it has 0 bytes, fewer than $SIZE: refusing it; $left"
ok "... after a second or two, not after -t 20" quick
truncate -s 100 "$file"
refused "a file too small" "$file: it has 100 bytes, fewer than $SIZE: refusing it; $left"
ok "Questions 2: the answer shows what the reader printed" answer_matches 2 "$err"
plant "$file" "$MAGIC" 2
chmod 644 "$file"
refused "a file of mode 644" "$file: its mode is 644, not 600: refusing it; $left"
plant "$file" $((0x58585858)) 2
refused "a file with a bad magic" "$file: no message header of this course there \(bad magic\): refusing it"
plant "$file" "$MAGIC" 2
printf '\377\377\0\0' | dd of="$file" bs=1 seek=8 conv=notrunc status=none
refused "a length larger than the file" "$file: its length is larger than the room for it: refusing it"
rm "$file"
mkdir "$file"
refused "a directory at the name" "$file: it is not a regular file: refusing it"
rmdir "$file"
mkfifo -m 600 "$file"
refused "a FIFO at the name (O_NONBLOCK: open does not hang)" "$file: it is not a regular file: refusing it"
rm "$file"
echo secret >"$TEST_TMP/target"
ln -s "$TEST_TMP/target" "$file"
refused "a symbolic link (O_NOFOLLOW)" "open\($file, O_RDONLY\|O_NOFOLLOW\|O_CLOEXEC\|O_NONBLOCK\): ELOOP .*"
ok "Questions 3: the answer shows what the reader printed" answer_matches 3 "$err"
run writer "$dir"
ok "... the writer does not follow it either (O_EXCL: EEXIST, the rm hint)" fails_with 1 "$exists"
ok "... and the link's target is untouched" [ "$(cat "$TEST_TMP/target")" = secret ]
rm "$file"
if really_root && id nobody >/dev/null 2>&1; then
    plant "$file" "$MAGIC" 2
    chown nobody "$file"
    refused "a file of another user, with no rm hint" "$file: it belongs to uid $(id -u nobody), not to you: refusing it"
    rm "$file"
else
    skip "a file of another user is refused" "needs the real root to chown a file"
fi

# ---- munmap-pages: part of a mapping, whole pages, errors, reuse --------------------
run --vg munmap-pages
ok "munmap-pages under memcheck: exit 0, nothing on stderr" quiet_success
run munmap-pages                        # addresses as a learner's run hands them out
m=$TEST_TMP/pages.txt
cp "$out" "$m"
ok "munmap-pages exits 0, nothing on stderr" quiet_success
p=$(getconf PAGESIZE)
base=$(sed -n "s/^munmap-pages: mapped 3 pages of $p bytes at \(0x[0-9a-f]*\)$/\1/p" "$m")
ok "munmap-pages says where it mapped 3 pages (${base:-nothing})" [ -n "$base" ]
base=$((base))
# The START END of the Nth maps line of a mapping (a neighbour may have merged in).
maps() { sed -n 's/^munmap-pages: maps: \([0-9a-f]*\)-\([0-9a-f]*\) rw-p .*/\1 \2/p' "$m" | sed -n "$1p"; }
holds_all_3() {
    local s e
    read -r s e < <(maps 1)
    (( 16#${s:-1} <= base && 16#${e:-0} >= base + 3 * p ))
}
ok "before: one maps line holds all 3 pages" holds_all_3
read -r _ end_0 < <(maps 2)
read -r start_2 _ < <(maps 3)
ok "after munmap of the middle page: one line ends where the hole starts" \
    [ "${end_0:-}" = "$(bare $((base + p)))" ]
ok "... no mapping holds the hole" \
    has_line "$m" "munmap-pages: maps: \(no mapping holds $(hex $((base + p)))\)"
ok "... another line starts after it: two mappings now" \
    [ "${start_2:-}" = "$(bare $((base + 2 * p)))" ]
ok "pages 0 and 2 still work" \
    has_line "$m" "munmap-pages: pages 0 and 2 still work: they hold 'a' and 'c'"
ok "munmap of an unaligned address: EINVAL" \
    has_line "$m" "munmap-pages: munmap\($(hex $((base + 1))), $p\): EINVAL, the address is not page-aligned"
ok "munmap of length 0: EINVAL" \
    has_line "$m" "munmap-pages: munmap\($(hex "$base"), 0\): EINVAL, the length is 0"
ok "munmap over the hole: no error" \
    has_line "$m" "munmap-pages: munmap\($(hex "$base"), $((2 * p + 1))\): no error over the hole, rounded up to 3 pages"
ok "... 2 pages + 1 byte is rounded up: page 2 is gone too" \
    has_line "$m" "munmap-pages: maps: \(no mapping holds $(hex $((base + 2 * p)))\)"
ok "munmap where nothing is mapped: no error" \
    has_line "$m" "munmap-pages: munmap\($(hex "$base"), $((3 * p))\) again: no error, though nothing is mapped there"
ok "the next mmap takes the freed address; the stale pointer reads it, no fault" \
    has_line "$m" "munmap-pages: the next mmap got $(hex "$base") again: the old pointer reads 0x00 there, no fault"

# ---- arguments (the bad-input matrix comes from the args file) ----------------------
for prog in writer reader munmap-pages; do
    run "$prog" --help
    ok "$prog --help: exit 0" status_is 0
    ok "... the usage on stdout" out_has "usage: $prog( .*)?"
    run "$prog" -x
    ok "$prog -x: one line and the usage, exit 2" usage_fails "$prog: unknown option '-x'" "$prog( .*)?"
done
run munmap-pages extra
ok "munmap-pages takes no argument: one line and the usage, exit 2" \
    usage_fails "munmap-pages: too many arguments, from 'extra'" munmap-pages
ok "nothing is left in DIR" [ -z "$(ls -A "$dir")" ]
