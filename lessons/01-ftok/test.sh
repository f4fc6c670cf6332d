#!/usr/bin/env bash
# Lesson 01 test: ftok's key is (proj_id & 0xff) << 24 | (st_dev & 0xff) << 16 |
# (st_ino & 0xffff), computed here from stat; writer and reader agree without talking;
# another proj_id gives another key, proj_id + 256 the same one, 0x80 and up a key
# with the top bit set; ftok is a stat and creates nothing; a deleted file gives -1
# (ENOENT), and -1 works as a key; a re-created file may get its key back (ext4),
# or not (tmpfs); a replaced one gets a new key; two files can share a key; nothing
# is left behind, Ctrl-C and a closed pipe included; bad arguments are refused.
# shellcheck source=tests/lib.sh
. "$TESTS_DIR/lib.sh"

is() { [[ "$1" == "$2" ]]; }
differ() { [[ "$1" != "$2" ]]; }
gone() { [[ -n "$1" && ! -e "$1" ]]; }
# The key ("key 0x...") and the inode ("inode N") on the first line of FILE matching REGEX.
key_in() { line_of "$1" "$2" | sed -E 's/.*key (0x[0-9a-f]{8}).*/\1/'; }
inode_in() { line_of "$1" "$2" | sed -E 's/.*inode ([0-9]+),.*/\1/'; }
dir_in() { line_of "$1" ': made ' | sed -E 's/.*: made ([^,]+), .*/\1/'; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
usage_fails() {
    status_is 2 && [[ $(wc -l <"$err") -eq 2 ]] && err_has "$prog: $1" && err_has "usage: $prog .*"
}

keypath=$TEST_TMP
read -r dev ino < <(stat -c '%d %i' "$keypath")
key=$(ftok_key "$keypath" 65)

# ---- the writer: the key, and how it is built ----------------------------------------
run --vg writer "$keypath" 65
w=$TEST_TMP/writer.txt
cp "$out" "$w"
ok "writer exits 0" status_is 0
ok "writer's key is the formula, from stat -c '%d %i': $key" \
    has_line "$w" "writer: key $key from ftok\(\"$keypath\", 65\)"
ok "writer shows st_dev and st_ino as stat does ($dev, $ino)" \
    has_line "$w" "writer: stat\(\"$keypath\"\) gives st_dev $dev, st_ino $ino"
ok "writer rebuilds the key by hand and gets ftok's" \
    has_line "$w" "writer: \(65 & 0xff\) << 24 \| \($dev & 0xff\) << 16 \| \($ino & 0xffff\) = $key"
ok "only 8 bits of proj_id count: 321 gives the key of 65" \
    has_line "$w" "writer: proj_id 321 \(65 \+ 256\) gives the same key: $key"
minor=$(stat -c '%Ld' "$keypath" 2>/dev/null)
if [[ "$minor" =~ ^[0-9]+$ ]]; then
    ok "the device byte, $(( dev & 0xff )), is the low byte of the minor number ($minor)" \
        test $(( dev & 0xff )) -eq $(( minor & 0xff ))
else
    skip "the device byte is the low byte of the minor number" "stat has no %Ld here"
fi
key193=$(ftok_key "$keypath" 193)
run writer . 193                # "." is $TEST_TMP, the current directory
ok "proj_id 193 (0xc1) gives $key193, all 8 hex digits" \
    out_has "writer: key $key193 from ftok\(\".\", 193\)"
ok "... its top bit is set: negative as a 32-bit int" test $(( key193 >> 31 )) -eq 1
ok "Questions 1: the answer shows what the writer printed" answer_matches 1 "$out"

# ---- the reader: the same key, on its own ---------------------------------------------
run --vg reader "$keypath" 65
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0" status_is 0
ok "reader computes the writer's key on its own" \
    is "$(key_in "$r" '^reader: key ')" "$(key_in "$w" '^writer: key ')"
key66=$(ftok_key "$keypath" 66)
ok "another proj_id, another key: 66 gives $key66" differ "$key66" "$key"
ok "... as the reader says" has_line "$r" "reader: proj_id 66 gives another key: $key66"
run reader "$keypath" 255
ok "after 255 the reader's other proj_id is 1" \
    out_has "reader: proj_id 1 gives another key: $(ftok_key "$keypath" 1)"
run reader
home=$(realpath "$LESSON_DIR")
ok "no arguments, run from elsewhere: the lesson directory and 65" \
    out_has "reader: key $(ftok_key "$home" 65) from ftok\(\"$home\", 65\)"
touch "$TEST_TMP/file"
ln -s file "$TEST_TMP/link"
run reader "$TEST_TMP/link" 65
ok "a symbolic link gives its target's key (ftok follows it, as stat does)" \
    out_has "reader: key $(ftok_key "$TEST_TMP/file" 65) from .*"
rm -f "$TEST_TMP/file" "$TEST_TMP/link"
if [[ $(id -u) -eq 0 ]] && really_root && runuser -u nobody -- test -x "$LESSON_DIR/reader"; then
    runuser -u nobody -- "$LESSON_DIR/reader" /tmp 65 >"$out" 2>"$err" </dev/null
    ok "another user gets the same key for /tmp: a key knows no owner" \
        out_has "reader: key $(ftok_key /tmp 65) from .*"
else
    skip "another user gets the same key for /tmp" "needs the real root, to run as nobody"
fi

# Two different files, one key: the first pair under /usr with equal low 16 inode bits.
mapfile -t pair < <(find /usr -xdev -type f -printf '%i %p\n' 2>/dev/null |
    awk '{ k = $1 % 65536 } k in seen { print seen[k]; print $2; exit } { seen[k] = $2 }')
if (( ${#pair[@]} == 2 )); then
    run reader "${pair[0]}" 65
    k1=$(key_in "$out" '^reader: key ')
    run reader "${pair[1]}" 65
    ok "two files, one key: ${pair[0]} and ${pair[1]} both give $k1" \
        is "$(key_in "$out" '^reader: key ')" "$k1"
else
    skip "two different files can give one key" "no pair of inodes 65536 apart under /usr"
fi

# ---- ftok is a stat, and creates nothing ----------------------------------------------
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    # (LeakSanitizer cannot work under ptrace: in a SANITIZE build it stays off here.)
    no_lsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    ASAN_OPTIONS=$no_lsan strace -o "$TEST_TMP/trace" -e trace=%file,%ipc \
        "$LESSON_DIR/writer" "$keypath" 65 >/dev/null 2>&1 </dev/null
    ok "ftok is one stat: 3 stats of the path (2 ftok, 1 stat)" \
        test "$(grep -F "\"$keypath\"" "$TEST_TMP/trace" | grep -cE '^[a-z0-9]*stat[a-z0-9]*\(')" -eq 3
    ok "... no call opens or changes it (execve, getcwd and parse_path's access aside)" \
        test "$(grep -F "\"$keypath\"" "$TEST_TMP/trace" | grep -cvE '^(execve|getcwd|access|[a-z0-9]*stat[a-z0-9]*)\(')" -eq 0
    ok "... and no System V call: a key names nothing yet" \
        test "$(grep -cE '^(shm|sem|msg)[a-z]*\(' "$TEST_TMP/trace")" -eq 0
    rm -f "$TEST_TMP/trace"
else
    skip "ftok is one stat, and creates nothing" "strace cannot run here"
fi

# ---- key-follows-inode: created, deleted, created again, replaced ---------------------
prog='key-follows-inode'
run --vg "$prog" "$TEST_TMP"
k=$TEST_TMP/key-follows-inode.txt
cp "$out" "$k"
ok "$prog exits 0" status_is 0
dir=$(dir_in "$k")
ok "it works in a new directory from mkdtemp ($dir)" \
    has_line "$k" "$prog: made $TEST_TMP/ftok-01\.[A-Za-z0-9]{6}, mode 0700, for a key file"
ok "... removes it" gone "$dir"
ok "... and says so" has_line "$k" "$prog: removed $dir"
ino1=$(inode_in "$k" ': created key-file') key1=$(key_in "$k" ': created key-file')
ino2=$(inode_in "$k" ': created it again') key2=$(key_in "$k" ': created it again')
ino3=$(inode_in "$k" ': replaced it') key3=$(key_in "$k" ': replaced it')
ok "the key file's key is the formula too ($key1)" \
    is "$key1" "$(printf '0x%08x' $(( 65 << 24 | (dev & 0xff) << 16 | (ino1 & 0xffff) )))"
ok "a deleted file: ftok returns -1 (ENOENT), which is key 0xffffffff" \
    has_line "$k" "$prog: deleted it: ftok returns -1 \(ENOENT\), which is also key 0xffffffff"
if [[ "$key2" == "$key1" ]]; then verdict='the same key'; else verdict='a new key'; fi
ok "created again: the key follows the new inode ($ino1 -> $ino2)" \
    has_line "$k" "$prog: created it again: inode $ino2, key 0x41$(printf '%02x%04x' $(( dev & 0xff )) $(( ino2 & 0xffff ))): $verdict"
ok "replaced by rename(): another inode ($ino2 -> $ino3)" differ "$ino3" "$ino2"
ok "... and a new key ($key2 -> $key3), as it says" \
    has_line "$k" "$prog: replaced it by rename\(\): inode $ino3, key $key3: a new key"

# ext4 hands a freed inode number straight back (usually: another file created at
# that moment may take it): at least once in three runs.
if [[ $(stat -f -c %T "$TEST_TMP") == ext2/ext3 ]]; then
    reused=0
    for _ in 1 2 3; do
        run "$prog" "$TEST_TMP"
        [[ $(inode_in "$out" ': created key-file') == "$(inode_in "$out" ': created it again')" ]] &&
            out_has "$prog: created it again: .*: the same key" && { reused=1; break; }
    done
    ok "ext4: a file deleted and created again gets its inode number back, so its key" \
        test "$reused" -eq 1
else
    skip "ext4 gives a re-created file its inode number back" "$TEST_TMP is not on ext4"
fi
# tmpfs numbers its inodes in sequence: a new file, a new number, a new key.
if [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs && -w /dev/shm ]]; then
    run "$prog" /dev/shm
    ok "tmpfs: created again, the file gets a new inode number" \
        differ "$(inode_in "$out" ': created key-file')" "$(inode_in "$out" ': created it again')"
    ok "... and a new key" out_has "$prog: created it again: .*: a new key"
    ok "Questions 3: the answer shows what it printed" answer_matches 3 "$out"
    ok "... and /dev/shm keeps nothing" gone "$(dir_in "$out")"
else
    skip "tmpfs gives a re-created file a new key" "/dev/shm is not a writable tmpfs"
fi

# -1 is a key like any other: shmget takes it (lesson 02), here from perl's shmget.
if command -v perl >/dev/null; then
    # IPC_EXCL, tried again for a while: copies of this test in one IPC namespace
    # (make stress) take turns at the one key -1.
    shmid=$(perl -e 'for (1 .. 500) { my $id = shmget(-1, 1, 01000 | 02000 | 0600);
        if (defined $id) { print $id; exit } select(undef, undef, undef, 0.01) } print "x"')
    ok "shmget accepts key -1: a segment at key 0xffffffff" \
        test "$(segment_row_by_id "$shmid" | awk '{ print $1 }')" == -1
    [[ "$shmid" =~ ^[0-9]+$ ]] && ipcrm -m "$shmid"
else
    skip "shmget accepts key -1" "perl is not installed"
fi

# Ctrl-C, or a closed output pipe (./key-follows-inode | head -n 2), at its third line:
# strace delivers either there, every time. It carries on and cleans up.
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    ASAN_OPTIONS=$no_lsan strace -o /dev/null -e trace=write -e inject=write:error=EPIPE:when=3 \
        "$LESSON_DIR/$prog" "$TEST_TMP" >"$out" 2>"$err" </dev/null
    status=$?
    ok "a closed output pipe at its third line: it goes on, exit 0" status_is 0
    ok "... and removes its directory" gone "$(dir_in "$out")"
    ASAN_OPTIONS=$no_lsan strace -o /dev/null -e trace=write -e inject=write:signal=SIGINT:when=3 \
        "$LESSON_DIR/$prog" "$TEST_TMP" >"$out" 2>"$err" </dev/null
    status=$?
    ok "Ctrl-C at its third line: it finishes, exit 1, one line" \
        call_fails 'interrupted by SIGINT, after cleaning up'
    ok "... and removes its directory" gone "$(dir_in "$out")"
else
    skip "Ctrl-C and a closed pipe leave nothing behind" "strace cannot run here"
fi

# ---- bad arguments ----------------------------------------------------------------
for prog in writer reader; do
    for bad in 0 256 -1; do
        run "$prog" "$keypath" "$bad"
        ok "$prog PROJ_ID $bad: refused before ftok, exit 2, the usage" usage_fails "PROJ_ID '$bad' .*"
        [[ $prog$bad == writer0 ]] &&
            ok "Questions 2: the answer shows what the writer printed" answer_matches 2 "$err"
    done
    run "$prog" "$TEST_TMP/missing" 65
    ok "$prog with a missing KEYPATH: a usage error" usage_fails 'KEYPATH .* is not an existing file or directory'
done
prog='key-follows-inode'
touch "$TEST_TMP/file"
run "$prog" "$TEST_TMP/file"
ok "$prog with a file for DIR: exit 1, one line naming ENOTDIR" \
    call_fails 'mkdtemp\(.*\): ENOTDIR .*'
rm -f "$TEST_TMP/file"
