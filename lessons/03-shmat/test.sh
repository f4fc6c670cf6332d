#!/usr/bin/env bash
# Lesson 03 test: the writer's message outlives it in the segment (nattch 0, the
# page kept); the reader waits for the segment and then for READY, reads exactly the
# writer's text through a read-only attachment (r--s) and removes the segment; a
# store through a read-only attachment kills a child with SIGSEGV (SEGV_ACCERR),
# and goes through without SHM_RDONLY; a writer that never publishes; segments the
# reader must refuse are planted with perl's shmget and shmwrite.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

SIZE=268                        # sizeof(struct message) = 12, + 256 bytes of text
MAGIC=0x314d4853
keys=()                         # every key a case may leave behind when it fails
cleanup() { local k; for k in "${keys[@]}"; do ipcrm -M "$k" 2>/dev/null; done; return 0; }
trap cleanup EXIT

# A fresh key path for each case, so a failed case cannot spoil the next one.
new_key() { keypath=$TEST_TMP/$1; mkdir "$keypath"; key=$(ftok_key "$keypath" 65); keys+=("$key"); }
has_segment() { ! no_segment "$1"; }
nattch_of() { segment_row "$1" | awk '{ print $7 }'; }
out_lacks() { ! grep -Eq -- "$1" "$out"; }

# ---- the writer, then the reader (what the README shows) ----------------------------
new_key pair
hex=${key#0x}
run --vg writer "$keypath" 65
w=$TEST_TMP/writer.txt
cp "$out" "$w"
ok "writer exits 0" status_is 0
shmid=$(field_of "$w" '^writer: created shmid' 4)
ok "writer creates shmid $shmid for the ftok key ($key), $SIZE bytes, mode 0600" \
    has_line "$w" "writer: created shmid $shmid for key $key, $SIZE bytes, mode 0600"
ok "writer writes the message, then state READY" \
    has_line "$w" 'writer: wrote "hello from the writer" \(21 bytes\), then state READY'
ok "writer's maps line: rw-s, inode = shmid, /SYSV + the key in hex, (deleted)" \
    has_line "$w" "writer: maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f]+:[0-9a-f]+ $shmid +/SYSV$hex \(deleted\)"
read -r perms size nattch held < <(segment_row "$key" | awk '{ print $3, $4, $7, $15 + $16 }')
ok "the writer has exited, the segment stays: perms 600, $SIZE bytes, nattch 0" \
    test "${perms:-} ${size:-} ${nattch:-}" == "600 $SIZE 0"
ok "its page (rss + swap = ${held:-none} bytes) is kept with no process attached" \
    test "${held:-0}" -gt 0

run --vg reader "$keypath" 65
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0" status_is 0
ok "reader finds the same shmid by the key, checks it is mine, attaches read-only" \
    has_line "$r" "reader: shmid $shmid is mine \(mode 600, $SIZE bytes\): attached read-only at 0x[0-9a-f]+"
ok "reader prints exactly the writer's text" \
    has_line "$r" 'reader: message "hello from the writer" \(21 bytes\)'
ok "reader's maps line: r--s, the same shmid and /SYSV key" \
    has_line "$r" "reader: maps: [0-9a-f]+-[0-9a-f]+ r--s 00000000 [0-9a-f]+:[0-9a-f]+ $shmid +/SYSV$hex \(deleted\)"
ok "reader detaches and removes it" has_line "$r" "reader: detached, and removed shmid $shmid"
ok "the segment is gone" no_segment "$key"
ok "the reader did not have to wait: stderr is empty" test ! -s "$err"
# Valgrind places mappings alike in every run: compare two plain runs.
run writer "$keypath"
at_writer=$(field_of "$out" '^writer: attached' 4)
run reader "$keypath"
at_reader=$(awk '/attached read-only at/ { print $NF }' "$out")
if [[ $(cat /proc/sys/kernel/randomize_va_space) != 0 ]]; then
    ok "two processes, two addresses for one segment ($at_writer, $at_reader)" \
        test "${at_writer:-w}" != "${at_reader:-w}"
else
    skip "two processes, two addresses for one segment" "address space randomization is off"
fi

# ---- a store through a read-only attachment -----------------------------------------
run --vg readonly-store
ok "readonly-store: the child's store is a SIGSEGV, the program exits 0" \
    out_has 'readonly-store: a store through the read-only attachment killed the child with SIGSEGV'
ok "... and the program exits 0" status_is 0
# (LeakSanitizer cannot work under ptrace: off for this run of a sanitizer build.)
if command -v strace >/dev/null && ASAN_OPTIONS=detect_leaks=0 strace -f \
        -o "$TEST_TMP/strace.txt" -e trace=none "$LESSON_DIR/readonly-store" >/dev/null 2>&1; then
    ok "strace: the fault is SEGV_ACCERR (the page is mapped, but not writable)" \
        grep -q 'SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR' "$TEST_TMP/strace.txt"
else
    skip "strace shows the fault is SEGV_ACCERR" "strace is missing or cannot trace here"
fi

# Questions 1 and 3 are one-line edits: build a copy of the program with the edit
# (sed s/FROM/TO/), as a learner would make it; fail when FROM is not found.
variant() {
    local name=$1 prog=$2 from=$3 to=$4
    sed "s/$from/$to/" "$LESSON_DIR/$prog.c" >"$TEST_TMP/$name.c"
    ! cmp -s "$LESSON_DIR/$prog.c" "$TEST_TMP/$name.c" || return 1
    "${CC:-cc}" -std=c11 -I"$LESSON_DIR/../../common" -o "$TEST_TMP/$name" \
        "$TEST_TMP/$name.c" "$LESSON_DIR/../../common/course.c"
}
if variant readonly-store-rw readonly-store 'shmat(shmid, NULL, SHM_RDONLY)' 'shmat(shmid, NULL, 0)'; then
    "$TEST_TMP/readonly-store-rw" >"$out" 2>"$err" </dev/null
    status=$?
    ok "SHM_RDONLY changed to 0 in readonly-store.c: the child's store goes through" \
        out_has "readonly-store: the child's store went through"
    ok "Questions 1: the answer shows what it printed" answer_matches 1 "$out"
else
    ok "readonly-store.c attaches with shmat(shmid, NULL, SHM_RDONLY) (Questions 1 edits it)" false
fi

if command -v strace >/dev/null; then
    run writer "$keypath"
    ASAN_OPTIONS=detect_leaks=0 strace -o "$TEST_TMP/ipc.txt" -e trace=ipc \
        "$LESSON_DIR/reader" "$keypath" >/dev/null 2>&1
    calls=$(sed -nE 's/^(shmget|shmdt)\(.*/\1/p; s/^shmctl\([0-9]+, (IPC_STAT|IPC_RMID),.*/\1/p
                     s/^shmat\([0-9]+, NULL, SHM_RDONLY\) += 0x.*/shmat(SHM_RDONLY)/p' \
                "$TEST_TMP/ipc.txt" | paste -sd ' ')
    ok "strace -e trace=ipc: the reader's calls, in order ($calls)" \
        test "$calls" == "shmget IPC_STAT shmat(SHM_RDONLY) shmdt IPC_RMID"
else
    skip "strace -e trace=ipc shows the reader's calls" "strace is not installed"
fi

# ---- waiting -----------------------------------------------------------------------------
new_key early
start --vg early reader -t 20 "$keypath"
ok "a reader started first says on stderr what it waits for" \
    wait_for_line "$TEST_TMP/early.err" "^reader: waiting up to 20 s for the writer to create the segment$" 10
run writer "$keypath"
ok "the writer comes" status_is 0
finish early
ok "the reader that waited reads the message, exit 0" status_is 0
ok "... the writer's text" out_has 'reader: message "hello from the writer" \(21 bytes\)'
ok "... having said it waits only once" test "$(grep -c 'waiting up to' "$err")" -eq 1
ok "... and leaves nothing" no_segment "$key"

run reader -t 1 "$keypath"
ok "no writer: the reader gives up after -t 1, exit 1" status_is 1
ok "... the notice, then one line naming the key and the timeout" \
    test "$(cat "$err")" == "reader: waiting up to 1 s for the writer to create the segment
reader: no segment for key $key: timed out after 1 s"

start stopped reader -t 20 "$keypath"
wait_for_line "$TEST_TMP/stopped.err" 'waiting up to' 10
kill -INT "${pid[stopped]}"
finish stopped
ok "Ctrl-C while the reader waits for the segment: exit 1, one clear line" \
    err_has "reader: no segment for key $key: interrupted by SIGINT"

# ---- planted segments ----------------------------------------------------------------------
# plant KEY MODE SIZE [MAGIC STATE LENGTH TEXT]: a segment as a stranger or a dead
# writer would leave it (perl's shmwrite attaches, writes, detaches). Prints the id.
plant() {
    # shellcheck disable=SC2016 # $id and @ARGV are perl's
    perl -e '
        my ($key, $mode, $size, @h) = @ARGV;
        my $id = shmget(hex($key), $size, 01000 | 02000 | oct($mode));
        defined $id or die "shmget: $!\n";
        if (@h) {
            my $bytes = pack("VVVa*", hex($h[0]), $h[1], $h[2], $h[3]);
            shmwrite($id, $bytes, 0, length $bytes) or die "shmwrite: $!\n";
        }
        print "$id\n";' "$@"
}
# publish ID: store state READY (2) at offset 4, as the writer's last store does.
publish() { perl -e 'shmwrite($ARGV[0], pack("V", 2), 4, 4) or die "shmwrite: $!\n"' "$1"; }

if command -v perl >/dev/null; then
    new_key planted
    id=$(plant "$key" 0600 "$SIZE" $MAGIC 0 14 'published late')
    start --vg late reader -t 20 "$keypath"
    ok "a segment not yet published: the reader attaches and waits for READY" \
        wait_for_line "$TEST_TMP/late.err" "^reader: waiting up to 20 s for the writer's message$" 10
    publish "$id"
    finish late
    ok "... state READY: it reads the message, exit 0" status_is 0
    ok "... the text written before READY" out_has 'reader: message "published late" \(14 bytes\)'
    ok "... and removes the segment" no_segment "$key"

    id=$(plant "$key" 0644 "$SIZE" $MAGIC 2 5 hello)
    run reader -t 2 "$keypath"
    ok "mode 0644 (anyone may read it): refused, exit 1" status_is 1
    ok "... one line naming the mode" err_has "reader: shmid $id: its mode is 644, not 600: refusing it"
    ok "... before attaching: nothing on stdout" out_lacks '.'
    ok "... and the segment is left alone" has_segment "$key"
    ipcrm -M "$key"

    id=$(plant "$key" 0600 100)
    run reader -t 2 "$keypath"
    ok "100 bytes, smaller than a message: refused" \
        err_has "reader: shmid $id: it has 100 bytes, fewer than $SIZE: refusing it"
    ipcrm -M "$key"

    id=$(plant "$key" 0600 "$SIZE" 0x12345678 2 5 hello)
    run reader -t 2 "$keypath"
    ok "READY but a bad magic: refused, exit 1" status_is 1
    ok "... saying bad magic" err_has "reader: shmid $id: .*\(bad magic\): refusing it"
    ipcrm -M "$key"

    id=$(plant "$key" 0600 "$SIZE" $MAGIC 2 100000 hello)
    run reader -t 2 "$keypath"
    ok "a length of 100000 in a $SIZE-byte segment: refused, nothing read past it" \
        err_has "reader: shmid $id: its length is larger than the room for it: refusing it"
    ok "... and no message printed" out_lacks '^reader: message'
    ipcrm -M "$key"

    plant "$key" 0600 "$SIZE" $MAGIC 2 28 $'bell\a, newline\n, escape\e[31m' >/dev/null
    run reader -t 2 "$keypath"
    ok "control characters from shared memory reach the terminal as ?" \
        out_has 'reader: message "bell\?, newline\?, escape\?\[31m" \(28 bytes\)'
    ok "... and the segment is removed" no_segment "$key"
else
    skip "planted segments: late READY, mode, size, magic, length" "perl is not installed"
fi

# A writer that returns just before it publishes (Questions 3): never READY.
new_key unpublished
if variant writer-unpublished writer \
        'atomic_store_explicit(&msg->state, MESSAGE_READY' 'return 0;\n    &'; then
    "$TEST_TMP/writer-unpublished" "$keypath" >"$out" 2>"$err" </dev/null
    id=$(field_of "$out" '^writer: created shmid' 4)
    ok "writer.c with return 0 before it publishes: the segment is made, state never READY" \
        test -n "$id" -a "$(grep -c . "$out")" == 2
    run reader -t 1 "$keypath"
    ok "never published: the reader gives up after -t 1, exit 1" status_is 1
    ok "... one line: no message, timed out" err_has "reader: shmid $id: no message: timed out after 1 s"
    ok "Questions 3: the answer shows what the reader printed" answer_matches 3 "$err"
    start term reader -t 20 "$keypath"
    wait_for_line "$TEST_TMP/term.err" "the writer's message" 10
    kill -TERM "${pid[term]}"
    finish term
    ok "SIGTERM in that wait: exit 1, one clear line" \
        err_has "reader: shmid $id: no message: interrupted by SIGTERM"
    ok "... its attachment is gone (nattch 0); the segment, not the reader's, stays" \
        test "$(nattch_of "$key")" == 0
    ipcrm -M "$key"
else
    ok "writer.c publishes with atomic_store_explicit(&msg->state, MESSAGE_READY (Questions 3 edits it)" false
fi

if really_root && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
    # A key path the user nobody can reach: a directory of its own outside TEST_TMP.
    shared=$(mktemp -d "${TMPDIR:-/tmp}/shmat-squat.XXXXXX")
    chmod 0755 "$shared"
    key=$(ftok_key "$shared" 65)
    keys+=("$key")
    if runuser -u nobody -- "$LESSON_DIR/writer" "$shared" 65 >"$TEST_TMP/squat.out" 2>&1; then
        run reader -t 1 "$shared" 65
        ok "a segment at our key made by another user: refused, exit 1" status_is 1
        ok "... one line naming its uid" \
            err_has "reader: shmid [0-9]+: it belongs to uid $(id -u nobody), not to you: refusing it"
        ok "... and its text is never printed" out_lacks 'hello'
        ipcrm -M "$key"
    else
        skip "a segment owned by another user is refused" "runuser -u nobody fails here: $(head -n1 "$TEST_TMP/squat.out")"
    fi
    rmdir "$shared"
else
    skip "a segment owned by another user is refused" "needs the real root and the user nobody"
fi

# ---- shm_rmid_forced 1: the writer's detach is the last one, and frees the segment ------
fresh_ipc=()
if unshare --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --ipc)
elif unshare --user --map-root-user --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --user --map-root-user --ipc)
fi
new_key forced
forced=77
if (( ${#fresh_ipc[@]} )); then
    # shellcheck disable=SC2016 # $1 and $2 belong to the inner shell
    "${fresh_ipc[@]}" bash -c '
        echo 1 2>/dev/null >/proc/sys/kernel/shm_rmid_forced || exit 77
        "$1/writer" "$2" >/dev/null && exec "$1/reader" -t 1 "$2"' _ "$LESSON_DIR" "$keypath" \
        >"$out" 2>"$err" </dev/null
    forced=$?
fi
if (( forced != 77 )); then
    ok "shm_rmid_forced 1: the message dies with the writer, the reader finds nothing" \
        err_has "reader: no segment for key $key: timed out after 1 s"
else
    skip "shm_rmid_forced 1 frees the segment at the writer's detach" "no IPC namespace of our own here"
fi

# ---- a leftover segment: EEXIST, and its hint ---------------------------------------------
new_key twice
run writer "$keypath"
run writer "$keypath"
ok "a second writer on a key that has a segment: exit 1" status_is 1
ok "... one line: EEXIST, and how to see and remove it" \
    err_has "writer: shmget\(key $key, $SIZE, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); 'ipcs -m' shows it; 'make clean-ipc' removes what this course left"
ok "... nothing on stdout" test ! -s "$out"
run reader "$keypath"
ok "the first writer's message is still read, and removed" \
    out_has 'reader: message "hello from the writer" \(21 bytes\)'

# ---- arguments (the full bad-input matrix comes from the args file) --------------------------
# One line saying what is wrong, then the usage line; exit 2, nothing on stdout.
usage_fails() {
    status_is 2 && [[ $(wc -l <"$err") -eq 2 ]] && has_line "$err" "$prog: $1" &&
        has_line "$err" "usage: $prog( .*)?" && test ! -s "$out"
}
for prog in writer reader readonly-store; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" out_has "usage: $prog( .*)?"
done
for prog in writer reader; do
    for bad in 0 256 -1 x '65 '; do
        run "$prog" "$TEST_TMP" "$bad"
        ok "$prog PROJ_ID '$bad': usage error, exit 2, one line" usage_fails "PROJ_ID '$bad' .*"
    done
    run "$prog" "$TEST_TMP/missing"
    ok "$prog with a missing KEYPATH: usage error" usage_fails "KEYPATH '.*missing' is not an existing file or directory"
    run "$prog" "$TEST_TMP" 65 extra
    ok "$prog with too many arguments: usage error" usage_fails "too many arguments, from 'extra'"
done
prog=reader
run reader -t 0
ok "reader -t 0: usage error" usage_fails "SECONDS '0' is out of range: expected 1 to 3600"
prog=readonly-store
run readonly-store extra
ok "readonly-store takes no argument: usage error" usage_fails "too many arguments, from 'extra'"
ok "nothing is left at the test's key" no_segment "$(ftok_key "$TEST_TMP" 65)"
