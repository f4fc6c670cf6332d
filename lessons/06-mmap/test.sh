#!/usr/bin/env bash
# Lesson 06 test: writer and reader share a file through mmap(MAP_SHARED). The
# reader sees every update live, in order, with no read(); the maps lines say
# rw-s and r--s; a page past the end of the file gives SIGBUS and a store into a
# read-only mapping SIGSEGV; the waiting writer maps the file with its fd closed;
# stray signals do not stretch -t; a file that is not what the writer makes is
# refused, and so is a directory every user may write; and the writer removes the
# file on every way out (done, timeout, SIGINT, SIGTERM). map-private maps its own
# file MAP_SHARED (rw-s) and MAP_PRIVATE (rw-p): its private store reaches neither
# read() of the file nor the shared mapping; it refuses what the writer refuses,
# never meets the writer's file, and leaves no file behind on any way out.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

FILE=mapped-06.dat
PRIVATE_FILE=mapped-06-private.dat

# A fresh directory of our own (0700) for one case.
new_dir() { mkdir -m 700 "$TEST_TMP/$1" && printf '%s\n' "$TEST_TMP/$1"; }
no_file() { [[ ! -e "$1/${2:-$FILE}" && ! -L "$1/${2:-$FILE}" ]]; }
no_files() { no_file "$1" && no_file "$1" "$PRIVATE_FILE"; }
# The three updates, exactly, in order, as the reader prints them.
saw_every_update() {
    local expected
    expected=$(printf 'reader: update %d: "hello %d of 3, stored into the mapping"\n' 1 1 2 2 3 3)
    [[ "$(grep '^reader: update' "$1")" == "$expected" ]]
}
# The writer's three "reader PID saw it" lines name the reader's pid.
acks_from() { [[ $(grep -Ec "^writer: update [123] stored; reader $2 saw it [0-9.]+ ms later$" "$1") == 3 ]]; }
# Handoffs 2 and 3 (the reader is already running) took less than LIMIT ms.
handoffs_under() {
    awk -v limit="$2" '/^writer: update [23] stored;/ { n++; if ($9 + 0 >= limit) bad = 1 }
                       END { exit !(n == 2 && !bad) }' "$1"
}
# How many calls named by the ERE CALLS, in strace log LOG, used a descriptor of NAME.
calls_on() { grep -Ec "^[0-9]* *($2)\([0-9]+<[^>]*/$3>" "$1"; }
maps_inode() { field_of "$1" "^$2: /proc/self/maps: .* $3 " 5; }
same_inode() { [[ -n "$1" && "$1" == "$2" ]]; }
# Process PID maps the file at PATH, yet holds no descriptor on it.
mapped_without_fd() {
    local real fd
    real=$(realpath "$2") && grep -qF " $real" "/proc/$1/maps" || return 1
    for fd in "/proc/$1/fd/"*; do [[ "$(readlink "$fd")" != "$real" ]] || return 1; done
}
done_and_said() { status_is 0 && out_has "$1"; }
usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1 .*\(usage: $prog .*\)"; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
# A wait that ended: exit 1, the notice "waiting up to ..." and then this line.
gave_up() { status_is 1 && err_has "$prog: waiting up to .*" && err_has "$prog: $1"; }
# A 4096-byte file of ours holding a message: PID, then magic "SHM1", state READY,
# sequence 1, LENGTH, TEXT (little-endian, as on x86-64).
le32() { printf '\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
forge() {
    local path=$1 writer_pid=$2 length=$3 text=$4
    # shellcheck disable=SC2059 # the format is built from escapes on purpose
    printf "$(le32 "$writer_pid")\\x00\\x00\\x00\\x00SHM1$(le32 2)$(le32 1)$(le32 "$length")%s" "$text" >"$path"
    truncate -s 4096 "$path"
    chmod 600 "$path"
}

# ---- the pair, writer first, both under valgrind ------------------------------------
d=$(new_dir pair)
start --vg writer writer "$d"
wait_for_line "$TEST_TMP/writer.out" '^writer: pid [0-9]+ waiting'
start --vg reader reader "$d"
reader_pid=${pid[reader]}
finish reader
ok "reader exits 0" status_is 0
finish writer
ok "writer exits 0" status_is 0
w=$TEST_TMP/writer.out r=$TEST_TMP/reader.out
ok "the writer creates the file 0600, 4096 bytes by ftruncate, 0 blocks: sparse" \
    has_line "$w" "writer: created $d/$FILE, mode 0600, 4096 bytes \(ftruncate\), 0 blocks on disk: sparse"
ok "the writer's mapping is shared and writable: rw-s" \
    has_line "$w" "writer: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +/.*/pair/$FILE"
ok "the reader's mapping is shared and read-only: r--s" \
    has_line "$r" "reader: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ r--s 00000000 [0-9a-f:]+ [0-9]+ +/.*/pair/$FILE"
ok "both map the same file (the same inode)" \
    same_inode "$(maps_inode "$w" writer rw-s)" "$(maps_inode "$r" reader r--s)"
ok "the reader checked the file before mapping it" \
    has_line "$r" "reader: $d/$FILE is a regular file of mine, 4096 bytes: mapped it read-only"
ok "the reader saw updates 1, 2, 3 live, in order, with the writer's text" saw_every_update "$r"
ok "each update was acknowledged by the reader's pid ($reader_pid) before the next" \
    acks_from "$w" "$reader_pid"
ok "the writer maps the file once only, shared: no rw-p line" \
    bash -c "! grep -q ' rw-p ' '$w'"
ok "a load from page 1 of a 2-page mapping of the 1-page file works" \
    has_line "$r" 'reader: a 2-page mapping of the 1-page file: a load from page 1 gets no signal'
ok "a load from page 2, past the end of the file, is SIGBUS" \
    has_line "$r" 'reader: a load from page 2 \(past the end of the file\) killed the child with SIGBUS'
ok "a store through the read-only mapping is SIGSEGV" \
    has_line "$r" 'reader: a store through the read-only mapping killed the child with SIGSEGV'
ok "the writer removed the file" has_line "$w" "writer: removed $d/$FILE"
ok "... and it is gone" no_file "$d"

# ---- map-private, under valgrind: MAP_PRIVATE stores reach neither the file nor MAP_SHARED --
d=$(new_dir private)
run --vg map-private "$d"
p=$out
ok "map-private exits 0" status_is 0
ok "map-private creates its own file, 0600, 4096 bytes by ftruncate" \
    out_has "map-private: created $d/$PRIVATE_FILE, mode 0600, 4096 bytes \(ftruncate\)"
ok "its MAP_SHARED mapping is rw-s" \
    out_has "map-private: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +/.*/private/$PRIVATE_FILE"
ok "its MAP_PRIVATE mapping is rw-p" \
    out_has "map-private: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-p 00000000 [0-9a-f:]+ [0-9]+ +/.*/private/$PRIVATE_FILE"
ok "... of the same inode" \
    same_inode "$(maps_inode "$p" map-private rw-s)" "$(maps_inode "$p" map-private rw-p)"
ok "before its first store, the MAP_PRIVATE mapping reads the file's page" \
    out_has 'map-private: before its first store, the MAP_PRIVATE mapping reads the file: "hello from MAP_SHARED"'
ok "it stores through the MAP_PRIVATE mapping" \
    out_has 'map-private: stored "hello from MAP_PRIVATE" through the MAP_PRIVATE mapping'
ok "... yet read() of the file still gives the shared text" \
    out_has 'map-private: read\(\) of the file gives "hello from MAP_SHARED"'
ok "... and so does a load through the MAP_SHARED mapping" \
    out_has 'map-private: a load through the MAP_SHARED mapping gives "hello from MAP_SHARED"'
ok "... while the MAP_PRIVATE mapping shows its own store" \
    out_has 'map-private: a load through the MAP_PRIVATE mapping gives "hello from MAP_PRIVATE"'
ok "map-private removed its file" out_has "map-private: removed $d/$PRIVATE_FILE"
ok "... and it is gone, with nothing else left" [ -z "$(ls -A "$d")" ]

# ---- reader first, under strace: stores and loads, never write() or read() -----------
d=$(new_dir traced)
if strace -o /dev/null true 2>/dev/null; then
    traced() {
        local name=$1 prog=$2; shift 2
        # LeakSanitizer cannot run under ptrace: off here, for sanitizer builds.
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -qq -f -y -o "$TEST_TMP/$name.strace" \
            -e trace=read,write,pread64,pwrite64,readv,writev,preadv,pwritev,preadv2,pwritev2 \
            "$LESSON_DIR/$prog" "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null &
        pid[$name]=$!
    }
    traced early reader "$d"
    wait_for_line "$TEST_TMP/early.err" "^reader: waiting up to 10 s for the writer to create $FILE$"
    traced late writer "$d"
    finish early
    ok "a reader started first waits for the file, then sees every update" \
        saw_every_update "$TEST_TMP/early.out"
    finish late
    ok "... and the writer completes" status_is 0
    ok "strace saw the programs' system calls" grep -q '^[0-9]* *write(1<' "$TEST_TMP/early.strace"
    ok "the reader never read() the file: its data came through the mapping" \
        bash -c "! grep -Eq '(read|pread64|readv|preadv2?)\([0-9]+<[^>]*/$FILE>' '$TEST_TMP/early.strace'"
    ok "the writer never write() the file: plain stores into the mapping" \
        bash -c "! grep -Eq '(write|pwrite64|writev|pwritev2?)\([0-9]+<[^>]*/$FILE>' '$TEST_TMP/late.strace'"
    ok "... nor read() it" \
        bash -c "! grep -Eq '(read|pread64|readv|preadv2?)\([0-9]+<[^>]*/$FILE>' '$TEST_TMP/late.strace'"
    traced private map-private "$d"
    finish private
    ok "map-private under strace exits 0" status_is 0
    ok "map-private never write() its file: the text came through MAP_SHARED" \
        [ "$(calls_on "$TEST_TMP/private.strace" 'write|pwrite64|writev|pwritev2?' "$PRIVATE_FILE")" = 0 ]
    ok "... its one read() of the file is the check" \
        [ "$(calls_on "$TEST_TMP/private.strace" 'read|pread64|readv|preadv2?' "$PRIVATE_FILE")" = 1 ]
    ok "... and gives the shared text, which no write() put there" \
        grep -qF "/$PRIVATE_FILE>, \"hello from MAP_SHARED\\0" "$TEST_TMP/private.strace"
else
    skip "the programs use no read()/write() on the file" "strace cannot trace here"
fi
ok "... and the files are gone" no_files "$d"

# ---- the pair again, without valgrind: how fast is a handoff? ---------------------------
d=$(new_dir quick)
start sw writer -t 5 "$d"
wait_for_line "$TEST_TMP/sw.out" '^writer: pid [0-9]+ waiting'
run reader -t 5 "$d"
cp "$out" "$TEST_TMP/sr.out"
ok "the reader sees every update" saw_every_update "$TEST_TMP/sr.out"
finish sw
ok "... the writer exits 0" status_is 0
ok "handoffs take milliseconds: updates 2 and 3 seen within 100 ms each" \
    handoffs_under "$TEST_TMP/sw.out" 100
ok "... and the file is gone" no_file "$d"

# ---- a stray signal is not the reader's answer, and does not hide it ---------------
d=$(new_dir stray)
start stray writer -t 5 "$d"
wait_for_line "$TEST_TMP/stray.out" '^writer: pid [0-9]+ waiting'
kill -s RTMIN "${pid[stray]}"
run reader -t 5 "$d"
cp "$out" "$TEST_TMP/sr.out"
finish stray
ok "a plain kill -RTMIN (SI_USER, no number) does not count as 'seen'" status_is 0
ok "... the exchange still completes" saw_every_update "$TEST_TMP/sr.out"

# A stray signal every 0.1 s: each one ends a sigtimedwait, and the next must wait
# only for what is left of -t 1, not for 1 s again.
d=$(new_dir spam)
start spam writer -t 1 "$d"
wait_for_line "$TEST_TMP/spam.out" '^writer: pid [0-9]+ waiting'
tries=0
while ! grep -q 'no reader saw' "$TEST_TMP/spam.err" && (( tries++ < 50 )); do
    kill -s RTMIN "${pid[spam]}" 2>/dev/null
    sleep 0.1
done
finish spam
prog=writer
ok "stray signals do not stretch -t 1: the writer gives up all the same" \
    call_fails 'no reader saw update 1: timed out after 1 s'
ok "... while they still come (after $tries of at most 50 signals, 0.1 s apart)" \
    [ "$tries" -lt 40 ]
ok "... and removes the file" no_file "$d"

# A writer killed with SIGKILL cannot clean up: the reader sees its first update,
# then cannot tell it "seen", and says the writer is gone and what to do.
d=$(new_dir killed)
start gone writer -t 20 "$d"
wait_for_line "$TEST_TMP/gone.out" '^writer: pid [0-9]+ waiting'
kill -KILL "${pid[gone]}"
finish gone
run reader -t 1 "$d"
prog=reader
ok "the writer killed: the reader says it is gone and how to clean up, exit 1" \
    call_fails "sigqueue\([0-9]+, SIGRTMIN, 1\): ESRCH \(No such process\); the writer is gone; 'make clean-ipc' removes the file it left"
rm -f -- "$d/$FILE"

# ---- a second writer: EEXIST, and the first one's file is left alone ----------------
d=$(new_dir twice)
start first writer -t 20 "$d"
wait_for_line "$TEST_TMP/first.out" '^writer: pid [0-9]+ waiting'
run writer "$d"
prog=writer
ok "a second writer gets EEXIST, one line, with what to do" \
    call_fails "open\($d/$FILE, O_RDWR\|O_CREAT\|O_EXCL\|O_NOFOLLOW\|O_CLOEXEC, 0600\): EEXIST \(File exists\); a writer is running, .*"
ok "... and does not remove the first writer's file" test -f "$d/$FILE"
ok "the waiting writer maps the file but has closed its descriptor (/proc/PID/fd)" \
    mapped_without_fd "${pid[first]}" "$d/$FILE"
ok "once update 1 is stored, the sparse file has 8 blocks of 512: one page on disk" \
    [ "$(stat -c %b "$d/$FILE")" = 8 ]
inode=$(stat -c %i "$d/$FILE")
run map-private "$d"
ok "map-private beside the waiting writer, in the same DIR: its own file, exit 0" \
    done_and_said "map-private: removed $d/$PRIVATE_FILE"
ok "... and the writer's file is untouched: the same inode, still 4096 bytes" \
    [ "$(stat -c '%i %s' "$d/$FILE")" = "$inode 4096" ]
kill -TERM "${pid[first]}"
finish first
ok "SIGTERM while the writer waits: exit 1, one line" \
    call_fails 'no reader saw update 1: interrupted by SIGTERM'
ok "... and the file is removed" no_file "$d"

# ---- Ctrl-C and timeouts ---------------------------------------------------------------
d=$(new_dir sigint)
start wi writer -t 20 "$d"
wait_for_line "$TEST_TMP/wi.out" '^writer: pid [0-9]+ waiting'
kill -INT "${pid[wi]}"
finish wi
ok "SIGINT (Ctrl-C) while the writer waits for the reader: exit 1, one line" \
    call_fails 'no reader saw update 1: interrupted by SIGINT'
ok "... and the file is removed" no_file "$d"

d2=$(new_dir sigint-reader)
start ri reader -t 20 "$d2"
wait_for_line "$TEST_TMP/ri.err" '^reader: waiting up to 20 s'
kill -INT "${pid[ri]}"
finish ri
prog=reader
ok "SIGINT while the reader waits for the file: exit 1, one line" \
    gave_up "no $d2/$FILE: interrupted by SIGINT"

# Four one-second waits at once.
d1=$(new_dir alone-writer) d2=$(new_dir alone-reader) d3=$(new_dir empty) d4=$(new_dir blank)
: >"$d3/$FILE"
truncate -s 4096 "$d4/$FILE"
chmod 600 "$d3/$FILE" "$d4/$FILE"
start t1 writer -t 1 "$d1"
start t2 reader -t 1 "$d2"
start t3 reader -t 1 "$d3"
start t4 reader -t 1 "$d4"
finish t1
ok "a writer with no reader gives up after -t 1: exit 1" status_is 1
ok "... naming the update and the timeout" err_has 'writer: no reader saw update 1: timed out after 1 s'
ok "... and removes the file" no_file "$d1"
finish t2
prog=reader
ok "a reader with no writer gives up after -t 1, with what to do" \
    gave_up "no $d2/$FILE: timed out after 1 s; start ./writer first"
finish t3
ok "an empty file of ours (a writer about to size it) is waited for, then given up" \
    gave_up "no $d3/$FILE: timed out after 1 s; start ./writer first"
finish t4
ok "a file of the right size where no update ever comes: timed out" \
    call_fails "no update 1 in $d4/$FILE: timed out after 1 s"
rm -f "$d3/$FILE" "$d4/$FILE"

# ---- files the reader refuses ----------------------------------------------------------
prog=reader
d=$(new_dir refuse)
truncate -s 4096 "$d/target"
chmod 600 "$d/target"
ln -s target "$d/$FILE"
run reader -t 1 "$d"
ok "a symlink at the file's name is refused (O_NOFOLLOW: ELOOP)" \
    call_fails "open\($d/$FILE, O_RDONLY\|O_NOFOLLOW\|O_CLOEXEC\|O_NONBLOCK\): ELOOP .*; it is a symbolic link: refusing it"
rm -f "$d/$FILE"

truncate -s 100 "$d/$FILE"
chmod 600 "$d/$FILE"
run reader -t 1 "$d"
ok "a file of the wrong size is refused" call_fails "$d/$FILE: it has 100 bytes, not 4096: refusing it"
rm -f "$d/$FILE"

mkdir "$d/$FILE"
run reader -t 1 "$d"
ok "a directory at the file's name is refused" call_fails "$d/$FILE: it is not a regular file: refusing it"
rmdir "$d/$FILE"

mkfifo -m 600 "$d/$FILE"
start fifo reader -t 1 "$d"
finish fifo
ok "a FIFO at the file's name is refused at once (O_NONBLOCK: open does not hang)" \
    call_fails "$d/$FILE: it is not a regular file: refusing it"
rm -f "$d/$FILE"

truncate -s 4096 "$d/$FILE"
chmod 644 "$d/$FILE"
run reader -t 1 "$d"
ok "a file of ours with another mode than 0600 is refused" \
    call_fails "$d/$FILE: its mode is 644, not 600: refusing it"
chmod 600 "$d/$FILE"
if chown nobody "$d/$FILE" 2>/dev/null; then
    run reader -t 1 "$d"
    ok "a file owned by another user is refused" \
        call_fails "$d/$FILE: it belongs to uid $(id -u nobody), not to you \(uid $(id -u)\): refusing it"
else
    skip "a file owned by another user is refused" "making one needs root (chown to nobody)"
fi
rm -f "$d/$FILE"

forge "$d/$FILE" 1 5000 hello
run reader -t 1 "$d"
ok "a message whose length is larger than the file is refused" \
    call_fails "$d/$FILE: the length in the header is larger than the shared area: refusing it"
# A separate session: were the check missing, a signal could reach only the reader.
forge "$d/$FILE" 0 5 hello
setsid -w "$LESSON_DIR/reader" -t 1 "$d" >"$TEST_TMP/pid0.out" 2>"$TEST_TMP/pid0.err" </dev/null
status=$? out=$TEST_TMP/pid0.out err=$TEST_TMP/pid0.err
ok "a pid of 0 in the file is refused before any signal is sent" \
    call_fails "$d/$FILE: 0 is not a writer's pid: refusing it"
forge "$d/$FILE" 2147483647 5 hello
run reader -t 1 "$d"
ok "a pid with no process behind it: ESRCH" \
    call_fails 'sigqueue\(2147483647, SIGRTMIN, 1\): ESRCH .*'
rm -f "$d/$FILE"

# ---- directories the writer refuses, and both programs' bad paths ----------------------
# Every user may write there (as in /tmp, /dev/shm), sticky bit or not: refused.
for mode in 0777 1777; do
    d=$(new_dir "open-$mode")
    chmod "$mode" "$d"
    for prog in writer map-private; do
        run "$prog" "$d"
        ok "$prog: a directory of mode $mode is refused, one line, saying why and what to do" \
            call_fails "$d: every user may write there, so anyone could take the file's name first; use a directory of your own, .*mktemp -d.*"
        ok "... and nothing is created there" [ -z "$(ls -A "$d")" ]
    done
done
prog=writer

d=$(new_dir links)
ln -s "$d/victim" "$d/$FILE"
run writer -t 1 "$d"
ok "a dangling symlink at the file's name: EEXIST (O_EXCL), nothing followed" \
    call_fails "open\($d/$FILE, .*\): EEXIST .*"
ok "... the link's target was not created" test ! -e "$d/victim"
ok "... and the link is left alone" test -L "$d/$FILE"
rm -f "$d/$FILE"
prog=map-private
ln -s "$d/victim" "$d/$PRIVATE_FILE"
run map-private "$d"
ok "map-private, a dangling symlink at its file's name: EEXIST, one line, with what to do" \
    call_fails "open\($d/$PRIVATE_FILE, O_RDWR\|O_CREAT\|O_EXCL\|O_NOFOLLOW\|O_CLOEXEC, 0600\): EEXIST \(File exists\); a map-private is running, .*"
ok "... the link's target was not created" test ! -e "$d/victim"
ok "... and the link is left alone" test -L "$d/$PRIVATE_FILE"
rm -f "$d/$PRIVATE_FILE"
truncate -s 4096 "$d/$PRIVATE_FILE"
chmod 600 "$d/$PRIVATE_FILE"
run map-private "$d"
ok "map-private, a file left at its name: EEXIST" call_fails "open\($d/$PRIVATE_FILE, .*\): EEXIST .*"
ok "... and that file, not its own, is left alone" test -f "$d/$PRIVATE_FILE"
rm -f "$d/$PRIVATE_FILE"
# A file size limit of 1 KiB: ftruncate to 4096 fails (EFBIG) after the file was
# created (the one line on stderr still fits).
bash -c 'ulimit -f 1 && exec "$@"' _ "$LESSON_DIR/map-private" "$d" \
    >"$TEST_TMP/fsize.out" 2>"$TEST_TMP/fsize.err" </dev/null
status=$? out=$TEST_TMP/fsize.out err=$TEST_TMP/fsize.err
ok "map-private whose ftruncate fails: exit 1, one line" \
    call_fails "ftruncate\($d/$PRIVATE_FILE, 4096\): EFBIG .*"
ok "... and the file it created is removed" no_file "$d" "$PRIVATE_FILE"
prog=writer
mkdir "$d/$FILE"
run writer -t 1 "$d"
ok "a directory at the file's name: EEXIST" call_fails "open\($d/$FILE, .*\): EEXIST .*"
rmdir "$d/$FILE"

: >"$TEST_TMP/plain-file"
for prog in writer reader map-private; do
    run "$prog" "$TEST_TMP/missing"
    ok "$prog with a missing directory: exit 1 at once, ENOENT" \
        call_fails "stat\($TEST_TMP/missing\): ENOENT .*"
done
for prog in writer map-private; do
    run "$prog" "$TEST_TMP/plain-file"
    ok "$prog with a file for DIR: exit 1, one line" call_fails "$TEST_TMP/plain-file: it is not a directory"
done
prog=reader
run reader -t 1 "$TEST_TMP/plain-file"
ok "reader with a file for DIR: exit 1 at once, ENOTDIR" \
    call_fails "open\($TEST_TMP/plain-file/$FILE, .*\): ENOTDIR .*"

# ---- bad arguments -------------------------------------------------------------------------
for prog in writer reader; do
    for bad in 0 3601 -1 x '' 99999999999999999999 '5 ' 1e3; do
        run "$prog" -t "$bad" "$TEST_TMP"
        ok "$prog -t '$bad': usage error, exit 2, one line" usage_fails SECONDS
    done
    run "$prog" -t
    ok "$prog -t with no value: usage error" usage_fails 'option -t needs a value'
    run "$prog" -x
    ok "$prog -x: usage error" usage_fails 'unknown option -x'
    run "$prog" a b
    ok "$prog with too many arguments: usage error" usage_fails 'too many arguments'
    run "$prog" ''
    ok "$prog with an empty DIR: usage error" usage_fails 'DIR is empty:'
done
prog=map-private
run map-private -t 5 "$TEST_TMP"
ok "map-private has no -t: usage error" usage_fails 'unknown option -t'
for bad in -x -w; do
    run map-private "$bad"
    ok "map-private $bad: usage error" usage_fails "unknown option $bad"
done
run map-private a b
ok "map-private with too many arguments: usage error" usage_fails 'too many arguments'
run map-private ''
ok "map-private with an empty DIR: usage error" usage_fails 'DIR is empty:'
run map-private "$TEST_TMP/$(printf '%5000s' '' | tr ' ' a)"
ok "map-private with a DIR of 5000 characters: usage error" usage_fails "DIR '.*' is too long:"
ok "no file is left in the test directory" no_files "$TEST_TMP"
