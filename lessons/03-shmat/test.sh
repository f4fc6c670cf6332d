#!/usr/bin/env bash
# Lesson 03 test: the writer's message outlives it in the segment (nattch 0, no
# process attached), the reader reads exactly that text through a read-only
# attachment (r--s), a store through it is a SIGSEGV with SEGV_ACCERR, and the
# reader, the last user, removes the segment; the two attach at different
# addresses; with shm_rmid_forced 1 the message dies with the writer. Segments the
# reader must refuse (wrong mode, too small, unfinished or corrupt header, never
# written) are planted with perl's built-in shmget and shmwrite: no shell tool can
# make them.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

SIZE=272                        # sizeof(struct message) + 256 bytes of text
keys=()                         # every key a case may leave behind when it fails

# A fresh key path for each case, so a failed case cannot spoil the next one.
new_keypath() { mkdir "$TEST_TMP/$1" && printf '%s\n' "$TEST_TMP/$1"; }
has_segment() { [[ -n "$(segment_row "$1")" ]]; }
remove_key() { ipcrm -M "$1" 2>/dev/null; return 0; }
cleanup() { local k; for k in "${keys[@]}"; do remove_key "$k"; done; }
trap cleanup EXIT

out_is() { grep -Fqx -- "$1" "$out"; }          # a whole line, no regex
out_lacks() { ! grep -Eq -- "$1" "$out"; }
lines_in() { grep -Ec -- "$2" "$1"; }

# ---- the writer alone, then the reader (what the README shows) ----------------------
keypath=$(new_keypath pair)
key=$(ftok_key "$keypath" 65)
hex=${key#0x}
keys+=("$key")

run --vg writer "$keypath" 65
w=$TEST_TMP/writer.txt
cp "$out" "$w"
ok "writer exits 0" status_is 0
ok "writer's key is glibc's ftok formula ($key)" \
    has_line "$w" "writer: key $key from ftok\(\"$keypath\", 65\)"
shmid=$(field_of "$w" '^writer: created shmid' 4 | tr -d ,)
ok "writer creates $SIZE bytes (a 16-byte header + 256 of text), mode 0600" \
    has_line "$w" "writer: created shmid $shmid, $SIZE bytes, mode 0600"
ok "writer writes the default message, state READY" \
    has_line "$w" 'writer: wrote "hello from the writer" \(21 bytes\), state READY'
ok "writer's maps line: rw-s, inode = shmid, /SYSV + the key in hex, (deleted)" \
    has_line "$w" "writer: maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f]+:[0-9a-f]+ $shmid +/SYSV$hex \(deleted\)"
ok "writer detaches and leaves the segment" \
    has_line "$w" "writer: detached; shmid $shmid stays, with the message, for the reader"

# perms size nattch, and rss + swap: the message's page, held by the kernel alone.
read -r perms size nattch held < <(segment_row "$key" | awk '{ print $3, $4, $7, $15 + $16 }')
ok "the writer has exited, the segment stays: perms 600, size $SIZE, nattch 0" \
    test "${perms:-} ${size:-} ${nattch:-}" == "600 $SIZE 0"
ok "its page (rss + swap = ${held:-none} bytes) is kept with no process attached" \
    test "${held:-0}" -gt 0

run --vg reader "$keypath" 65
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0" status_is 0
ok "reader derives the same key" has_line "$r" "reader: key $key from ftok\(\"$keypath\", 65\)"
ok "reader checks the segment: mine, 600, $SIZE bytes, nattch 0" \
    has_line "$r" "reader: found shmid $shmid: mine, mode 600, $SIZE bytes, nattch 0: the writer has detached"
ok "reader prints exactly the writer's text" \
    has_line "$r" 'reader: message "hello from the writer" \(21 bytes\)'
ok "reader's maps line: r--s, the same shmid and /SYSV key" \
    has_line "$r" "reader: maps: [0-9a-f]+-[0-9a-f]+ r--s 00000000 [0-9a-f]+:[0-9a-f]+ $shmid +/SYSV$hex \(deleted\)"
ok "the child's store faults with si_code SEGV_ACCERR (mapped, but read-only)" \
    has_line "$r" "reader: the child's store faulted: SIGSEGV with si_code SEGV_ACCERR .*"
ok "and the SIGSEGV kills the child, not the reader" \
    has_line "$r" 'reader: a store through the read-only attachment killed the child with SIGSEGV'
ok "reader detaches, then removes the segment" \
    has_line "$r" "reader: removed shmid $shmid: I was its last user"
ok "the segment is gone" no_segment "$key"
ok "the reader did not have to wait: stderr is empty" test ! -s "$err"

# ---- other messages -------------------------------------------------------------------
keypath=$(new_keypath custom)
key=$(ftok_key "$keypath" 66)
keys+=("$key")
text="-a message with  two spaces, 'quotes' and 100%s"
run writer "$keypath" 66 "$text"
ok "writer takes MESSAGE, even one that starts with -" status_is 0
at_writer=$(field_of "$out" '^writer: attached ' 6)
run reader "$keypath" 66
ok "reader prints it byte for byte" out_is "reader: message \"$text\" (47 bytes)"
at_reader=$(field_of "$out" '^reader: attached ' 7)
if [[ $(cat /proc/sys/kernel/randomize_va_space) != 0 ]]; then
    ok "two processes, two addresses for one segment ($at_writer, $at_reader)" \
        test "${at_writer:-w}" != "${at_reader:-w}"
else
    skip "two processes, two addresses for one segment" "address space randomization is off"
fi

run writer "$keypath" 66 $'bell\a, newline\n, escape\e[31m'
run reader "$keypath" 66
ok "control characters from shared memory reach the terminal as ?" \
    out_is 'reader: message "bell?, newline?, escape?[31m" (28 bytes)'

text=$(printf 'x%.0s' {1..256})
run writer "$keypath" 66 "$text"
ok "a 256-byte MESSAGE fills the room" status_is 0
run reader "$keypath" 66
ok "reader prints all 256 bytes" out_is "reader: message \"$text\" (256 bytes)"
ok "nothing is left at the key" no_segment "$key"

# ---- waiting --------------------------------------------------------------------------
keypath=$(new_keypath early)
key=$(ftok_key "$keypath" 65)
keys+=("$key")
start --vg early reader -t 20 "$keypath"
ok "a reader started first says on stderr what it waits for" \
    wait_for_line "$TEST_TMP/early.err" "^reader: waiting up to 20 s for the writer to create the segment$" 10
run writer "$keypath" 65 "late but here"
ok "the writer comes" status_is 0
finish early
ok "the reader that waited reads the message" status_is 0
ok "... the writer's text" out_is 'reader: message "late but here" (13 bytes)'
ok "... having said it waits only once" test "$(lines_in "$err" 'waiting up to')" -eq 1
ok "... and leaves nothing" no_segment "$key"

run reader -t 1 "$keypath"
ok "a reader with no writer gives up after -t 1: exit 1" status_is 1
ok "... naming the key, the timeout and what to do" \
    err_has "reader: no segment for key $key: timed out after 1 s; start ./writer first"

start stopped reader -t 20 "$keypath"
wait_for_line "$TEST_TMP/stopped.err" 'waiting up to' 10
kill -INT "${pid[stopped]}"
finish stopped
ok "Ctrl-C while the reader waits: exit 1" status_is 1
ok "... with one clear line after the notice" \
    err_has "reader: no segment for key $key: interrupted by SIGINT"

# ---- planted segments: refused, and left for inspection -------------------------------
# plant KEY MODE SIZE [MAGIC STATE LENGTH TEXT]: a segment as a stranger or a crashed
# writer would leave it. With a header, perl's shmwrite attaches, writes, detaches,
# as a writer does (so shm_dtime is set); "\0" in TEXT is a NUL byte. Prints the id.
plant() {
    # shellcheck disable=SC2016 # $id and @ARGV are perl's
    perl -e '
        my ($key, $mode, $size, @header) = @ARGV;
        my $id = shmget(hex($key), $size, 01000 | 02000 | oct($mode));
        defined $id or die "shmget: $!\n";
        if (@header) {
            (my $text = $header[3]) =~ s/\\0/\0/g;
            my $bytes = pack("VVVVa*", hex($header[0]), $header[1], 1, $header[2], $text);
            shmwrite($id, $bytes, 0, length $bytes) or die "shmwrite: $!\n";
        }
        print "$id\n";' "$@"
}
MAGIC=0x314d4853
if command -v perl >/dev/null; then
    keypath=$(new_keypath planted)
    key=$(ftok_key "$keypath" 65)
    keys+=("$key")

    id=$(plant "$key" 0644 "$SIZE" $MAGIC 2 5 hello)
    run reader -t 2 "$keypath"
    ok "mode 0644 (anyone may read it): refused, exit 1" status_is 1
    ok "... one line naming the mode, and what to do" \
        err_has "reader: shmid $id: its mode is 644, not 600: refusing it; remove it \(ipcrm -m $id\) or run 'make clean-ipc'"
    ok "... before attaching: no message printed" out_lacks '^reader: (attached|message)'
    ok "... and the segment is left alone" has_segment "$key"
    remove_key "$key"

    id=$(plant "$key" 0600 100 $MAGIC 2 5 hello)
    run reader -t 2 "$keypath"
    ok "100 bytes, smaller than a message: refused, exit 1" status_is 1
    ok "... naming the size" err_has "reader: shmid $id: it has 100 bytes, fewer than the $SIZE needed: refusing it; .*"
    remove_key "$key"

    id=$(plant "$key" 0600 "$SIZE" $MAGIC 1 5 hello)
    run reader -t 2 "$keypath"
    ok "a writer that died while WRITING: refused, exit 1" status_is 1
    ok "... one line saying unfinished, and how to remove it" \
        err_has "reader: shmid $id: refusing the message: it is unfinished \(state is not READY\); 'make clean-ipc' \(or ipcrm -m $id\) removes it"
    ok "... and no message printed" out_lacks '^reader: message'
    ok "... the segment is left for inspection" has_segment "$key"
    remove_key "$key"

    id=$(plant "$key" 0600 "$SIZE" 0x12345678 2 5 hello)
    run reader -t 2 "$keypath"
    ok "bad magic: refused, exit 1" status_is 1
    ok "... saying bad magic" err_has "reader: shmid $id: refusing the message: bad magic.*"
    remove_key "$key"

    id=$(plant "$key" 0600 "$SIZE" $MAGIC 2 100000 hello)
    run reader -t 2 "$keypath"
    ok "a length of 100000 in a $SIZE-byte segment: refused, nothing read past it" status_is 1
    ok "... saying the length is too large" \
        err_has "reader: shmid $id: refusing the message: the length in the header is larger than the shared area.*"
    remove_key "$key"

    plant "$key" 0600 "$SIZE" $MAGIC 2 9 'abc\0defgh' >/dev/null
    run reader -t 2 "$keypath"
    ok "a NUL inside the text: the reader shows the C string before it" \
        out_is 'reader: message "abc" (3 bytes)'
    ok "... and removes the segment" no_segment "$key"

    # Created, never attached: shm_dtime is 0, as while a writer is still at work.
    id=$(plant "$key" 0600 "$SIZE")
    run reader -t 1 "$keypath"
    ok "a segment not yet written and detached: the reader waits, then exits 1" status_is 1
    ok "... having said what it waits for" \
        err_has "reader: waiting up to 1 s for the writer to write and detach"
    ok "... its last line: the segment stays, and how to remove it" \
        err_has "reader: shmid $id: the writer has not written and detached: timed out after 1 s; it stays: 'make clean-ipc' \(or ipcrm -m $id\) removes it"
    start waiting reader -t 20 "$keypath"
    wait_for_line "$TEST_TMP/waiting.err" 'for the writer to write and detach' 10
    kill -INT "${pid[waiting]}"
    finish waiting
    ok "Ctrl-C in that wait: exit 1, with the same advice" \
        err_has "reader: shmid $id: .*: interrupted by SIGINT; it stays: 'make clean-ipc' .*"
    ok "... and the writer's segment is indeed still there" has_segment "$key"
    remove_key "$key"
else
    skip "planted segments are refused (mode, size, state, magic, length)" "perl is not installed"
fi

# ---- a segment that is not ours is refused ----------------------------------------------
if really_root && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
    # A key path the user nobody can reach: a directory of its own outside TEST_TMP.
    shared=$(mktemp -d "${TMPDIR:-/tmp}/shmat-squat.XXXXXX")
    chmod 0755 "$shared"
    key=$(ftok_key "$shared" 65)
    keys+=("$key")
    if runuser -u nobody -- "$LESSON_DIR/writer" "$shared" 65 "not yours" >"$TEST_TMP/squat.out" 2>&1; then
        run reader -t 1 "$shared" 65
        ok "a segment at our key left by another user: refused, exit 1" status_is 1
        ok "... one line naming the other uid" \
            err_has "reader: shmid [0-9]+: it belongs to uid $(id -u nobody), not to you \(uid $(id -u)\): refusing it; .*"
        ok "... and its text is never printed" out_lacks 'not yours'
        remove_key "$key"
    else
        # In a user namespace that maps only root, nobody has no uid to run as.
        skip "a segment owned by another user is refused" "runuser -u nobody fails here: $(head -n1 "$TEST_TMP/squat.out")"
    fi
    rmdir "$shared"
else
    skip "a segment owned by another user is refused" "needs the real root and the user nobody to create one"
fi

# ---- shm_rmid_forced 1: the last detach destroys the segment ----------------------------
if unshare --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --ipc)
elif unshare --user --map-root-user --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --user --map-root-user --ipc)
else
    fresh_ipc=()
fi
if (( ${#fresh_ipc[@]} )); then
    keypath=$(new_keypath forced)
    key=$(ftok_key "$keypath" 65)
    # shellcheck disable=SC2016 # $1 and $2 belong to the inner shell
    "${fresh_ipc[@]}" bash -c 'echo 1 >/proc/sys/kernel/shm_rmid_forced &&
        "$1/writer" "$2" 65 >/dev/null && exec "$1/reader" -t 1 "$2" 65' \
        _ "$LESSON_DIR" "$keypath" >"$out" 2>"$err" </dev/null
    status=$?
    ok "shm_rmid_forced 1: the writer's message does not outlive it, the reader finds nothing" \
        err_has "reader: no segment for key $key: timed out after 1 s; start ./writer first"
else
    skip "shm_rmid_forced 1 destroys the segment at the last detach" "no IPC namespace can be made here"
fi

# ---- a leftover segment: EEXIST ---------------------------------------------------------
keypath=$(new_keypath twice)
key=$(ftok_key "$keypath" 65)
keys+=("$key")
run writer "$keypath"
run writer "$keypath"
ok "a second writer on a key that has a segment: exit 1" status_is 1
ok "... one line naming EEXIST, the shmid that holds the key, and the fix" \
    err_has "writer: shmget\(key $key, $SIZE, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); shmid [0-9]+ \(uid [0-9]+, nattch [0-9]+\) already has key $key, left by an earlier run: .*make clean-ipc.*ipcrm -m [0-9]+"
ok "... and nothing on stdout after the key" test "$(wc -l <"$out")" -eq 1
run reader "$keypath"
ok "the first writer's message is still read, and removed" out_is 'reader: message "hello from the writer" (21 bytes)'

# ---- bad arguments ----------------------------------------------------------------------
usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1 .*\(usage: $prog .*\)" && test ! -s "$out"; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
for prog in writer reader; do
    for bad in 0 256 -1 x '' 99999999999999999999 '65 ' 1e3; do
        run "$prog" "$TEST_TMP" "$bad"
        ok "$prog PROJ_ID '$bad': usage error, exit 2, one line" usage_fails PROJ_ID
    done
    run "$prog" ''
    ok "$prog KEYPATH '': usage error" usage_fails KEYPATH
    run "$prog" "$TEST_TMP/missing" 65
    ok "$prog with a missing KEYPATH: exit 1, ENOENT" call_fails 'ftok\(.*missing.*\): ENOENT .*'
    run "$prog" -x
    ok "$prog -x: usage error" usage_fails 'unknown option -x'
done
prog=writer
run writer "$TEST_TMP" 65 hi extra
ok "writer with too many arguments: usage error" usage_fails 'too many arguments'
run writer "$TEST_TMP" 65 ''
ok "writer MESSAGE '': usage error" usage_fails 'MESSAGE has 0 bytes:'
run writer "$TEST_TMP" 65 "$(printf 'y%.0s' {1..257})"
ok "writer MESSAGE of 257 bytes: usage error" usage_fails 'MESSAGE has 257 bytes:'
prog=reader
run reader "$TEST_TMP" 65 extra
ok "reader with too many arguments: usage error" usage_fails 'too many arguments'
for bad in 0 3601 abc -5 ''; do
    run reader -t "$bad"
    ok "reader -t '$bad': usage error" usage_fails SECONDS
done
run reader -t
ok "reader -t without a value: usage error" usage_fails 'option -t needs a value'
ok "nothing is left at the test's key" no_segment "$(ftok_key "$TEST_TMP" 65)"
