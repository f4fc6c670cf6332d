#!/usr/bin/env bash
# Lesson 08 test: the reader sees the writer's stores with pread() before any msync;
# on a disk file system smaps shows the page dirty until msync(MS_SYNC) and dirty
# again after munmap; on tmpfs msync changes nothing; the file is refused when it is
# not the writer's, and a directory every user may write (/dev/shm itself: a private
# mktemp -d directory there works); every way of stopping removes the file.
# msync-flags, on its own file: MS_SYNC|MS_ASYNC is EINVAL, and so is an address that
# is not page-aligned; MS_INVALIDATE returns 0, and EBUSY on a MAP_LOCKED mapping; it
# refuses what the writer refuses, and leaves no file on any way out (a file size
# limit included).
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

name=mapped-08.dat
flags_name=mapped-08-flags.dat
text='new bytes, stored through the mapping'

# Timestamp A (seconds, with a fraction) is earlier than B.
earlier() { [[ -n "$1" && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
fs_type() { stat -f -c %T "$1" 2>/dev/null; }
is_disk_fs() { [[ $(fs_type "$1") =~ ^(ext2/ext3|ext4|xfs|btrfs)$ ]]; }
line_no() { grep -nEm1 -- "$2" "$1" | cut -d: -f1; }
# A line of FILE matching REGEX1 comes before a line matching REGEX2.
in_order() {
    local a b
    a=$(line_no "$1" "$2") b=$(line_no "$1" "$3")
    [[ -n "$a" && -n "$b" ]] && (( a < b ))
}
# Private_Dirty + Shared_Dirty of the line "writer: smaps WHEN: ..." in FILE.
dirty_kb() {
    local line
    line=$(line_of "$1" "^writer: smaps $2: ") || return 1
    [[ "$line" =~ Private_Dirty\ ([0-9]+)\ kB,\ Shared_Dirty\ ([0-9]+)\ kB ]] || return 1
    echo $(( BASH_REMATCH[1] + BASH_REMATCH[2] ))
}
dirty_above_0() { local kb; kb=$(dirty_kb "$1" "$2") && (( kb > 0 )); }
dirty_is_0() { local kb; kb=$(dirty_kb "$1" "$2") && (( kb == 0 )); }
same_dirty() { local a b; a=$(dirty_kb "$1" "$2") && b=$(dirty_kb "$1" "$3") && (( a == b )); }
gone() { [[ ! -e "$1" && ! -L "$1" ]]; }
# The lines of FILE matching REGEX1, REGEX2, ... come in that order.
all_in_order() {
    local file=$1; shift
    while (( $# > 1 )); do in_order "$file" "$1" "$2" || return 1; shift; done
}
no_line() { ! grep -Eq -- "$2" "$1"; }
# MAP_LOCKED needs RLIMIT_MEMLOCK (ulimit -l, in kB) for one page, or real root.
mlock_works() { local l; l=$(ulimit -l); really_root || [[ "$l" == unlimited ]] || (( l >= 4 )); }
is() { [[ "$1" == "$2" ]]; }
is_empty_dir() { [[ -d "$1" && -z "$(ls -A "$1")" ]]; }
exits_with_out() { status_is "$1" && out_has "$2"; }
exits_with_err() { status_is "$1" && err_has "$2"; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1 .*\(usage: $prog .*\)"; }

# ---- the pair on a disk file system ---------------------------------------------------
disk=$TEST_TMP/disk
mkdir -m 0700 "$disk"
start --vg writer writer -t 20 "$disk"
run --vg reader -t 20 "$disk"
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0" status_is 0
finish writer
w=$TEST_TMP/writer.out
ok "writer exits 0" status_is 0
ok "the reader read the new bytes with pread(), no mmap" \
    has_line "$r" "reader: pread\(\) shows \"$text\" \(sequence 1\): the new bytes, before any msync"
ok "the writer stored the bytes before the reader answered" \
    in_order "$w" "^writer: stored \"$text\"" '^writer: the reader has read'
ok "... and the reader answered before the writer's first msync" \
    in_order "$w" '^writer: the reader has read' '^writer: msync\('
ok "MS_ASYNC is timed in microseconds" has_line "$w" 'writer: msync\(MS_ASYNC\) returned 0 after [0-9]+ us'
ok "MS_SYNC is timed in microseconds" has_line "$w" 'writer: msync\(MS_SYNC\) returned 0 after [0-9]+ us'
ok "the writer leaves msync's flags and errors to msync-flags" no_line "$w" 'EINVAL|EBUSY|MS_INVALIDATE'
ok "the writer says it removed the file" has_line "$w" "writer: removed $disk/$name"
ok "... and it is gone" gone "$disk/$name"

# The flusher writes a dirty page back only when it is older than
# dirty_expire_centisecs (30 s) or memory is short of clean pages: in a run of
# well under a second the figures below come from the program alone.
if is_disk_fs "$disk"; then
    ok "the writer sees a disk file system" has_line "$w" 'writer: it is on a disk file system .*'
    ok "after the store, before any msync: smaps Dirty above 0" dirty_above_0 "$w" 'after the store'
    ok "after MS_ASYNC: still dirty (it starts nothing)" dirty_above_0 "$w" 'after MS_ASYNC'
    ok "after MS_SYNC: Dirty 0 (the page is on the disk)" dirty_is_0 "$w" 'after MS_SYNC'
    ok "store, munmap without msync, map again: still dirty" dirty_above_0 "$w" 'of the new mapping'
    ok "... and the writer says munmap wrote nothing back" has_line "$w" 'writer: munmap wrote nothing back: .*'
else
    skip "smaps Dirty before and after msync on a disk file system" \
        "$TEST_TMP is on $(fs_type "$disk"), not ext2/3/4, xfs or btrfs"
fi

# The same order, seen from outside: the reader's pread() happened before the
# writer's first msync (strace timestamps, one clock for both processes).
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    mkdir -m 0700 "$TEST_TMP/traced"
    strace -ttt -e trace=msync -o "$TEST_TMP/writer.trace" "$LESSON_DIR/writer" -t 20 "$TEST_TMP/traced" \
        >"$TEST_TMP/traced.out" 2>&1 &
    pid[traced]=$!
    strace -ttt -e trace=pread64 -o "$TEST_TMP/reader.trace" "$LESSON_DIR/reader" -t 20 "$TEST_TMP/traced" \
        >/dev/null 2>&1
    finish traced
    first_msync=$(awk '/ msync\(/ { print $1; exit }' "$TEST_TMP/writer.trace")
    last_pread=$(awk '/ pread64\(.*= 4096/ { t = $1 } END { print t }' "$TEST_TMP/reader.trace")
    ok "strace: the reader's pread() of the page ($last_pread) precedes the first msync ($first_msync)" \
        earlier "$last_pread" "$first_msync"
else
    skip "strace shows pread() before msync" "strace is missing or may not trace here"
fi

# ---- msync-flags, under valgrind: msync's flags and errors, one call each -----------------
flags=$TEST_TMP/flags
mkdir -m 0700 "$flags"
run --vg msync-flags "$flags"
f=$TEST_TMP/flags.out
cp "$out" "$f"
ok "msync-flags exits 0" status_is 0
ok "it creates its own file, 0600, one page, and maps it MAP_SHARED" \
    has_line "$f" "msync-flags: created $flags/$flags_name, 4096 bytes, mode 0600, and mapped it MAP_SHARED"
ok "msync(MS_SYNC|MS_ASYNC) gives EINVAL" \
    has_line "$f" 'msync-flags: msync\(MS_SYNC\|MS_ASYNC\) gives EINVAL: choose one'
ok "msync of an address that is not page-aligned gives EINVAL" \
    has_line "$f" 'msync-flags: msync\(0x[0-9a-f]+ \+ 1\) gives EINVAL: not page-aligned'
ok "msync(MS_INVALIDATE) returns 0" \
    has_line "$f" 'msync-flags: msync\(MS_INVALIDATE\) returned 0: nothing to invalidate, every mapping shares one page cache'
if mlock_works; then
    ok "MS_INVALIDATE on a locked mapping gives EBUSY" \
        has_line "$f" 'msync-flags: on a locked mapping \(MAP_LOCKED\) msync\(MS_INVALIDATE\) gives EBUSY'
else
    ok "with ulimit -l $(ulimit -l), MAP_LOCKED fails and the EBUSY step is skipped" \
        has_line "$f" 'msync-flags: mmap\(MAP_LOCKED\) gives [A-Z]+: skipping MS_INVALIDATE on a locked page'
fi
ok "... in that order, after the file was mapped and before it was removed" \
    all_in_order "$f" '^msync-flags: created' 'MS_SYNC\|MS_ASYNC\) gives' '\+ 1\) gives' \
    'returned 0: nothing' 'MAP_LOCKED' '^msync-flags: removed'
ok "msync-flags removed its file" has_line "$f" "msync-flags: removed $flags/$flags_name"
ok "... and the directory is empty" is_empty_dir "$flags"

# Under strace: one msync call for each line, with the flags the line names.
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -e trace=msync -o "$TEST_TMP/flags.trace" "$LESSON_DIR/msync-flags" "$flags" >/dev/null 2>&1
    ok "strace: msync(MS_SYNC|MS_ASYNC) = -1 EINVAL" \
        grep -Eq '^msync\(0x[0-9a-f]+000, 4096, MS_SYNC\|MS_ASYNC\) += -1 EINVAL' "$TEST_TMP/flags.trace"
    ok "strace: msync(page + 1, 4095, MS_SYNC) = -1 EINVAL" \
        grep -Eq '^msync\(0x[0-9a-f]+001, 4095, MS_SYNC\) += -1 EINVAL' "$TEST_TMP/flags.trace"
    ok "strace: msync(MS_INVALIDATE) = 0" grep -Eq '^msync\(0x[0-9a-f]+, 4096, MS_INVALIDATE\) += 0' "$TEST_TMP/flags.trace"
    ok "... and no file is left" is_empty_dir "$flags"
else
    skip "msync-flags under strace" "strace is missing or may not trace here"
fi

# ---- the pair on tmpfs, in a private directory under /dev/shm: msync changes nothing ------
if [[ "$(fs_type /dev/shm)" == tmpfs && -w /dev/shm ]] && shm=$(mktemp -d /dev/shm/lab.XXXXXX); then
    start shm writer -t 20 "$shm"
    wait_for_line "$TEST_TMP/shm.out" '^writer: waiting up to 20 s for the reader: '
    run reader -t 20 "$shm"
    ok "tmpfs: the reader reads the file in a private directory made by mktemp -d" \
        exits_with_out 0 "reader: pread\(\) shows \"$text\" .*"
    finish shm
    s=$TEST_TMP/shm.out
    ok "tmpfs: writer exits 0" status_is 0
    ok "tmpfs: the writer detects it (statfs f_type TMPFS_MAGIC)" \
        has_line "$s" 'writer: it is on tmpfs: memory only, no disk \(statfs f_type 0x1021994\)'
    ok "tmpfs: dirty after the store" dirty_above_0 "$s" 'after the store'
    ok "tmpfs: Dirty unchanged by MS_SYNC" same_dirty "$s" 'after the store' 'after MS_SYNC'
    ok "tmpfs: says why (no disk: msync does nothing)" \
        has_line "$s" 'writer: tmpfs has no disk to write to: msync does nothing there, the page stays dirty'
    ok "tmpfs: the writer removed the file" has_line "$s" "writer: removed $shm/$name"
    run msync-flags "$shm"
    ok "tmpfs: msync-flags exits 0" status_is 0
    ok "tmpfs: EINVAL for MS_SYNC|MS_ASYNC there too" \
        out_has 'msync-flags: msync\(MS_SYNC\|MS_ASYNC\) gives EINVAL: choose one'
    ok "tmpfs: msync-flags removed its file" out_has "msync-flags: removed $shm/$flags_name"
    ok "... and the private directory is empty: rmdir removes it" rmdir -- "$shm"
    [[ -d "$shm" ]] && rm -rf -- "$shm"
    if [[ -n "$(find /dev/shm -maxdepth 0 -perm -0002)" ]]; then
        prog=writer
        run writer -t 1 /dev/shm
        ok "the writer refuses /dev/shm itself (every user may write there)" \
            call_fails "/dev/shm: every user may write there, .*"
        prog=msync-flags
        run msync-flags /dev/shm
        ok "msync-flags refuses /dev/shm itself" call_fails "/dev/shm: every user may write there, .*"
        ok "... and makes no file there" gone "/dev/shm/$flags_name"
    fi
else
    skip "the pair on tmpfs" "/dev/shm is $(fs_type /dev/shm), not a writable tmpfs"
fi

# ---- a directory every user may write (as /tmp, /dev/shm), sticky bit or not: refused ---
prog=writer
for mode in 0777 1777; do
    mkdir -m 0700 "$TEST_TMP/open-$mode"
    chmod "$mode" "$TEST_TMP/open-$mode"
    run writer -t 1 "$TEST_TMP/open-$mode"
    ok "a directory of mode $mode is refused, one line, saying why and what to do" \
        call_fails "$TEST_TMP/open-$mode: every user may write there, so anyone could take the file's name first; use a directory of your own, .*mktemp -d /dev/shm/lab.XXXXXX.*"
    ok "... and nothing is created there" is_empty_dir "$TEST_TMP/open-$mode"
    prog=msync-flags
    run msync-flags "$TEST_TMP/open-$mode"
    ok "msync-flags refuses a directory of mode $mode too" \
        call_fails "$TEST_TMP/open-$mode: every user may write there, .*"
    ok "... and creates nothing there" is_empty_dir "$TEST_TMP/open-$mode"
    prog=writer
    rmdir "$TEST_TMP/open-$mode"
done

# ---- a reader started first waits for the writer ---------------------------------------------
early=$TEST_TMP/early
mkdir -m 0700 "$early"
start early reader -t 20 "$early"
wait_for_line "$TEST_TMP/early.err" "reader: waiting up to 20 s for the writer to create $name"
start late writer -t 20 "$early"
finish early
ok "a reader started first waits, then reads the message" \
    exits_with_out 0 "reader: pread\(\) shows \"$text\" .*"
finish late
ok "... and the writer completes" exits_with_out 0 "writer: removed $early/$name"
ok "... and removes the file" gone "$early/$name"

# ---- what is not the writer's file is refused ------------------------------------------------
refused=$TEST_TMP/refused
mkdir -m 0700 "$refused"
target=$TEST_TMP/target
echo keep >"$target"

prog=writer
ln -s "$target" "$refused/$name"
run writer -t 1 "$refused"
ok "writer: a symbolic link at the name: EEXIST (O_EXCL|O_NOFOLLOW), exit 1" \
    call_fails "open\(\"$refused/$name\", O_CREAT\|O_EXCL\|O_NOFOLLOW\): EEXIST \(File exists\); .*"
ok "... the link is left in place" test -L "$refused/$name"
ok "... and its target is untouched" is "$(cat "$target")" keep
prog=reader
run reader -t 1 "$refused"
ok "reader: a symbolic link at the name: ELOOP, exit 1" \
    call_fails "open\(\"$refused/$name\", O_RDWR\|O_NOFOLLOW\|O_CLOEXEC\|O_NONBLOCK\): ELOOP .*; it is a symbolic link: refusing it"
rm -f -- "$refused/$name"

prog=writer
printf 'left over' >"$refused/$name"
chmod 0600 "$refused/$name"
run writer -t 1 "$refused"
ok "writer: a file left over: EEXIST with what to do, exit 1" \
    call_fails "open\(\"$refused/$name\", .*\): EEXIST \(File exists\); left over from an earlier run\? .*"
ok "... and the writer leaves that file alone" is "$(cat "$refused/$name")" "left over"
prog=reader
run reader -t 1 "$refused"
ok "reader: a file of the wrong size is refused" call_fails "$refused/$name: it has 9 bytes, not 4096: refusing it"
rm -f -- "$refused/$name"

truncate -s 4096 "$refused/$name"
chmod 0644 "$refused/$name"
run reader -t 1 "$refused"
ok "reader: a file others can read (0644) is refused" \
    call_fails "$refused/$name: its mode is 644, not 600: refusing it"
rm -f -- "$refused/$name"

mkdir "$refused/$name"
run reader -t 1 "$refused"
ok "reader: a directory at the name: EISDIR, exit 1" call_fails "open\(\"$refused/$name\", .*\): EISDIR .*"
rmdir "$refused/$name"

mkfifo -m 0600 "$refused/$name"
run reader -t 1 "$refused"
ok "reader: a FIFO at the name is refused" call_fails "$refused/$name: it is not a regular file: refusing it"
rm -f -- "$refused/$name"

# Hostile contents: READY, but a bad magic; or a length past the end of the file.
printf '\x00\x00\x00\x00\x02\x00\x00\x00' >"$refused/$name"
truncate -s 4096 "$refused/$name"
chmod 0600 "$refused/$name"
run reader -t 1 "$refused"
ok "reader: bad magic is refused" call_fails "$refused/$name: bad magic: .*: refusing it"
printf 'SHM1\x02\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\xff' | dd of="$refused/$name" conv=notrunc status=none
run reader -t 1 "$refused"
ok "reader: a length past the end of the file is refused" \
    call_fails "$refused/$name: the length in the header is larger than the shared area: refusing it"
printf 'SHM1\x02\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x1b[2J' | dd of="$refused/$name" conv=notrunc status=none
run reader -t 1 "$refused"
ok "reader: control characters in the text are printed as '?'" \
    exits_with_out 0 'reader: pread\(\) shows "\?\[2J" \(sequence 1\): .*'
rm -f -- "$refused/$name"

prog=msync-flags
ln -s "$target" "$refused/$flags_name"
run msync-flags "$refused"
ok "msync-flags: a symbolic link at its file's name: EEXIST, with what to do" \
    call_fails "open\(\"$refused/$flags_name\", O_CREAT\|O_EXCL\|O_NOFOLLOW\): EEXIST \(File exists\); an msync-flags is running, .*"
ok "... the link is left in place" test -L "$refused/$flags_name"
ok "... and its target is untouched" is "$(cat "$target")" keep
rm -f -- "$refused/$flags_name"
printf 'left over' >"$refused/$flags_name"
run msync-flags "$refused"
ok "msync-flags: a file left over at its name: EEXIST" call_fails "open\(\"$refused/$flags_name\", .*\): EEXIST .*"
ok "... and that file is left alone" is "$(cat "$refused/$flags_name")" "left over"
rm -f -- "$refused/$flags_name"

# A file size limit of 1 kB: ftruncate to 4096 bytes fails (EFBIG, not SIGXFSZ)
# after the file was created; the one line on stderr still fits.
bash -c 'ulimit -f 1 && exec "$@"' _ "$LESSON_DIR/msync-flags" "$refused" \
    >"$TEST_TMP/fsize.out" 2>"$TEST_TMP/fsize.err" </dev/null
status=$? out=$TEST_TMP/fsize.out err=$TEST_TMP/fsize.err
ok "msync-flags under ulimit -f 1: ftruncate fails with EFBIG, exit 1, one line" \
    call_fails "ftruncate\(\"$refused/$flags_name\", 4096\): EFBIG .*"
ok "... and the file it created is removed" exits_with_out 1 "msync-flags: removed $refused/$flags_name"
ok "... and is gone" gone "$refused/$flags_name"

prog=reader
if really_root && id nobody >/dev/null 2>&1; then
    truncate -s 4096 "$refused/$name"
    chmod 0600 "$refused/$name"
    chown nobody "$refused/$name"
    run reader -t 1 "$refused"
    ok "reader: a file owned by another user is refused" \
        call_fails "$refused/$name: it belongs to uid $(id -u nobody), not to you \(uid 0\): refusing it"
    rm -f -- "$refused/$name"
else
    skip "reader: a file owned by another user is refused" "needs the real root to make one"
fi

# ---- waiting ends: -t 1, Ctrl-C, SIGTERM; the file goes every time ----------------------------
wait_dir=$TEST_TMP/wait
mkdir -m 0700 "$wait_dir"
run writer -t 1 "$wait_dir"
ok "a writer with no reader gives up after -t 1: exit 1" status_is 1
ok "... saying so" err_has 'writer: no answer from the reader: timed out after 1 s'
ok "... and removes the file" exits_with_out 1 "writer: removed $wait_dir/$name"
ok "... which is gone" gone "$wait_dir/$name"

run reader -t 1 "$wait_dir"
ok "a reader with no writer gives up after -t 1: exit 1, naming what to do" \
    exits_with_err 1 "reader: no $wait_dir/$name: timed out after 1 s; start ./writer first"

touch "$wait_dir/$name"
chmod 0600 "$wait_dir/$name"
run reader -t 1 "$wait_dir"
ok "an empty file (a writer still setting up) is waited for, bounded" \
    exits_with_err 1 "reader: no $wait_dir/$name: timed out after 1 s; .*"
truncate -s 4096 "$wait_dir/$name"
run reader -t 1 "$wait_dir"
ok "a file of the right size but no message yet: waited for, bounded" \
    exits_with_err 1 "reader: no message in $wait_dir/$name: timed out after 1 s"
rm -f -- "$wait_dir/$name"

start waiter writer -t 20 "$wait_dir"
wait_for_line "$TEST_TMP/waiter.out" 'writer: waiting up to 20 s for the reader: .*'
kill -INT "${pid[waiter]}"
finish waiter
ok "Ctrl-C while the writer waits: exit 1, interrupted" \
    exits_with_err 1 'writer: no answer from the reader: interrupted by SIGINT'
ok "... and the file is removed" gone "$wait_dir/$name"

start waiter writer -t 20 "$wait_dir"
wait_for_line "$TEST_TMP/waiter.out" 'writer: waiting up to 20 s for the reader: .*'
kill -TERM "${pid[waiter]}"
finish waiter
ok "SIGTERM while the writer waits: exit 1, interrupted" \
    exits_with_err 1 'writer: no answer from the reader: interrupted by SIGTERM'
ok "... and the file is removed" gone "$wait_dir/$name"

start waiter reader -t 20 "$wait_dir"
wait_for_line "$TEST_TMP/waiter.err" 'reader: waiting up to 20 s'
kill -INT "${pid[waiter]}"
finish waiter
ok "Ctrl-C while the reader waits: exit 1, interrupted" \
    exits_with_err 1 "reader: no $wait_dir/$name: interrupted by SIGINT"

# ---- bad arguments ---------------------------------------------------------------------------
long=$(printf 'd%.0s' {1..5000})
for prog in writer reader; do
    for bad in 0 3601 -1 x '' 99999999999999999999 '5 ' 1e3; do
        run "$prog" -t "$bad" "$wait_dir"
        ok "$prog -t '$bad': usage error, exit 2, one line" usage_fails SECONDS
    done
    run "$prog" -t
    ok "$prog -t with no value: usage error" usage_fails 'option -t needs a value'
    run "$prog" -x "$wait_dir"
    ok "$prog -x: usage error" usage_fails 'unknown option -x'
    run "$prog" "$wait_dir" extra
    ok "$prog with too many arguments: usage error" usage_fails 'too many arguments'
    run "$prog" ''
    ok "$prog with an empty DIR: usage error" usage_fails 'DIR is empty:'
    run "$prog" "$long"
    ok "$prog with a 5000-byte DIR: usage error" usage_fails 'DIR .*too long.*'
    run "$prog" -t 1 "$TEST_TMP/missing"
    ok "$prog with a missing DIR: exit 1, ENOENT" call_fails "stat\(\"$TEST_TMP/missing\"\): ENOENT .*"
done
prog=msync-flags
run msync-flags -t 5 "$wait_dir"
ok "msync-flags has no -t: usage error" usage_fails 'unknown option -t'
for bad in -x -w; do
    run msync-flags "$bad"
    ok "msync-flags $bad: usage error" usage_fails "unknown option $bad"
done
run msync-flags "$wait_dir" extra
ok "msync-flags with too many arguments: usage error" usage_fails 'too many arguments'
run msync-flags ''
ok "msync-flags with an empty DIR: usage error" usage_fails 'DIR is empty:'
run msync-flags "$long"
ok "msync-flags with a 5000-byte DIR: usage error" usage_fails 'DIR .*too long.*'
run msync-flags "$TEST_TMP/missing"
ok "msync-flags with a missing DIR: exit 1, ENOENT" call_fails "stat\(\"$TEST_TMP/missing\"\): ENOENT .*"
run msync-flags "$target"
ok "msync-flags with a file for DIR: exit 1, one line" call_fails "$target: it is not a directory"
prog=writer
run writer -t 1 "$target"
ok "writer with a file for DIR: exit 1, one line" call_fails "$target: it is not a directory"
prog=reader
run reader -t 1 "$target"
ok "reader with a file for DIR: exit 1 at once, ENOTDIR" \
    call_fails "open\(\"$target/$name\", .*\): ENOTDIR .*"
ok "no $name is left anywhere in the test directory" is "$(find "$TEST_TMP" -name "$name*")" ""
ok "no $flags_name either" is "$(find "$TEST_TMP" -name "$flags_name*")" ""
