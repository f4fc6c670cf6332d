#!/usr/bin/env bash
# Lesson 01 test: ftok's key is (proj_id & 0xff) << 24 | (st_dev & 0xff) << 16 |
# (st_ino & 0xffff), computed here from stat -c '%d %i'; writer and reader agree;
# another proj_id gives another key, 0x141 the key of 0x41, 0x80 and up a negative
# int; a deleted path makes ftok fail with -1 (ENOENT), and -1 works as a key; a
# replaced file gets a new key; the reader's private directory is gone afterwards,
# on error paths too; ftok is one stat of the path and no System V call; a missing
# path, a path through a file, a link loop, a closed directory give ENOENT, ENOTDIR,
# ELOOP, EACCES; bad arguments give one line and exit 2.
# shellcheck source=tests/lib.sh
. "$TESTS_DIR/lib.sh"

# The key ("key 0x...") and the inode ("inode N") on the first line of FILE
# that matches REGEX.
key_in() { line_of "$1" "$2" | sed -E 's/.*key (0x[0-9a-f]{8}).*/\1/'; }
inode_in() { line_of "$1" "$2" | sed -E 's/.*inode ([0-9]+),.*/\1/'; }
# The private directory the reader says it made.
dir_in() { line_of "$1" '^reader: made ' | sed -E 's/^reader: made ([^,]+), .*/\1/'; }

is() { [[ "$1" == "$2" ]]; }
differ() { [[ "$1" != "$2" ]]; }
gone() { [[ -n "$1" && ! -e "$1" ]]; }
usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1.*\(usage: $prog .*\)"; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }

keypath=$TEST_TMP
read -r dev ino < <(stat -c '%d %i' "$keypath")
key=$(ftok_key "$keypath" 65)
key66=$(ftok_key "$keypath" 66)
key193=$(ftok_key "$keypath" 193)

# ---- the writer: the key and how it is built ---------------------------------------
run --vg writer "$keypath" 65
w=$TEST_TMP/writer.txt
cp "$out" "$w"
ok "writer exits 0" status_is 0
ok "writer's key is the formula from stat -c '%d %i': $key" \
    has_line "$w" "writer: key $key from ftok\(\"$keypath\", 65\)"
ok "writer shows st_dev and st_ino as stat does ($dev, $ino)" \
    has_line "$w" "writer: stat\(\"$keypath\"\) gives st_dev $dev, st_ino $ino"
ok "writer rebuilds the key by hand and finds ftok's" \
    has_line "$w" "writer: \(65 & 0xff\) << 24 \| \($dev & 0xff\) << 16 \| \($ino & 0xffff\) = $key"
ok "another proj_id gives another key: 66 -> $key66" differ "$key66" "$key"
ok "... and the writer shows it" has_line "$w" "writer: proj_id 66 gives another key: $key66"
ok "proj_id 0x141 gives the key of 0x41 ($key)" \
    has_line "$w" "writer: proj_id 321 \(0x141\) gives the same key, as only 8 bits count: $key"
minor=$(stat -c '%Ld' "$keypath" 2>/dev/null)
if [[ "$minor" =~ ^[0-9]+$ ]]; then
    ok "the device byte, $(( dev & 0xff )), is the low byte of the minor number ($minor)" \
        test $(( dev & 0xff )) -eq $(( minor & 0xff ))
else
    skip "the device byte is the low byte of the minor number" "stat has no %Ld here"
fi
ok "proj_id 0xc1 gives $key193, a negative int ($(( key193 - (1 << 32) )))" \
    has_line "$w" "writer: proj_id 193 \(0xc1\) gives $key193, negative as an int: $(( key193 - (1 << 32) ))"

# ---- the reader: the same key, on its own ---------------------------------------------
run --vg reader "$keypath" 65
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0" status_is 0
ok "reader derives the writer's key on its own" \
    is "$(key_in "$r" '^reader: key ')" "$(key_in "$w" '^writer: key ')"
ok "... which is the formula's" has_line "$r" "reader: key $key from ftok\(\"$keypath\", 65\)"

# ---- the reader's key file: created, deleted, created again, replaced ---------------
dir=$(dir_in "$r")
ok "reader works in a directory made by mkdtemp ($dir)" \
    has_line "$r" 'reader: made /tmp/ftok-01\.[A-Za-z0-9]{6}, mode 0700, for a key file of its own'
ok "... and removes it" gone "$dir"
ok "... and says so" has_line "$r" "reader: removed $dir"
ino1=$(inode_in "$r" '^reader: created key-file') key1=$(key_in "$r" '^reader: created key-file')
ino2=$(inode_in "$r" '^reader: created it again') key2=$(key_in "$r" '^reader: created it again')
ino3=$(inode_in "$r" '^reader: replaced it') key3=$(key_in "$r" '^reader: replaced it')
tmp_dev=$(stat -c '%d' /tmp)
ok "the key file's key is the formula too ($key1)" \
    is "$key1" "$(printf '0x%08x' $(( 65 << 24 | (tmp_dev & 0xff) << 16 | (ino1 & 0xffff) )))"
ok "a deleted file: ftok returns -1, ENOENT" \
    has_line "$r" 'reader: deleted it: ftok returns -1 \(ENOENT\)'
ok "-1 used as a key is 0xffffffff, and shmget accepts it" \
    has_line "$r" 'reader: -1 is also key 0xffffffff: shmget created a segment with it \(now removed\)'
ok "... the segment at 0xffffffff is removed at once" no_segment 0xffffffff
if [[ "$ino2" == "$ino1" ]]; then
    verdict='the same key \(inode number reused\)'
elif [[ "$key2" == "$key1" ]]; then
    verdict='the same key \(same low 16 inode bits\)'
else
    verdict='a new key'
fi
ok "created again: the key follows the inode (inode $ino1 -> $ino2)" \
    has_line "$r" "reader: created it again: inode $ino2, key $key2: $verdict"
ok "replaced by rename(): another inode ($ino2 -> $ino3)" differ "$ino3" "$ino2"
ok "... and a new key ($key2 -> $key3)" differ "$key3" "$key2"
ok "... as the reader says" \
    has_line "$r" "reader: replaced it by rename\(\): inode $ino3, key $key3: a new key"

# ---- the reader cleans up on other paths too ---------------------------------------
# A failure half-way: no segment may be created (shmmni 0 in a fresh IPC namespace).
if unshare --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --ipc)
elif unshare --user --map-root-user --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --user --map-root-user --ipc)
else
    fresh_ipc=()
fi
if (( ${#fresh_ipc[@]} )); then
    # shellcheck disable=SC2016 # "$@" belongs to the inner shell
    "${fresh_ipc[@]}" bash -c 'echo 0 >/proc/sys/kernel/shmmni && exec "$@"' _ \
        "$LESSON_DIR/reader" "$keypath" 65 >"$out" 2>"$err" </dev/null
    status=$?
    prog=reader
    ok "shmget failing half-way (ENOSPC): exit 1, one line naming ENOSPC" \
        call_fails 'shmget\(key 0xffffffff, .*\): ENOSPC .*'
    ok "... and the private directory is removed all the same" gone "$(dir_in "$out")"
else
    skip "shmget failing half-way still removes the directory" "no IPC namespace can be made here"
fi

# A reader whose output pipe closes early (./reader | head -n 2) gets SIGPIPE at its
# third line, and Ctrl-C may come at any line: strace delivers either there, every
# time. The reader must carry on and clean up. strace also shows that ftok is a stat.
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    # (LeakSanitizer cannot work under ptrace: in a SANITIZE build it stays off here.)
    no_lsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    ASAN_OPTIONS=$no_lsan strace -o /dev/null -e trace=write -e inject=write:error=EPIPE:signal=SIGPIPE:when=3 \
        "$LESSON_DIR/reader" "$keypath" 65 >"$out" 2>"$err" </dev/null
    status=$?
    ok "SIGPIPE at its third line (as in ./reader | head -n 2): the reader goes on" status_is 0
    ok "... and removes its private directory" gone "$(dir_in "$out")"
    ASAN_OPTIONS=$no_lsan strace -o /dev/null -e trace=write -e inject=write:signal=SIGINT:when=3 \
        "$LESSON_DIR/reader" "$keypath" 65 >"$out" 2>"$err" </dev/null
    status=$?
    ok "Ctrl-C at its third line: the reader finishes, exit 1" status_is 1
    ok "... says so in one line" err_has 'reader: stopped by SIGINT, after cleaning up'
    ok "... and removes its private directory" gone "$(dir_in "$out")"
    ASAN_OPTIONS=$no_lsan strace -o "$TEST_TMP/trace" -e trace=%file,%ipc \
        "$LESSON_DIR/writer" "$keypath" 65 >/dev/null 2>&1 </dev/null
    ok "ftok is one stat: 5 calls name the path (4 ftok, 1 stat), each a stat" \
        test "$(grep -F "\"$keypath\"" "$TEST_TMP/trace" | grep -cE '^[a-z0-9]*stat[a-z0-9]*\(')" -eq 5
    ok "... no other call opens or changes it (the writer's execve and getcwd aside)" \
        test "$(grep -F "\"$keypath\"" "$TEST_TMP/trace" | grep -cvE '^(execve|getcwd|[a-z0-9]*stat[a-z0-9]*)\(')" -eq 0
    ok "... and the writer makes no System V call: ftok creates nothing" \
        test "$(grep -cE '^(shm|sem|msg)[a-z]*\(' "$TEST_TMP/trace")" -eq 0
    rm -f "$TEST_TMP/trace"
else
    skip "SIGPIPE and Ctrl-C while the reader works leave nothing behind" "strace cannot run here"
    skip "ftok is one stat, and creates nothing" "strace cannot run here"
fi

# ---- other paths and proj_ids ------------------------------------------------------
touch "$TEST_TMP/file"
run writer "$TEST_TMP/file" 65
ok "a regular file works as a key path, with its own key" \
    out_has "writer: key $(ftok_key "$TEST_TMP/file" 65) from .*"
ln -s file "$TEST_TMP/link"
run writer "$TEST_TMP/link" 65
ok "a symbolic link gives its target's key (ftok follows it, as stat does)" \
    out_has "writer: key $(ftok_key "$TEST_TMP/file" 65) from .*"
prog=writer
run writer "$TEST_TMP/file/x" 65
ok "a path through a file: exit 1, one line naming ENOTDIR" \
    call_fails "ftok\(\"$TEST_TMP/file/x\", 65\): ENOTDIR .*"
ln -s loop "$TEST_TMP/loop"
run writer "$TEST_TMP/loop" 65
ok "a symbolic link loop: exit 1, one line naming ELOOP" \
    call_fails "ftok\(\"$TEST_TMP/loop\", 65\): ELOOP .*"
mkdir -m 0 "$TEST_TMP/closed"
as_user=()                      # root passes any mode bits: ask the user nobody
if [[ $(id -u) -eq 0 ]] && really_root && runuser -u nobody -- test -x "$LESSON_DIR/writer"; then
    as_user=(runuser -u nobody --)
fi
if [[ $(id -u) -ne 0 || ${#as_user[@]} -gt 0 ]]; then
    "${as_user[@]}" "$LESSON_DIR/writer" "$TEST_TMP/closed/x" 65 >"$out" 2>"$err" </dev/null
    status=$?
    ok "a directory you may not search: exit 1, one line naming EACCES" \
        call_fails "ftok\(\"$TEST_TMP/closed/x\", 65\): EACCES .*"
else
    skip "a directory you may not search gives EACCES" "root bypasses the mode bits, and no user nobody to run as"
fi
rm -f "$TEST_TMP/file" "$TEST_TMP/link" "$TEST_TMP/loop"
rmdir "$TEST_TMP/closed"
run writer
home=$(realpath "$LESSON_DIR")
ok "with no arguments, run from elsewhere, the writer uses its own lesson directory and 65" \
    out_has "writer: key $(ftok_key "$home" 65) from ftok\(\"$home\", 65\)"
key200=$(ftok_key "$keypath" 200)
run writer "$keypath" 200
ok "proj_id 200 gives $key200, printed with all 8 hex digits" \
    out_has "writer: key $key200 from ftok\(\"$keypath\", 200\)"
run reader "$keypath" 200
ok "... and the reader agrees" out_has "reader: key $key200 from ftok\(\"$keypath\", 200\)"

# ---- bad arguments ----------------------------------------------------------------
for prog in writer reader; do
    for bad in 0 256 -1 x '' 99999999999999999999 '65 ' 1e3 0x41; do
        run "$prog" "$keypath" "$bad"
        ok "$prog PROJ_ID '$bad': usage error, exit 2, one line" usage_fails PROJ_ID
    done
    run "$prog" "$TEST_TMP/missing" 65
    ok "$prog with a missing KEYPATH: exit 1, one line naming ENOENT" \
        call_fails "ftok\(\"$TEST_TMP/missing\", 65\): ENOENT .*"
    run "$prog" '' 65
    ok "$prog with an empty KEYPATH: usage error" usage_fails 'KEYPATH is empty'
    run "$prog" "$keypath" 65 extra
    ok "$prog with too many arguments: usage error" usage_fails 'too many arguments'
    run "$prog" -x "$keypath"
    ok "$prog -x: usage error, it takes no options" usage_fails 'unknown option -x'
done
