#!/usr/bin/env bash
# Lesson 09 test: the writer creates a POSIX shared memory object with shm_open,
# which on Linux is the file /dev/shm/NAME (ls shows owner, mode 600, 4096 bytes;
# glibc opens it with O_NOFOLLOW|O_CLOEXEC added, links no librt); the pair meet by
# the name, the message goes one way and SEEN the other; after shm_unlink the name
# gives ENOENT and leaves /dev/shm while the reader still reads through its mapping
# ("(deleted)"). The name rules: a leading slash (else usage), one component
# (EINVAL), at most 255 characters after the slash (ENAMETOOLONG). The reader waits
# for a writer between shm_open and ftruncate, refuses an empty leftover at once,
# and refuses what is not the writer's. Every way out of the writer (timeout,
# SIGINT, SIGTERM, EFBIG from ftruncate) removes the name. Names are this test's
# own, never the default; a trap removes them from /dev/shm whatever happens.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

TEXT='hello through POSIX shared memory'
TAG=$(printf '%s' "$TEST_TMP" | md5sum | cut -c1-12)
PREFIX=shm-course-09-test-$TAG
DEFAULT=                        # the default name of a copy of the reader, below
cleanup() { rm -rf -- /dev/shm/"$PREFIX"-* ${DEFAULT:+"/dev/shm$DEFAULT"}; return 0; }
trap cleanup EXIT

name() { printf '/%s-%s' "$PREFIX" "$1"; }          # this test's name for CASE
file() { printf '/dev/shm/%s-%s' "$PREFIX" "$1"; }  # and its file in /dev/shm
gone() { [[ ! -e "$1" && ! -L "$1" ]]; }
fails_with() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
gave_up() { status_is 1 && err_has "$prog: waiting up to .*" && err_has "$prog: $1"; }
maps_inode() { field_of "$1" "^$2: /proc/self/maps: " 7; }
same_inode() { [[ -n "$1" && "$1" == "$2" ]]; }
usage_error_says() { status_is 2 && err_has "$prog: $1"; }
usage_shown() { status_is 0 && out_has "usage: $1 .*"; }
too_many() { status_is 2 && err_has "$1: too many arguments.*"; }
# Play a writer by hand: FILE gets 4096 bytes (as ftruncate), then magic "SHM1",
# state 0, LENGTH, TEXT; `publish` stores state READY (2).
le32() { printf '\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
fill() {
    truncate -s 4096 "$1"
    # shellcheck disable=SC2059 # the format is built from escapes on purpose
    printf "SHM1$(le32 0)$(le32 "$2")%s" "$3" 1<>"$1"
}
# shellcheck disable=SC2059
publish() { printf "$(le32 2)" | dd of="$1" bs=1 seek=4 conv=notrunc status=none; }
plant_empty() { (umask 077 && : >"$1"); }

# ---- the pair, writer first, both under valgrind ----------------------------------
n=$(name pair) f=$(file pair)
start --vg writer writer "$n"
wait_for_line "$TEST_TMP/writer.err" '^writer: waiting up to 10 s for the reader'
ls -l "$f" >"$TEST_TMP/ls.out"
read -r perms _ owner _ size _ <"$TEST_TMP/ls.out"
ok "while the writer waits, ls -l $f: -rw-------, yours, 4096 bytes" \
    [ "${perms:-} ${owner:-} ${size:-}" = "-rw------- $(id -un) 4096" ]
ok "Questions 1: the answer shows what ls -l printed" answer_matches 1 "$TEST_TMP/ls.out"
ok "... a regular file on the tmpfs of /dev/shm, a directory every user may write (1777)" \
    [ "$(stat -f -c %T /dev/shm) $(stat -c %F "$f") $(stat -c %a /dev/shm)" = "tmpfs regular file 1777" ]
start --vg reader reader "$n"
finish reader
ok "reader exits 0" status_is 0
finish writer
ok "writer exits 0" status_is 0
w=$TEST_TMP/writer.out r=$TEST_TMP/reader.out
ok "the writer creates the name: the file $f, mode 0600, 4096 bytes" \
    has_line "$w" "writer: created $n: the file $f, mode 0600, 4096 bytes"
ok "the writer maps it shared: rw-s, the file in /dev/shm" \
    has_line "$w" "writer: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +$f"
ok "the reader checked it with fstat before mapping it" \
    has_line "$r" "reader: $f is mine, mode 0600, 4096 bytes \(fstat\)"
ok "the reader gets the writer's message, the writer the reader's SEEN" \
    has_line "$r" "reader: \"$TEXT\"; marked it SEEN"
ok "... as the writer says" has_line "$w" "writer: stored \"$TEXT\"; the reader marked it SEEN"
ok "the writer removes the name with shm_unlink" has_line "$w" "writer: shm_unlink\($n\): $f is gone"
ok "after shm_unlink the name gives ENOENT, and the reader still reads through its mapping" \
    has_line "$r" "reader: shm_open\($n\): ENOENT; my mapping still reads \"$TEXT\""
ok "... which maps shows as the file, (deleted)" \
    has_line "$r" "reader: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +$f \(deleted\)"
ok "... the same inode as the writer's mapping: one object" \
    same_inode "$(maps_inode "$w" writer)" "$(maps_inode "$r" reader)"
ok "... and /dev/shm no longer lists it" gone "$f"

# ---- reader first, under strace: glibc's own flags, and no librt --------------------
n=$(name traced) f=$(file traced)
if strace -o /dev/null true 2>/dev/null; then
    traced() {
        local who=$1; shift
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -qq -o "$TEST_TMP/$who.strace" -e trace=openat,unlink \
            "$LESSON_DIR/$who" "$@" >"$TEST_TMP/$who-t.out" 2>"$TEST_TMP/$who-t.err" </dev/null &
        pid[$who]=$!
    }
    traced reader "$n"
    wait_for_line "$TEST_TMP/reader-t.err" '^reader: waiting up to 10 s for the writer to create the object$'
    traced writer "$n"
    finish reader
    ok "a reader started first waits for the name, then gets the message" \
        has_line "$TEST_TMP/reader-t.out" "reader: \"$TEXT\"; marked it SEEN"
    finish writer
    ok "... and the writer completes" status_is 0
    ok "strace: shm_open is openat of /dev/shm/NAME, glibc adds O_NOFOLLOW|O_CLOEXEC" \
        grep -qF "openat(AT_FDCWD, \"$f\", O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600) = " "$TEST_TMP/writer.strace"
    ok "... the reader's, before the writer came: ENOENT" \
        grep -qF "openat(AT_FDCWD, \"$f\", O_RDWR|O_NOFOLLOW|O_CLOEXEC) = -1 ENOENT" "$TEST_TMP/reader.strace"
    ok "... and shm_unlink is unlink of the file" grep -qF "unlink(\"$f\") = 0" "$TEST_TMP/writer.strace"
else
    skip "shm_open is openat of /dev/shm/NAME with O_NOFOLLOW|O_CLOEXEC" "strace cannot trace here"
fi
ok "... and nothing is left" gone "$f"
libc_not_librt() {
    readelf -d "$1" | grep -q 'NEEDED.*libc\.so' && ! readelf -d "$1" | grep -q 'NEEDED.*librt' &&
        readelf -W --dyn-syms "$1" | grep -q ' shm_open@GLIBC_2\.34'
}
ok "no -lrt: shm_open comes from libc itself (GLIBC_2.34), librt is not linked" \
    libc_not_librt "$LESSON_DIR/writer"

# ---- the name rules ---------------------------------------------------------------
prog=writer
run writer "${PREFIX}-noslash"
ok "a NAME without the leading slash: usage error" \
    usage_error_says "NAME '$PREFIX-noslash' does not start with a slash"
n=$(name two)/parts
run writer "$n"
ok "a second slash in the name: shm_open gives EINVAL" \
    fails_with "shm_open\($n, O_CREAT\|O_EXCL\|O_RDWR, 0600\): EINVAL .*"
ok "... and nothing is created" gone "$(file two)"
run writer /
ok "a slash alone: EINVAL" fails_with "shm_open\(/, .*\): EINVAL .*"
long=$PREFIX-$(printf '%*s' $((255 - ${#PREFIX} - 1)) '' | tr ' ' x)   # 255 characters
plant_empty "/dev/shm/$long" && touch -d '1 minute ago' "/dev/shm/$long"
prog=reader
run reader "/$long"
ok "255 characters after the slash: a valid name (shm_open opens the planted file)" \
    fails_with "/$long: it has 0 bytes, fewer than 4096: refusing it; .*"
rm -f "/dev/shm/$long"
prog=writer
run writer "/${long}y"
ok "256 characters after the slash: ENAMETOOLONG" fails_with "shm_open\(/${long}y, .*\): ENAMETOOLONG .*"

# A copy of the reader is a clone of its own: its lesson directory is another one.
mkdir "$TEST_TMP/clone" && cp "$LESSON_DIR/reader" "$TEST_TMP/clone/"
DEFAULT=$(printf '/shm-course-09-%s-%x' "$(id -u)" "$(stat -c %i "$TEST_TMP/clone")")
plant_empty "/dev/shm$DEFAULT" && touch -d '1 minute ago' "/dev/shm$DEFAULT"
"$TEST_TMP/clone/reader" >"$TEST_TMP/clone.out" 2>"$TEST_TMP/clone.err" </dev/null
status=$? out=$TEST_TMP/clone.out err=$TEST_TMP/clone.err prog=reader
ok "the default name is /shm-course-09-UID-INODE, the lesson directory's inode in hex" \
    fails_with "$DEFAULT: it has 0 bytes, fewer than 4096: refusing it; left by an earlier run\? remove it: rm /dev/shm$DEFAULT"
rm -f "/dev/shm$DEFAULT"

# ---- the empty object: a writer at work is waited for, a leftover refused at once -----
prog=reader
n=$(name empty) f=$(file empty)
plant_empty "$f"
start slow reader -t 5 "$n"
wait_for_line "$TEST_TMP/slow.err" '^reader: waiting up to 5 s for the writer to size the object$'
fill "$f" ${#TEXT} "$TEXT"              # the slow writer's ftruncate and message
publish "$f"
wait_for_line "$TEST_TMP/slow.out" '^reader: ".*"; marked it SEEN$'
rm -f "$f"                              # its shm_unlink
finish slow
ok "a new empty object (a writer between shm_open and ftruncate) is waited for" \
    has_line "$out" "reader: \"$TEXT\"; marked it SEEN"
ok "... and after the name is gone, the mapping still reads the message" \
    has_line "$out" "reader: shm_open\($n\): ENOENT; my mapping still reads \"$TEXT\""
plant_empty "$f" && touch -d '1 minute ago' "$f"
run reader "$n"
ok "an empty leftover is refused at once: one line, exit 1, with rm /dev/shm/NAME" \
    fails_with "$n: it has 0 bytes, fewer than 4096: refusing it; left by an earlier run\? remove it: rm $f"
# Fresh: its age starts at 0, so even on a loaded machine the reader sees it young.
touch "$f"
start fresh reader "$n"
# Meanwhile a writer with no reader, and a writer in a file size limit of 1 KiB.
start lonely writer -t 1 "$(name lonely)"
bash -c 'trap "" XFSZ; ulimit -f 1 && exec "$@"' _ "$LESSON_DIR/writer" "$(name fsize)" \
    >"$TEST_TMP/fsize.out" 2>"$TEST_TMP/fsize.err" </dev/null
status=$? out=$TEST_TMP/fsize.out err=$TEST_TMP/fsize.err prog=writer
ok "ftruncate past the file size limit: EFBIG (tmpfs honours RLIMIT_FSIZE), one line" \
    fails_with "ftruncate\($(name fsize), 4096\): EFBIG .*"
ok "... and the name it created is removed" gone "$(file fsize)"
finish fresh
prog=reader
ok "a fresh empty object that stays empty: refused once a second old, not after -t 10" \
    gave_up "$n: it has 0 bytes, fewer than 4096: refusing it; .*"
touch "$f"
start young reader -t 1 "$n"
while kill -0 "${pid[young]}" 2>/dev/null; do touch "$f"; sleep 0.1; done
finish young
ok "an object kept young and empty until -t 1 ends: 'is still empty', not 'no NAME'" \
    gave_up "$n is still empty: timed out after 1 s"
rm -f "$f"
finish lonely
prog=writer
ok "a writer with no reader gives up after -t 1" gave_up "$(name lonely): not seen: timed out after 1 s"
ok "... and removes the name" gone "$(file lonely)"

# ---- what the reader refuses: planted at this test's own names -------------------------
prog=reader
n=$(name planted) f=$(file planted)
truncate -s 100 "$f" && chmod 600 "$f"
run reader -t 1 "$n"
ok "an object too small is refused, with rm /dev/shm/NAME" \
    fails_with "$n: it has 100 bytes, fewer than 4096: refusing it; left by an earlier run\? remove it: rm $f"
truncate -s 4096 "$f" && chmod 644 "$f"
run reader -t 1 "$n"
ok "an object of ours with mode 644 is refused" fails_with "$n: its mode is 644, not 600: refusing it; .*"
chmod 600 "$f" && fill "$f" 5000 hello && publish "$f"
run reader -t 1 "$n"
ok "a READY message longer than the object is refused" \
    fails_with "$n: its length is larger than the room for it: refusing it"
fill "$f" 5 hello && publish "$f"
run reader -t 1 "$n"
ok "a message whose writer never removes the name (killed): read, then 'still there', rm" \
    gave_up "$n: still there: timed out after 1 s; its writer gone\? rm $f"
ok "... having read the message first" out_has 'reader: "hello"; marked it SEEN'
if really_root; then
    chown nobody "$f"
    run reader -t 1 "$n"
    ok "an object of another user is refused, with no rm hint" \
        fails_with "$n: it belongs to uid $(id -u nobody), not to you: refusing it"
    prog=writer
    run writer "$n"
    ok "a writer at another user's name: EEXIST, and whose it is, not 'rm'" \
        fails_with "shm_open\($n, O_CREAT\|O_EXCL\|O_RDWR, 0600\): EEXIST \(File exists\); uid $(id -u nobody) has it: choose another NAME"
    prog=reader
else
    skip "an object of another user is refused" "making one needs the real root"
    skip "a writer at another user's name: whose it is" "making one needs the real root"
fi
rm -f "$f"
mkfifo -m 600 "$f"
run reader -t 1 "$n"
ok "a FIFO at the name: refused at once, shm_open does not hang" \
    fails_with "$n: it is not a regular file: refusing it; .*"
rm -f "$f"
ln -s /etc/passwd "$f"
run reader -t 1 "$n"
ok "a symlink at the name is not followed (glibc's O_NOFOLLOW): ELOOP" \
    fails_with "shm_open\($n, O_RDWR, 0\): ELOOP .*"
ok "Questions 3: the answer shows what the reader printed" answer_matches 3 "$err"
prog=writer
ln -sf "$TEST_TMP/victim" "$f"
run writer "$n"
ok "a writer at a dangling symlink: EEXIST with rm /dev/shm/NAME, nothing followed" \
    fails_with "shm_open\($n, O_CREAT\|O_EXCL\|O_RDWR, 0600\): EEXIST \(File exists\); left by an earlier run\? remove it: rm $f"
ok "... the link's target was not created" gone "$TEST_TMP/victim"
rm -f "$f"

# ---- the writer's ways out: EEXIST, SIGTERM, SIGINT; the reader's Ctrl-C ---------------
n=$(name twice) f=$(file twice)
start first writer -t 20 "$n"
start alone reader -t 20 "$(name alone)"
wait_for_line "$TEST_TMP/first.err" '^writer: waiting up to 20 s'
inode=$(stat -c %i "$f")
run writer "$n"
ok "a second writer: EEXIST, one line, with rm /dev/shm/NAME" \
    fails_with "shm_open\($n, O_CREAT\|O_EXCL\|O_RDWR, 0600\): EEXIST \(File exists\); left by an earlier run\? remove it: rm $f"
ok "... and the first writer's object is left alone" [ "$(stat -c %i "$f")" = "$inode" ]
kill -TERM "${pid[first]}"
finish first
ok "SIGTERM while the writer waits: exit 1, one line after the notice" \
    gave_up "$n: not seen: interrupted by SIGTERM"
ok "... and the name is removed" gone "$f"
start wi writer "$n"
wait_for_line "$TEST_TMP/wi.err" '^writer: waiting up to 10 s'
kill -INT "${pid[wi]}"
finish wi
ok "SIGINT (Ctrl-C) while the writer waits: exit 1, one line after the notice" \
    gave_up "$n: not seen: interrupted by SIGINT"
ok "... and the name is removed" gone "$f"
start gone writer "$n"
wait_for_line "$TEST_TMP/gone.err" '^writer: waiting up to 10 s'
rm -f "$f"
kill -TERM "${pid[gone]}"
finish gone
ok "a name removed under the waiting writer: shm_unlink says ENOENT, exit 1" \
    gave_up "shm_unlink\($n\): ENOENT \(No such file or directory\)"
prog=reader
wait_for_line "$TEST_TMP/alone.err" '^reader: waiting up to 20 s'
kill -INT "${pid[alone]}"
finish alone
ok "SIGINT while the reader waits for the name: exit 1" gave_up "no $(name alone): interrupted by SIGINT"

# ---- Questions 4 and 2: the writer without ftruncate; kill -KILL leaves the name -------
n=$(name broken) f=$(file broken)
mkdir "$TEST_TMP/b" && sed 's/if (ftruncate(fd, SIZE) == -1) {/if (0) {/' "$LESSON_DIR/writer.c" >"$TEST_TMP/b/writer.c"
if ! cmp -s "$TEST_TMP/b/writer.c" "$LESSON_DIR/writer.c" &&
   "${CC:-cc}" -std=c11 -I"$LESSON_DIR/../../common" -o "$TEST_TMP/b/writer" \
       "$TEST_TMP/b/writer.c" "$LESSON_DIR/../../common/course.c"; then
    "$TEST_TMP/b/writer" "$n" >/dev/null 2>&1 </dev/null
    status=$?
    ok "Questions 4, writer.c without ftruncate: its first store is SIGBUS (status 135)" status_is 135
    ok "... and the empty object stays in /dev/shm" [ "$(stat -c %s "$f")" = 0 ]
else
    ok "Questions 4: writer.c without ftruncate builds" false
fi
rm -f "$f"
start killed writer -t 20 "$n"
wait_for_line "$TEST_TMP/killed.err" '^writer: waiting up to 20 s'
kill -KILL "${pid[killed]}"
finish killed
prog=writer
run writer "$n"
ok "Questions 2, kill -KILL the waiting writer: the name stays, the next writer gets EEXIST" \
    fails_with "shm_open\($n, .*\): EEXIST \(File exists\); left by an earlier run\? remove it: rm $f"
ok "Questions 2: the answer shows what the next writer printed" answer_matches 2 "$err"
rm -f "$f"

# ---- arguments (the bad-input matrix of -t is tests/checks/bad-input, from args) ------
for prog in writer reader; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" usage_shown "$prog"
    run "$prog" /a /b
    ok "$prog with too many arguments: usage error, exit 2" too_many "$prog"
done
ok "nothing of this test is left in /dev/shm" [ -z "$(find /dev/shm -maxdepth 1 -name "$PREFIX-*")" ]
