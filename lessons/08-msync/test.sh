#!/usr/bin/env bash
# Lesson 08 test: the reader sees the writer's stores through its own mapping before
# any msync (the writer's order, and strace from outside); on a disk file system the
# page is dirty after the store, still dirty after munmap + mmap + MS_ASYNC, clean
# after MS_SYNC; on tmpfs MS_SYNC leaves it dirty; smaps splits dirty into Private_
# and Shared_ by the number of mappers; sync(1) cleans it too; st_blocks counts a
# block ext4 has not written. The pair meets by the state word (reader first waits;
# timeouts and signals end waits and leave nothing); the reader refuses at once what
# is not the writer's and never a running writer's file. msync-flags: EINVAL for
# MS_SYNC|MS_ASYNC, 0 for flags 0, ENOMEM for a range not mapped, EBUSY for
# MS_INVALIDATE on a locked page, and EPERM/EAGAIN for MAP_LOCKED past ulimit -l.
# shellcheck source=tests/lib.sh disable=SC2154,SC2016 # pid: lib.sh; eval expands later
. "$TESTS_DIR/lib.sh"

SIZE=4096
text='seen before any msync'
dir=$TEST_TMP/d
mkdir -m 0700 "$dir"
file=$dir/mapped-08.dat
PATH=$PATH:/usr/sbin:/sbin              # filefrag

fails_with() { status_is "$1" && err_is_one_line && err_has "$2"; }
no_file() { [[ ! -e "$1" && ! -L "$1" ]]; }
fs_type() { stat -f -c %T "$1"; }
is_disk_fs() { [[ $(fs_type "$1") =~ ^(ext2/ext3|ext4|xfs|btrfs)$ ]]; }
# "writer: after WHAT: D kB dirty, C kB clean" in FILE: print "D C".
page() { sed -n "s/^writer: after $2: \([0-9]*\) kB dirty, \([0-9]*\) kB clean$/\1 \2/p" "$1"; }
dirty() { local d c; read -r d c < <(page "$1" "$2") && (( d > 0 )); }
clean() { local d c; read -r d c < <(page "$1" "$2") && (( d == 0 && c > 0 )); }
# FIELD's kB in the smaps entry of mapped-08.dat of process PID.
smaps_of() { grep -A20 'mapped-08\.dat' "/proc/$1/smaps" | awk -v f="$2:" '$1 == f { print $2; exit }'; }
# A file as the writer makes it: 4096 bytes, mode 600, magic, state, length, text.
plant() {
    rm -rf "$1"
    install -m 600 /dev/null "$1"
    perl -e 'print pack("L< L< L<", @ARGV[0, 1], length $ARGV[2]), $ARGV[2]' "$2" "$3" "${4-$text}" >"$1"
    truncate -s "$SIZE" "$1"
}

# ---- the pair on this disk, both under memcheck ----------------------------------------
start --vg writer writer -t 20 "$dir"
wait_for_line "$TEST_TMP/writer.err" 'writer: waiting up to 20 s for the reader to mark it SEEN'
run --vg reader -t 20 "$dir"
ok "reader: exit 0, the text through its own mapping, nothing on stderr" \
    eval 'status_is 0 && [[ ! -s "$err" ]] && out_has "reader: \"$text\", through my own mapping"'
finish writer
w=$TEST_TMP/writer.out
ok "writer: exit 0" status_is 0
ok "the writer removed the file" eval 'has_line "$w" "writer: removed $file" && no_file "$file"'
if is_disk_fs "$dir"; then
    ok "statfs: a disk file system" has_line "$w" "writer: $dir is on a disk file system"
    ok "after the store: dirty" dirty "$w" "the store"
    ok "after munmap, mmap again, msync(MS_ASYNC): still dirty" dirty "$w" 'munmap, mmap again, msync(MS_ASYNC)'
    ok "after msync(MS_SYNC): 0 kB dirty, the page clean" clean "$w" 'msync(MS_SYNC)'
else
    skip "dirty and clean on a disk file system" "$dir is on $(fs_type "$dir")"
fi

# ---- the same order from outside: strace, one clock for both -------------------------
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    strace -ttt -e trace=msync,write -o "$TEST_TMP/w.trace" "$LESSON_DIR/writer" -t 20 "$dir" >/dev/null 2>&1 &
    pid[traced]=$!
    wait_for_line "$TEST_TMP/w.trace" 'waiting up to 20 s'
    strace -ttt -e trace=msync,write -o "$TEST_TMP/r.trace" "$LESSON_DIR/reader" -t 20 "$dir" >/dev/null 2>&1
    finish traced
    said=$(awk '/write\(1, "reader: / { print $1; exit }' "$TEST_TMP/r.trace")
    first=$(awk '/ msync\(/ { print $1; exit }' "$TEST_TMP/w.trace")
    ok "strace: the reader printed the text ($said) before the writer's first msync ($first)" \
        awk -v a="$said" -v b="$first" 'BEGIN { exit !(a != "" && b != "" && a < b) }'
    ok "strace: the reader calls no msync; the writer MS_ASYNC then MS_SYNC" \
        eval '! grep -q " msync(" "$TEST_TMP/r.trace" &&
              [ "$(sed -n "s/.* msync(.*, \(MS_[A-Z]*\)) .*/\1/p" "$TEST_TMP/w.trace" | tr "\n" " ")" = "MS_ASYNC MS_SYNC " ]'
else
    skip "strace: the order from outside" "strace is missing or may not trace here"
fi

# ---- smaps while the writer waits: Private_ / Shared_, sync(1), st_blocks ---------------
start watched writer -t 20 "$dir"
wait_for_line "$TEST_TMP/watched.err" 'writer: waiting up to 20 s'
wpid=${pid[watched]}
# Private_/Shared_ count mappers; dirty or clean (a sync elsewhere may clean it).
mappers() { echo $(( $(smaps_of "$wpid" "$1_Dirty") + $(smaps_of "$wpid" "$1_Clean") )); }
ok "one mapper of a MAP_SHARED page: Private_ 4 kB, Shared_ 0 kB, though MAP_SHARED" \
    [ "$(mappers Private) $(mappers Shared)" = "4 0" ]
ok "read() of the file (grep) sees the stored text at once, no msync" grep -q "$text" "$file"
ok "the writer's mapping shows the file's own name in /proc/PID/maps" \
    grep -q " $file\$" "/proc/$wpid/maps"
if is_disk_fs "$dir" && command -v filefrag >/dev/null; then
    ok "ext4 delayed allocation: st_blocks already counts a block, filefrag says delalloc" \
        eval '(( $(stat -c %b "$file") > 0 )) && filefrag -v "$file" | grep -q delalloc'
else
    skip "st_blocks versus delalloc" "not a disk file system, or no filefrag"
fi
if command -v python3 >/dev/null; then
    python3 -c 'import mmap, os, sys, time
m = mmap.mmap(os.open(sys.argv[1], os.O_RDONLY), 4096, prot=mmap.PROT_READ); m[0]
print("mapped", flush=True); time.sleep(20)' "$file" >"$TEST_TMP/py.out" 2>&1 &
    py=$!
    wait_for_line "$TEST_TMP/py.out" mapped
    ok "a second process maps it: the writer's page counts as Shared_ now" \
        [ "$(mappers Private) $(mappers Shared)" = "0 4" ]
    kill "$py"; wait "$py" 2>/dev/null
else
    skip "a second mapper makes it Shared_Dirty" "python3 is missing"
fi
run reader -t 20 "$dir"
finish watched
ok "... and the pair still ends well" status_is 0
# Not only msync: fsync, fdatasync from another process clean it too. (Not sync(2)
# or syncfs here: they would clean the pages of copies of this test running at once.)
for how in "sync FILE:fsync" "sync -d FILE:fdatasync"; do
    if ! is_disk_fs "$dir"; then skip "${how#*:} cleans the page" "not a disk file system"; continue; fi
    start synced writer -t 20 "$dir"
    wait_for_line "$TEST_TMP/synced.err" 'writer: waiting up to 20 s'
    sync_cmd=${how%:*}
    ${sync_cmd/FILE/$file}
    ok "${sync_cmd/FILE/mapped-08.dat} (${how#*:}) while the writer waits: its page is clean, no msync" \
        [ "$(smaps_of "${pid[synced]}" Private_Dirty) $(smaps_of "${pid[synced]}" Private_Clean)" = "0 4" ]
    run reader -t 20 "$dir"
    finish synced
done

# ---- on tmpfs: no disk, msync changes nothing ---------------------------------------
if [[ "$(fs_type /dev/shm)" == tmpfs && -w /dev/shm ]] && shm=$(mktemp -d /dev/shm/lab.XXXXXX); then
    start shm writer -t 20 "$shm"
    # The reader once the writer waits, as make run does: a reader that maps the
    # page between the writer's two smaps reads (Private_, then Shared_) makes it
    # count the page twice, 8 kB.
    wait_for_line "$TEST_TMP/shm.err" 'writer: waiting up to 20 s'
    run reader -t 20 "$shm"
    finish shm
    s=$TEST_TMP/shm.out
    ok "tmpfs: the writer says so (statfs f_type TMPFS_MAGIC)" \
        has_line "$s" "writer: $shm is on tmpfs: no disk file system behind it"
    ok "tmpfs: dirty after the store, still dirty after msync(MS_SYNC)" \
        eval 'dirty "$s" "the store" && dirty "$s" "msync(MS_SYNC)"'
    ok "Questions 4: the answer shows what the writer printed on tmpfs" answer_matches 4 "$s"
    ok "tmpfs: nothing left, the directory is removable" rmdir "$shm"
    [[ -d "$shm" ]] && rm -rf -- "$shm"
else
    skip "the pair on tmpfs" "/dev/shm is not a writable tmpfs"
fi

# ---- meeting: reader first, never a running writer's file refused ---------------------
start early reader -t 20 "$dir"
wait_for_line "$TEST_TMP/early.err" '^reader: waiting up to 20 s for the writer to create mapped-08.dat$'
run writer -t 20 "$dir"
ok "a writer started second exits 0" status_is 0
finish early
ok "the reader started first waited, then read the message" \
    eval 'status_is 0 && out_has "reader: \"$text\", through my own mapping"'
bad=0
for _ in {1..20}; do
    "$LESSON_DIR/reader" -t 20 "$dir" >/dev/null 2>"$TEST_TMP/race.err" &
    "$LESSON_DIR/writer" -t 20 "$dir" >/dev/null 2>&1 || (( bad++ ))
    wait $! || { (( bad++ )); cat "$TEST_TMP/race.err" >&2; }
done
ok "20 pairs started together: no reader refused a writer's file half made" [ "$bad" -eq 0 ]

# ---- waits that end: timeout, SIGINT, SIGTERM; nothing left -----------------------------
run writer -t 1 "$dir"
ok "a writer with no reader gives up after -t 1, exit 1, and removes the file" \
    eval 'status_is 1 && err_has "writer: $file: not seen: timed out after 1 s" && no_file "$file"'
for sig in INT TERM; do
    start waiter writer -t 20 "$dir"
    wait_for_line "$TEST_TMP/waiter.err" 'writer: waiting up to 20 s'
    kill -"$sig" "${pid[waiter]}"
    finish waiter
    ok "SIG$sig while the writer waits: exit 1, interrupted, the file removed" \
        eval 'status_is 1 && err_has "writer: $file: not seen: interrupted by SIG$sig" && no_file "$file"'
done
run reader -t 1 "$dir"
ok "a reader with no writer says it waits, gives up after -t 1, exit 1" \
    eval 'status_is 1 && err_has "reader: waiting up to 1 s for the writer to create mapped-08.dat" &&
          err_has "reader: no $file: timed out after 1 s"'
start waiter reader -t 20 "$dir"
wait_for_line "$TEST_TMP/waiter.err" 'reader: waiting up to 20 s'
kill -INT "${pid[waiter]}"
finish waiter
ok "SIGINT while the reader waits: exit 1, interrupted" \
    eval 'status_is 1 && err_has "reader: no $file: interrupted by SIGINT"'
plant "$file" $((0x314d4853)) 0 ''     # full size, state EMPTY
run --vg reader -t 1 "$dir"
ok "a file with no message yet: the reader waits for READY, then gives up" \
    eval 'status_is 1 && err_has "reader: $file: no message: timed out after 1 s"'
rm "$file"

# ---- the reader refuses at once what is not the writer's -----------------------------
refused() {     # TITLE REGEX: a reader with 20 s to wait stops at once, one line
    # shellcheck disable=SC2034 # both are read by the eval in ok
    local t0=$SECONDS want="reader: $2"
    run reader -t 20 "$dir"
    ok "$1: refused at once, exit 1, one line" \
        eval 'fails_with 1 "$want" && (( SECONDS - t0 < 5 ))'
}
left="left by an earlier run\? remove it: rm $file"
# shellcheck disable=SC2034 # read by the evals below
mine="left by an earlier run of yours\? remove it: rm $file"     # the writer's: it cannot tell whose
(umask 022 && touch -d '1 minute ago' "$file")
refused "a leftover made by touch: mode 644 first" "$file: its mode is 644, not 600: refusing it; $left"
ok "Questions 5: the answer shows what the reader printed" answer_matches 5 "$err"
rm "$file"
install -m 600 /dev/null "$file"
touch -d '1 minute ago' "$file"
refused "an empty leftover file" "$file: it has 0 bytes, fewer than $SIZE: refusing it; $left"
touch "$file"
# shellcheck disable=SC2034 # read by the eval in ok
t0=$SECONDS
run reader -t 10 "$dir"
ok "a new empty file (a writer between open and ftruncate) is waited for, then refused" \
    eval 'status_is 1 && err_has "reader: waiting up to 10 s for the writer to size mapped-08.dat" &&
          err_has "reader: $file: it has 0 bytes, fewer than $SIZE: refusing it; $left" &&
          (( SECONDS - t0 < 5 ))'
truncate -s 9 "$file"
refused "a file too small" "$file: it has 9 bytes, fewer than $SIZE: refusing it; $left"
plant "$file" $((0x314d4853)) 2
chmod 644 "$file"
refused "a file of mode 644" "$file: its mode is 644, not 600: refusing it; $left"
plant "$file" $((0x58585858)) 2
refused "a bad magic" "$file: no message header of this course there \(bad magic\): refusing it"
plant "$file" $((0x314d4853)) 2
printf '\377\377\0\0' | dd of="$file" bs=1 seek=8 conv=notrunc status=none
refused "a length past the page" "$file: its length is larger than the room for it: refusing it"
plant "$file" $((0x314d4853)) 2 $'\e[2J'
run reader -t 1 "$dir"
ok "control characters in the text are printed as '?'" out_has 'reader: "\?\[2J", through my own mapping'
rm "$file"
mkfifo -m 600 "$file"
refused "a FIFO at the name" "$file: it is not a regular file: refusing it; $left"
rm "$file"
mkdir "$file"
refused "a directory at the name" "open\($file, O_RDWR\|O_NOFOLLOW\|O_CLOEXEC\): EISDIR .*"
rmdir "$file"
echo keep >"$TEST_TMP/target"
ln -s "$TEST_TMP/target" "$file"
refused "a symbolic link" "open\($file, O_RDWR\|O_NOFOLLOW\|O_CLOEXEC\): ELOOP .*"
run writer -t 1 "$dir"
ok "the writer will not link over a symbolic link: EEXIST, the rm hint, the target untouched" \
    eval 'fails_with 1 "writer: open\($file, O_RDWR\|O_CREAT\|O_EXCL\|O_NOFOLLOW\|O_CLOEXEC, 0600\): EEXIST \(File exists\); $mine" &&
          [ "$(cat "$TEST_TMP/target")" = keep ] && test -L "$file"'
rm "$file"
if really_root && id nobody >/dev/null 2>&1; then
    plant "$file" $((0x314d4853)) 2
    chown nobody "$file"
    refused "a file of another user, no rm hint" "$file: it belongs to uid $(id -u nobody), not to you: refusing it"
    rm "$file"
else
    skip "a file of another user is refused" "needs the real root to chown a file"
fi

# ---- the writer: a name taken, a file size limit ------------------------------------------
echo 'left over' >"$file"
run writer -t 1 "$dir"
ok "a file left at the name: EEXIST, the rm hint, the file untouched" \
    eval 'fails_with 1 "writer: open\($file, .*\): EEXIST .*; $mine" &&
          [ "$(cat "$file")" = "left over" ]'
rm "$file"
bash -c 'ulimit -f 1 && exec "$@"' _ "$LESSON_DIR/writer" -t 1 "$dir" >"$TEST_TMP/fsize.out" 2>"$TEST_TMP/fsize.err"
status=$? err=$TEST_TMP/fsize.err
ok "ulimit -f 1: ftruncate fails with EFBIG, one line, exit 1, nothing left" \
    eval 'fails_with 1 "writer: ftruncate\($file, $SIZE\): EFBIG .*" && [ -z "$(ls -A "$dir")" ]'

# ---- msync-flags ---------------------------------------------------------------------
run --vg msync-flags
f=$TEST_TMP/flags.out
cp "$out" "$f"
ok "msync-flags: exit 0, nothing on stderr" eval 'status_is 0 && [[ ! -s "$err" ]]'
ok "MS_SYNC|MS_ASYNC: EINVAL" has_line "$f" 'msync-flags: msync\(MS_SYNC\|MS_ASYNC\): EINVAL, choose one'
ok "flags 0 and MS_INVALIDATE alone: 0 (Linux-only)" \
    has_line "$f" 'msync-flags: msync\(0\), msync\(MS_INVALIDATE\): 0 on Linux only, POSIX wants one of them'
ok "a range not all mapped: ENOMEM" has_line "$f" 'msync-flags: msync of a range not all mapped: ENOMEM'
ok "MS_INVALIDATE on a locked page: EBUSY" \
    has_line "$f" 'msync-flags: msync\(MS_ASYNC\|MS_INVALIDATE\) of a locked page: EBUSY'
if [[ -n "$VALGRIND" ]] && memchecked "$LESSON_DIR" msync-flags; then
    ok "memcheck saw the msync of an unmapped range, named by tests/valgrind.supp" \
        grep -q 'ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 1 from 1)' "$TEST_TMP"/.valgrind/msync-flags.*.log
else
    skip "memcheck sees the msync of an unmapped range" "msync-flags is not run under valgrind here (make stress does)"
fi
if really_root; then
    skip "MAP_LOCKED past ulimit -l: EPERM, EAGAIN" "root is not bound by RLIMIT_MEMLOCK"
    bash -c 'ulimit -l 0 && exec "$1"' _ "$LESSON_DIR/msync-flags" >"$TEST_TMP/lock.out" 2>&1
    ok "root, even with ulimit -l 0: MAP_LOCKED works, EBUSY" \
        has_line "$TEST_TMP/lock.out" 'msync-flags: msync\(MS_ASYNC\|MS_INVALIDATE\) of a locked page: EBUSY'
else
    for l in 0:EPERM 1:EAGAIN; do
        bash -c 'ulimit -l "$1" && exec "$2"' _ "${l%:*}" "$LESSON_DIR/msync-flags" >"$TEST_TMP/lock.out" 2>&1
        ok "ulimit -l ${l%:*}: MAP_LOCKED gives ${l#*:}, no EBUSY step" \
            has_line "$TEST_TMP/lock.out" "msync-flags: mmap\(MAP_LOCKED\): ${l#*:}, over ulimit -l: no EBUSY to show"
    done
fi

# ---- arguments ----------------------------------------------------------------------
for prog in writer reader msync-flags; do
    run "$prog" --help
    ok "$prog --help: the usage, exit 0" eval 'status_is 0 && out_has "usage: $prog.*"'
done
run msync-flags extra
ok "msync-flags takes no argument: exit 2" eval 'status_is 2 && err_has "msync-flags: too many arguments, from .extra."'
run writer -t 1 "$TEST_TMP/target"
ok "writer with a file for DIR: exit 1, ENOTDIR" fails_with 1 "writer: open\($TEST_TMP/target/mapped-08.dat, .*\): ENOTDIR .*"
ok "nothing is left in DIR" [ -z "$(ls -A "$dir")" ]
