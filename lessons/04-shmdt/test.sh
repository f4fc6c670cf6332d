#!/usr/bin/env bash
# Lesson 04 test: shm_nattch goes 1, 2, 1, 0 as the writer and the reader attach and
# detach, shm_lpid names who did it and shm_dtime is set; after its shmdt the reader
# has no maps line for the address, a load from it kills a child with SIGSEGV and a
# second shmdt is EINVAL; at nattch 0 the unmarked segment is still there (unless
# shm_rmid_forced is 1: then the writer says the kernel freed it); the last shmdt of
# a marked segment frees it (last-detach); waits, Ctrl-C, refusals, EEXIST.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

SIZE=268                        # sizeof(struct message) = 12, + 256 bytes of text
TEXT='read me, then detach'
keys=()                         # every key a case may leave behind when it fails
cleanup() { local k; for k in "${keys[@]}"; do ipcrm -M "$k" 2>/dev/null; done; return 0; }
trap cleanup EXIT

# A fresh key path for each case, so a failed case cannot spoil the next one.
new_key() { keypath=$TEST_TMP/$1; mkdir "$keypath"; key=$(ftok_key "$keypath" 65); keys+=("$key"); }
row_fields() { segment_row "$1" | awk '{ print $5, $6, $7 }'; }     # cpid lpid nattch
one_line() { status_is "$1" && err_is_one_line && err_has "$2"; }

# ---- the pair, as make run does it: the reader starts when the writer waits ----------
new_key pair
t0=$(date +%s)
start --vg writer writer "$keypath"
wait_for_line "$TEST_TMP/writer.out" '^writer: wrote .*, waiting for the reader$' 10
wpid=${pid[writer]}
ok "the writer attached and waits: /proc/sysvipc/shm says cpid, lpid = writer, nattch 1" \
    test "$(row_fields "$key")" == "$wpid $wpid 1"
start --vg reader reader "$keypath"
finish reader
rpid=${pid[reader]}
r=$TEST_TMP/reader.out
ok "reader exits 0" status_is 0
finish writer
w=$TEST_TMP/writer.out
t1=$(date +%s)
ok "writer exits 0" status_is 0
shmid=$(field_of "$w" '^writer: shmid' 3)
ok "writer: shmid $shmid for the ftok key $key" \
    has_line "$w" "writer: shmid $shmid for key $key, attached at 0x[0-9a-f]+"
addr=$(field_of "$r" '^reader: attached shmid' 6 | tr -d :)
ok "reader attached: shm_nattch 2, shm_lpid the reader ($rpid), shm_dtime 0" \
    has_line "$r" "reader: attached shmid $shmid at $addr: shm_nattch 2, shm_lpid $rpid, shm_dtime 0"
ok "... its maps line: rw-s, inode = shmid, /SYSV + the key in hex, (deleted)" \
    has_line "$r" "reader: maps: 0*${addr#0x}-[0-9a-f]+ rw-s 00000000 [0-9a-f]+:[0-9a-f]+ $shmid +/SYSV${key#0x} \(deleted\)"
ok "... the writer's text" has_line "$r" "reader: message \"$TEXT\""
ok "after shmdt no mapping holds $addr" \
    has_line "$r" "reader: detached, maps: \(no mapping holds $addr\)"
ok "a load from the old address kills a child with SIGSEGV" \
    has_line "$r" "reader: a load from $addr killed a child with SIGSEGV"
ok "shmdt of the old address again: EINVAL" has_line "$r" "reader: shmdt\($addr\) again: EINVAL"
read -r n lpid dtime < <(sed -nE 's/^writer: the reader detached: shm_nattch ([0-9]+), shm_lpid ([0-9]+), shm_dtime ([0-9]+)$/\1 \2 \3/p' "$w")
ok "the reader's detach: shm_nattch 1, shm_lpid the reader ($rpid)" \
    test "${n:-} ${lpid:-}" == "1 $rpid"
ok "... shm_dtime set to the time of it (${dtime:-none}, run from $t0 to $t1)" \
    test "${dtime:-0}" -ge "$t0" -a "${dtime:-0}" -le "$t1"
ok "the writer's detach: shm_nattch 0, shm_lpid the writer ($wpid), still there" \
    has_line "$w" "writer: detached: shm_nattch 0, shm_lpid $wpid: shmid $shmid is still there"
ok "IPC_RMID removes it" has_line "$w" "writer: removed shmid $shmid with IPC_RMID"
ok "... no segment at the key" no_segment "$key"
ok "the reader did not have to wait: its stderr is empty" test ! -s "$TEST_TMP/reader.err"

# ---- the last shmdt of a marked segment frees it --------------------------------------
run --vg last-detach
ok "last-detach exits 0" status_is 0
id=$(field_of "$out" '^last-detach: shmid' 3)
ok "marked with IPC_RMID while attached: nattch 1, mode 1600 (SHM_DEST), not freed" \
    out_has "last-detach: shmid $id after IPC_RMID: shm_nattch 1, mode 1600: marked, not freed"
ok "after its last shmdt IPC_STAT gives EINVAL: freed" \
    out_has 'last-detach: after the last shmdt, IPC_STAT gives EINVAL: freed'
ok "... and /proc/sysvipc/shm has no row for it" test -z "$(segment_row_by_id "${id:-x}")"

# ---- shm_rmid_forced 1 (in an IPC namespace of our own): nattch 0 frees it ------------
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
        "$1/writer" "$2" >/dev/null & "$1/reader" "$2" >/dev/null; wait $!' \
        _ "$LESSON_DIR" "$keypath" >"$out" 2>"$err" </dev/null
    forced=$?
fi
if (( forced != 77 )); then
    ok "shm_rmid_forced 1: the writer's detach, the last one, freed the segment: exit 1" \
        test "$forced" == 1
    ok "... and the writer says so, in one line" err_has \
        "writer: shmctl\([0-9]+, IPC_STAT\) after shmdt: EINVAL \(Invalid argument\); the kernel freed it at nattch 0: /proc/sys/kernel/shm_rmid_forced is 1 here"
else
    skip "shm_rmid_forced 1 frees the segment at the last detach" "no IPC namespace of our own here"
fi

# ---- waiting ----------------------------------------------------------------------------
new_key early
start --vg early reader -t 20 "$keypath"
ok "a reader started first says what it waits for" \
    wait_for_line "$TEST_TMP/early.err" '^reader: waiting up to 20 s for the writer to create the segment$' 10
run writer "$keypath"
ok "the writer comes and completes" status_is 0
finish early
ok "the reader that waited completes, exit 0" status_is 0
ok "... and sees nattch 2" out_has 'reader: attached shmid [0-9]+ at 0x[0-9a-f]+: shm_nattch 2, .*'
ok "... leaving nothing" no_segment "$key"

run reader -t 1 "$keypath"
ok "no writer: the reader gives up after -t 1, exit 1" status_is 1
ok "... the notice, then one line naming the key and the timeout" \
    test "$(cat "$err")" == "reader: waiting up to 1 s for the writer to create the segment
reader: no segment for key $key: timed out after 1 s"
ok "Questions 2: the answer shows what the reader printed" answer_matches 2 "$err"
ok "... having created nothing" no_segment "$key"

run --vg writer -t 1 "$keypath"
ok "no reader: the writer gives up after -t 1, exit 1" status_is 1
ok "... the notice, then one line saying why" \
    test "$(cat "$err")" == "writer: waiting up to 1 s for the reader to mark it SEEN
writer: no reader has read and detached: timed out after 1 s"
ok "... and removes its segment" no_segment "$key"

for sig in INT TERM; do
    start waiting writer -t 30 "$keypath"
    wait_for_line "$TEST_TMP/waiting.err" 'waiting up to 30 s' 10
    if [[ $sig == TERM ]]; then
        run writer "$keypath"
        ok "a second writer at the same key: exit 1, one line naming EEXIST and the fix" one_line 1 \
            "writer: shmget\(key $key, $SIZE, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); 'ipcs -m' shows it; 'make clean-ipc' removes what this course left"
    fi
    kill -"$sig" "${pid[waiting]}"
    finish waiting
    ok "SIG$sig while the writer waits: exit 1, saying so" \
        err_has "writer: no reader has read and detached: interrupted by SIG$sig"
    ok "... and the segment is gone" no_segment "$key"
done

start killed writer -t 30 "$keypath"
wait_for_line "$TEST_TMP/killed.err" 'waiting up to 30 s' 10
kill -KILL "${pid[killed]}"
finish killed
ok "kill -KILL while the writer waits: its exit detached it, nothing removed it (nattch 0)" \
    test "$(row_fields "$key" | awk '{ print $3 }')" == 0
if command -v perl >/dev/null; then
    text_left=$(perl -e 'shmread(shmget(hex($ARGV[0]), 0, 0), my $t, 12, 20) or die "$!\n"; print $t' "$key")
    ok "... with its bytes: the message is still in it" test "$text_left" == "$TEXT"
fi
run writer "$keypath"
ok "... the next writer: exit 1, one line naming EEXIST and the fix" one_line 1 \
    "writer: shmget\(key $key, $SIZE, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); 'ipcs -m' shows it; 'make clean-ipc' removes what this course left"
ok "Questions 1: the answer shows what the next writer printed" answer_matches 1 "$err"
ipcrm -M "$key"

start stopped reader -t 20 "$keypath"
wait_for_line "$TEST_TMP/stopped.err" 'waiting up to' 10
kill -INT "${pid[stopped]}"
finish stopped
ok "Ctrl-C while the reader waits for the segment: exit 1, one clear line" \
    err_has "reader: no segment for key $key: interrupted by SIGINT"

# ---- planted segments: never published, not ours ----------------------------------------
plant() { perl -e 'my $id = shmget(hex($ARGV[0]), $ARGV[2], 01000 | 02000 | oct($ARGV[1]));
                   defined $id or die "shmget: $!\n"; print "$id\n"' "$@"; }
if command -v perl >/dev/null; then
    id=$(plant "$key" 0600 "$SIZE")
    start term reader -t 20 "$keypath"
    wait_for_line "$TEST_TMP/term.err" "the writer's message" 10
    ok "a segment with no message: the reader attaches and waits" \
        test "$(row_fields "$key" | awk '{ print $3 }')" == 1
    kill -TERM "${pid[term]}"
    finish term
    ok "SIGTERM in that wait: exit 1, one clear line" \
        err_has "reader: shmid $id: no message: interrupted by SIGTERM"
    ok "... its exit detached it (nattch 0); the segment, not the reader's, stays" \
        test "$(row_fields "$key" | awk '{ print $3 }')" == 0
    ipcrm -M "$key"

    id=$(plant "$key" 0644 "$SIZE")
    run reader -t 2 "$keypath"
    ok "a segment at our key with mode 0644: refused, exit 1, one line" one_line 1 \
        "reader: shmid $id: its mode is 644, not 600: refusing it"
    ok "... before attaching it: nothing on stdout" test ! -s "$out"
    ipcrm -M "$key"
else
    skip "planted segments: no message, mode 0644" "perl is not installed"
fi

# ---- arguments (the full bad-input matrix comes from the args file) --------------------
usage_fails() {
    status_is 2 && [[ $(wc -l <"$err") -eq 2 ]] && err_has "$prog: $1" &&
        err_has "usage: $prog( .*)?" && test ! -s "$out"
}
for prog in writer reader last-detach; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" out_has "usage: $prog.*"
done
for prog in writer reader; do
    run "$prog" "$TEST_TMP" 256
    ok "$prog PROJ_ID 256: usage error" usage_fails "PROJ_ID '256' is out of range: expected 1 to 255"
    run "$prog" "$TEST_TMP/missing"
    ok "$prog with a missing KEYPATH: usage error" usage_fails "KEYPATH '.*missing' is not an existing file or directory"
    run "$prog" -t 0
    ok "$prog -t 0: usage error" usage_fails "SECONDS '0' is out of range: expected 1 to 3600"
done
prog=last-detach
run last-detach extra
ok "last-detach takes no argument: usage error" usage_fails "too many arguments, from 'extra'"
ok "nothing is left at the test's key" no_segment "$(ftok_key "$TEST_TMP" 65)"
