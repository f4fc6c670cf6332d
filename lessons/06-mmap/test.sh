#!/usr/bin/env bash
# Lesson 06 test: writer and reader share a file through mmap(MAP_SHARED): both
# maps lines say rw-s on one inode, the message goes one way and SEEN the other
# through the page, with no read() or write() of the file; the writer maps with its
# fd closed and removes the file on every way out (done, timeout, SIGINT, SIGTERM,
# a failed ftruncate). The reader waits for a writer that is between open() and
# ftruncate(), but refuses an empty leftover at once, and anything else that is not
# what the writer makes. map-private: MAP_PRIVATE is copy-on-write (rw-p), its
# store reaches neither read() nor the MAP_SHARED mapping. past-eof: the rest of
# the file's last page works, the next page is SIGBUS. The one-line edits of the
# README's Questions are built and do what it says. Nothing is left behind.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

FILE=mapped-06.dat
TEXT='hello through a shared file mapping'

new_dir() { mkdir -m 700 "$TEST_TMP/$1" && printf '%s\n' "$TEST_TMP/$1"; }
no_file() { [[ ! -e "$1" && ! -L "$1" ]]; }
empty_dir() { [[ -z "$(ls -A "$1")" ]]; }
maps_inode() { field_of "$1" "^$2: /proc/self/maps: .* $3 " 5; }
same_inode() { [[ -n "$1" && "$1" == "$2" ]]; }
fails_with() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
# A wait that ended: exit 1, the notice "waiting up to ..." and then this line.
gave_up() { status_is 1 && err_has "$prog: waiting up to .*" && err_has "$prog: $1"; }
link_only() { [[ ! -e "$1" && -L "$2" ]]; }
usage_shown() { status_is 0 && out_has "usage: $1 .*"; }
too_many() { status_is 2 && err_has "$1: too many arguments.*"; }
# Process PID maps the file at PATH, yet holds no descriptor on it.
mapped_without_fd() {
    local real fd
    real=$(realpath "$2") && grep -qF " $real" "/proc/$1/maps" || return 1
    for fd in "/proc/$1/fd/"*; do [[ "$(readlink "$fd")" != "$real" ]] || return 1; done
}
# The 32-bit word at byte OFFSET of FILE (state is at 4).
word_at() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
# Play a writer by hand, in place (no O_TRUNC): ftruncate to 4096 bytes first (as
# truncate -s does), then magic "SHM1", state 0, LENGTH, TEXT; `publish` then
# stores state READY (2).
le32() { printf '\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
fill() {
    truncate -s 4096 "$1"
    # shellcheck disable=SC2059 # the format is built from escapes on purpose
    printf "SHM1$(le32 0)$(le32 "$2")%s" "$3" 1<>"$1"
}
# shellcheck disable=SC2059
publish() { printf "$(le32 2)" | dd of="$1" bs=1 seek=4 conv=notrunc status=none; }

# ---- the pair, writer first, both under valgrind -----------------------------------
d=$(new_dir pair)
start --vg writer writer "$d"
wait_for_line "$TEST_TMP/writer.err" '^writer: waiting up to 10 s for the reader'
ok "the waiting writer maps the file but has closed its descriptor" \
    mapped_without_fd "${pid[writer]}" "$d/$FILE"
ok "... a file of 4096 bytes, mode 0600" [ "$(stat -c '%s %a' "$d/$FILE")" = "4096 600" ]
start --vg reader reader "$d"
finish reader
ok "reader exits 0" status_is 0
finish writer
ok "writer exits 0" status_is 0
w=$TEST_TMP/writer.out r=$TEST_TMP/reader.out
ok "the writer creates the file, 0600, 4096 bytes by ftruncate" \
    has_line "$w" "writer: created $d/$FILE, mode 0600, 4096 bytes \(ftruncate\)"
ok "the writer's mapping is shared: rw-s" \
    has_line "$w" "writer: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +$d/$FILE"
ok "the reader checked the file before mapping it" \
    has_line "$r" "reader: $d/$FILE is a regular file of mine, mode 0600, 4096 bytes"
ok "the reader's mapping is shared: rw-s" \
    has_line "$r" "reader: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +$d/$FILE"
ok "both map the same file (one inode: one page of the page cache)" \
    same_inode "$(maps_inode "$w" writer rw-s)" "$(maps_inode "$r" reader rw-s)"
ok "the reader sees the writer's message in its own memory" \
    has_line "$r" "reader: \"$TEXT\"; marked it SEEN"
ok "the writer sees the reader's SEEN in its own memory" \
    has_line "$w" "writer: stored \"$TEXT\"; the reader marked it SEEN"
ok "the writer removed the file" has_line "$w" "writer: removed $d/$FILE"
ok "... and it is gone" empty_dir "$d"

# ---- reader first, under strace: loads and stores, never read() or write() --------
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
    pread_gave() { grep '^[0-9]* *pread64(.*/mapped-06-private.dat' "$1" | grep -qF "$2"; }
    io_on() { grep -Ec "^[0-9]* *($2)\([0-9]+<[^>]*/$3( \(deleted\))?>" "$1"; }
    traced early reader "$d"
    wait_for_line "$TEST_TMP/early.err" "^reader: waiting up to 10 s for the writer to create $FILE$"
    traced late writer "$d"
    finish early
    ok "a reader started first waits for the file, then gets the message" \
        has_line "$TEST_TMP/early.out" "reader: \"$TEXT\"; marked it SEEN"
    finish late
    ok "... and the writer completes" status_is 0
    ok "strace saw the programs' system calls" grep -q '^[0-9]* *write(1<' "$TEST_TMP/early.strace"
    ok "neither program read() or write() the file: the bytes went through the mappings" \
        [ "$(io_on "$TEST_TMP/early.strace" '[a-z0-9]+' "$FILE")$(io_on "$TEST_TMP/late.strace" '[a-z0-9]+' "$FILE")" = 00 ]
    traced private map-private "$d"
    finish private
    ok "map-private under strace: no write() to its file, one pread() of it" \
        [ "$(io_on "$TEST_TMP/private.strace" 'write|pwrite64|writev|pwritev2?' mapped-06-private.dat) $(io_on "$TEST_TMP/private.strace" 'pread64' mapped-06-private.dat)" = "0 1" ]
    ok "... which returns the text stored through MAP_SHARED: read() sees it at once" \
        pread_gave "$TEST_TMP/private.strace" '"hello from MAP_SHARED\0'
else
    skip "the programs use no read()/write() on the file" "strace cannot trace here"
fi
ok "... and nothing is left" empty_dir "$d"

# ---- the empty file: a writer at work is waited for, a leftover is refused at once --
prog=reader
d=$(new_dir empty)
(umask 077 && : >"$d/$FILE")
start slow reader -t 5 "$d"
wait_for_line "$TEST_TMP/slow.err" "^reader: waiting up to 5 s for the writer to size $FILE$"
fill "$d/$FILE" ${#TEXT} "$TEXT"        # the slow writer's ftruncate and message
publish "$d/$FILE"
finish slow
ok "a new empty file (a writer between open and ftruncate) is waited for, not refused" \
    has_line "$out" "reader: \"$TEXT\"; marked it SEEN"
ok "... and the reader's SEEN (3) is in the file, for read() to see" [ "$(word_at "$d/$FILE" 4)" = 3 ]
rm -f "$d/$FILE"

(umask 077 && : >"$d/$FILE")
touch -d '1 minute ago' "$d/$FILE"
run reader "$d"
ok "an empty leftover is refused at once: one line (no wait), exit 1, with rm PATH" \
    fails_with "$d/$FILE: it has 0 bytes, fewer than 4096: refusing it; left by an earlier run\? remove it: rm $d/$FILE"
touch "$d/$FILE"
start fresh reader "$d"
finish fresh
ok "a fresh empty file that stays empty: refused after a second, not after -t 10" \
    gave_up "$d/$FILE: it has 0 bytes, fewer than 4096: refusing it; .*"
touch "$d/$FILE"
start young reader -t 1 "$d"
while kill -0 "${pid[young]}" 2>/dev/null; do touch "$d/$FILE"; sleep 0.1; done
finish young
ok "a file kept young and empty until -t 1 ends: 'is still empty', not 'no PATH'" \
    gave_up "$d/$FILE is still empty: timed out after 1 s"
rm -f "$d/$FILE"

# ---- what the reader refuses ----------------------------------------------------------
truncate -s 100 "$d/$FILE" && chmod 600 "$d/$FILE"
run reader -t 1 "$d"
ok "a file too small is refused, with rm PATH" \
    fails_with "$d/$FILE: it has 100 bytes, fewer than 4096: refusing it; left by an earlier run\? remove it: rm $d/$FILE"
chmod 644 "$d/$FILE"
run reader -t 1 "$d"
ok "a file of ours with mode 644 is refused" fails_with "$d/$FILE: its mode is 644, not 600: refusing it; .*"
rm -f "$d/$FILE"
ln -s /etc/passwd "$d/$FILE"
run reader -t 1 "$d"
ok "a symlink at the name is not followed (O_NOFOLLOW: ELOOP)" fails_with "open\($d/$FILE, .*\): ELOOP .*"
rm -f "$d/$FILE"
mkfifo -m 600 "$d/$FILE"
run reader -t 1 "$d"
ok "a FIFO at the name: refused at once, open() does not hang" \
    fails_with "$d/$FILE: it is not a regular file: refusing it; .*"
rm -f "$d/$FILE"
mkdir "$d/$FILE"
run reader -t 1 "$d"
ok "a directory at the name: EISDIR" fails_with "open\($d/$FILE, .*\): EISDIR .*"
rmdir "$d/$FILE"
(umask 077 && : >"$d/$FILE") && fill "$d/$FILE" 5000 hello && publish "$d/$FILE"
run reader -t 1 "$d"
ok "a READY message whose length is larger than the file is refused" \
    fails_with "$d/$FILE: its length is larger than the room for it: refusing it"
fill "$d/$FILE" 0 ''
run reader -t 1 "$d"
ok "a file of the right size where no message comes: timed out after -t 1" \
    gave_up "$d/$FILE: no message: timed out after 1 s"
if really_root; then
    chown nobody "$d/$FILE"
    run reader -t 1 "$d"
    ok "a file of another user is refused, with no rm hint" \
        fails_with "$d/$FILE: it belongs to uid $(id -u nobody), not to you: refusing it"
else
    skip "a file of another user is refused" "making one needs the real root"
fi
rm -f "$d/$FILE"

# ---- the writer's ways out: EEXIST, SIGTERM, SIGINT, timeout, a failed ftruncate -----
prog=writer
d=$(new_dir twice)
start first writer -t 20 "$d"
wait_for_line "$TEST_TMP/first.err" '^writer: waiting up to 20 s'
inode=$(stat -c %i "$d/$FILE")
run writer "$d"
ok "a second writer: EEXIST, one line, with rm PATH" \
    fails_with "open\($d/$FILE, O_RDWR\|O_CREAT\|O_EXCL\|O_NOFOLLOW\|O_CLOEXEC, 0600\): EEXIST \(File exists\); left by an earlier run of yours\? remove it: rm $d/$FILE"
ok "... and the first writer's file is left alone" [ "$(stat -c %i "$d/$FILE")" = "$inode" ]
kill -TERM "${pid[first]}"
finish first
ok "SIGTERM while the writer waits: exit 1, one line after the notice" \
    gave_up "$d/$FILE: not seen: interrupted by SIGTERM"
ok "... and the file is removed" no_file "$d/$FILE"
start wi writer "$d"
wait_for_line "$TEST_TMP/wi.err" '^writer: waiting up to 10 s'
kill -INT "${pid[wi]}"
finish wi
ok "SIGINT (Ctrl-C) while the writer waits: exit 1, one line after the notice" \
    gave_up "$d/$FILE: not seen: interrupted by SIGINT"
ok "... and the file is removed" no_file "$d/$FILE"
run writer -t 1 "$d"
ok "a writer with no reader gives up after -t 1" gave_up "$d/$FILE: not seen: timed out after 1 s"
ok "... and removes the file" no_file "$d/$FILE"
# A file size limit of 1 KiB: ftruncate to 4096 fails (EFBIG; SIGXFSZ ignored).
bash -c 'trap "" XFSZ; ulimit -f 1 && exec "$@"' _ "$LESSON_DIR/writer" "$d" \
    >"$TEST_TMP/fsize.out" 2>"$TEST_TMP/fsize.err" </dev/null
status=$? out=$TEST_TMP/fsize.out err=$TEST_TMP/fsize.err
ok "a writer whose ftruncate fails: exit 1, one line" fails_with "ftruncate\($d/$FILE, 4096\): EFBIG .*"
ok "... and the file it created is removed" no_file "$d/$FILE"
ln -s "$d/victim" "$d/$FILE"
run writer "$d"
ok "a dangling symlink at the name: EEXIST, nothing followed" fails_with "open\($d/$FILE, .*\): EEXIST .*"
ok "... the link's target was not created" no_file "$d/victim"
rm -f "$d/$FILE"

prog=reader
d=$(new_dir alone)
start ri reader -t 20 "$d"
wait_for_line "$TEST_TMP/ri.err" '^reader: waiting up to 20 s'
kill -INT "${pid[ri]}"
finish ri
ok "SIGINT while the reader waits for the file: exit 1" gave_up "no $d/$FILE: interrupted by SIGINT"
run reader -t 1 "$d"
ok "a reader with no writer gives up after -t 1" gave_up "no $d/$FILE: timed out after 1 s"

# ---- map-private, under valgrind: copy-on-write --------------------------------------
d=$(new_dir private)
run --vg map-private "$d"
p=$out
ok "map-private exits 0" status_is 0
ok "its MAP_SHARED mapping is rw-s, of a file whose name is gone" \
    out_has "map-private: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +$d/mapped-06-private.dat \(deleted\)"
ok "its MAP_PRIVATE mapping is rw-p" \
    out_has "map-private: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-p 00000000 [0-9a-f:]+ [0-9]+ +$d/mapped-06-private.dat \(deleted\)"
ok "... of the same inode" same_inode "$(maps_inode "$p" map-private rw-s)" "$(maps_inode "$p" map-private rw-p)"
ok "before its first store, the MAP_PRIVATE mapping reads the file's page" \
    out_has 'map-private: before its first store, MAP_PRIVATE reads the file: "hello from MAP_SHARED"'
ok "after it, read() of the file still gives the shared text" \
    out_has 'map-private: read\(\) of the file gives "hello from MAP_SHARED"'
ok "... and so does the MAP_SHARED mapping" out_has 'map-private: the MAP_SHARED mapping gives "hello from MAP_SHARED"'
ok "... while the MAP_PRIVATE mapping shows its own copy" \
    out_has 'map-private: the MAP_PRIVATE mapping gives "hello from MAP_PRIVATE"'
ok "... and nothing is left" empty_dir "$d"

# ---- past-eof, under valgrind: the last page works, the next one is SIGBUS ------------
d=$(new_dir eof)
run --vg past-eof "$d"
ok "past-eof exits 0" status_is 0
ok "mmap maps 2 pages of a 100-byte file: it does not compare with the size" \
    out_has 'past-eof: mapped 2 pages \(8192 bytes\) of a 100-byte file'
ok "a store past byte 100 on the file's last page works, and does not grow the file" \
    out_has 'past-eof: a store into byte 4095 \(page 1\) works; the file still has 100 bytes'
ok "a load from the page after the file's last page is SIGBUS" \
    out_has 'past-eof: a load from page 2 killed the child with SIGBUS'
ok "... and nothing is left" empty_dir "$d"

# ---- map-private and past-eof: EEXIST, and a symlink is not followed ------------------
for prog in map-private past-eof; do
    name=mapped-06-private.dat
    [[ $prog == past-eof ]] && name=mapped-06-eof.dat
    d=$(new_dir "exists-$prog")
    ln -s "$d/victim" "$d/$name"
    run "$prog" "$d"
    ok "$prog: a symlink at its name: EEXIST, one line, with rm PATH; not followed" \
        fails_with "open\($d/$name, O_RDWR\|O_CREAT\|O_EXCL\|O_NOFOLLOW\|O_CLOEXEC, 0600\): EEXIST \(File exists\); left by an earlier run of yours\? remove it: rm $d/$name"
    ok "... the target was not created, the link left alone" link_only "$d/victim" "$d/$name"
    rm -f "$d/$name"
done

# ---- Questions, for real: the README's one-line edits, built and run -------------
# They run in the directory with DIR ".", as in the README: ./mapped-06.dat.
# broken DIR PROG SED: build PROG.c with one change as DIR/PROG (its own name).
broken() {
    mkdir -p "$TEST_TMP/$1" && sed "$3" "$LESSON_DIR/$2.c" >"$TEST_TMP/$1/$2.c" &&
        ! cmp -s "$TEST_TMP/$1/$2.c" "$LESSON_DIR/$2.c" &&
        "${CC:-cc}" -std=c11 -I"$LESSON_DIR/../../common" -o "$TEST_TMP/$1/$2" \
            "$TEST_TMP/$1/$2.c" "$LESSON_DIR/../../common/course.c"
}
ok_built() { broken "$@" || { ok "Questions: $2.c with '$3' builds" false; return 1; }; }
run_broken() {
    local bin=$TEST_TMP/$1/$2; shift 2
    "$bin" "$@" >"$bin.out" 2>"$bin.err" </dev/null
    status=$? out=$bin.out err=$bin.err
}
d=$(new_dir broken)
cd "$d" || exit 1
prog=reader
start live writer -t 20 .
wait_for_line "$TEST_TMP/live.err" '^writer: waiting up to 20 s'
for change in 'O_RDONLY:s/O_RDWR | O_NOFOLLOW/O_RDONLY | O_NOFOLLOW/:EACCES' \
              'O_WRONLY:s/O_RDWR | O_NOFOLLOW/O_WRONLY | O_NOFOLLOW/:EACCES' \
              'length 0:s/mmap(NULL, FILE_SIZE,/mmap(NULL, 0,/:EINVAL' \
              'flags 0:s/PROT_WRITE, MAP_SHARED, fd/PROT_WRITE, 0, fd/:EINVAL'; do
    IFS=: read -r what edit errno_name <<<"$change"
    if ok_built "b-${what// /}" reader "$edit"; then
        run_broken "b-${what// /}" reader -t 1 .
        ok "reader.c with $what: mmap fails with $errno_name" \
            fails_with "mmap\(\./$FILE, .*\): $errno_name .*"
        if [[ $what == O_RDONLY ]]; then
            ok "Questions 3: the answer shows what the reader printed" answer_matches 3 "$err"
        fi
    fi
done
kill -KILL "${pid[live]}"
finish live
prog=writer
run writer .
ok "kill -KILL the waiting writer: the file stays, the next writer gets EEXIST and rm PATH" \
    fails_with "open\(\./$FILE, .*\): EEXIST \(File exists\); left by an earlier run of yours\? remove it: rm \./$FILE"
rm -f "$FILE"
if ok_built b-private writer 's/PROT_WRITE, MAP_SHARED, fd/PROT_WRITE, MAP_PRIVATE, fd/'; then
    "$TEST_TMP/b-private/writer" -t 1 . >"$TEST_TMP/b-private.out" 2>"$TEST_TMP/b-private.err" </dev/null &
    writer_pid=$!
    wait_for_line "$TEST_TMP/b-private.err" '^writer: waiting up to 1 s for the reader'
    prog=reader
    run reader -t 1 .
    wait "$writer_pid"
    writer_status=$?
    ok "writer.c with MAP_PRIVATE: the message never leaves the writer: the reader times out" \
        gave_up "\./$FILE: no message: timed out after 1 s"
    ok "Questions 1: the answer shows what the reader printed" answer_matches 1 "$err"
    ok "... its maps line says rw-p" \
        grep -Eq "^writer: /proc/self/maps: .* rw-p .*/$FILE\$" "$TEST_TMP/b-private.out"
    ok "... and the writer times out too" \
        grep -q "^writer: \./$FILE: not seen: timed out after 1 s$" "$TEST_TMP/b-private.err"
    ok "... exit 1" [ "$writer_status" = 1 ]
fi
if ok_built b-size writer 's/if (ftruncate(fd, FILE_SIZE) == -1) {/if (0) {/'; then
    run_broken b-size writer .
    ok "writer.c without ftruncate: its first store is SIGBUS (status 135)" status_is 135
    ok "... and it leaves an empty file" [ "$(stat -c %s "$FILE")" = 0 ]
    prog=reader
    run reader .
    ok "... which the reader, after a second, refuses with rm PATH" \
        gave_up "\./$FILE: it has 0 bytes, fewer than 4096: refusing it; left by an earlier run\? remove it: rm \./$FILE"
    ok "Questions 2: the answer shows what the reader printed" answer_matches 2 "$err"
    rm -f "$FILE"
fi
if ok_built b-shared map-private 's/PROT_WRITE, MAP_PRIVATE, fd/PROT_WRITE, MAP_SHARED, fd/'; then
    run_broken b-shared map-private .
    ok "map-private.c with MAP_SHARED twice: read() gives the second store" \
        out_has 'map-private: read\(\) of the file gives "hello from MAP_PRIVATE"'
    ok "... and both maps lines say rw-s" [ "$(grep -c ' rw-s ' "$out")" = 2 ]
    ok "Questions 4: the answer shows what it printed" answer_matches 4 "$out"
fi
cd "$TEST_TMP" || exit 1

# ---- arguments (the full bad-input matrix is tests/checks/bad-input, from args) ----
for prog in writer reader map-private past-eof; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" usage_shown "$prog"
    run "$prog" "$TEST_TMP" extra
    ok "$prog with too many arguments: usage error, exit 2" too_many "$prog"
done
run map-private -t 5 "$TEST_TMP"
ok "map-private has no -t: usage error" status_is 2

# ---- ftruncate makes a sparse file ------------------------------------------------
truncate -s 1G "$TEST_TMP/big"
ok "a 1 GiB file made by ftruncate (truncate -s) takes no blocks: sparse" \
    [ "$(stat -c '%s %b' "$TEST_TMP/big")" = "1073741824 0" ]
rm -f "$TEST_TMP/big"
ok "no file is left in the test directory" [ -z "$(find "$TEST_TMP" -name 'mapped-06*')" ]
