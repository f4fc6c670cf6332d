#!/usr/bin/env bash
# Lesson 04 test: shm_nattch goes 1, 2, 1, 0 as the writer and the reader attach
# and detach, and a forked child's exit is the last detach (lpid); after shmdt the
# old address is a SIGSEGV and a second shmdt is EINVAL; the segment and its
# message survive until IPC_RMID (unless shm_rmid_forced is 1: the writer says
# so); and a missing partner, Ctrl-C or SIGTERM never leave a segment behind.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

keypath=$TEST_TMP
key_for() { ftok_key "$keypath" "$1"; }
key=$(key_for 65)
uid=$(id -u)
text='this message outlives every attachment'

no_segment_id() { [[ -z "$(segment_row_by_id "$1")" ]]; }
# The Nth "shm_nattch X" that FILE reports.
nattch_in() { grep -o 'shm_nattch [0-9]*' "$1" | sed -n "$2{s/shm_nattch //p}"; }

# ---- the pair, as make run does it: the reader starts when the writer waits -------
start --vg writer writer "$keypath" 65
wait_for_line "$TEST_TMP/writer.out" '^writer: waiting for the reader'
start --vg reader reader "$keypath" 65
finish reader
r=$out
ok "reader exits 0" status_is 0
finish writer
w=$out
ok "writer exits 0" status_is 0
shmid=$(field_of "$w" '^writer: created shmid' 4 | tr -d ,)
ok "both derive the key $key" has_line "$r" "reader: key $key from ftok\(\"$keypath\", 65\)"
ok "reader finds the writer's shmid ($shmid) and checks it" \
    has_line "$r" "reader: found shmid $shmid: mine, mode 600"

ok "writer attaches: shm_nattch 1" has_line "$w" 'writer: attached at 0x[0-9a-f]+: shm_nattch 1'
ok "reader attaches while the writer is attached: shm_nattch 2" \
    has_line "$r" 'reader: attached at 0x[0-9a-f]+: shm_nattch 2'
ok "reader detaches: shm_nattch 1" \
    has_line "$w" 'writer: the reader has copied it and detached: shm_nattch 1'
ok "writer detaches: shm_nattch 0" has_line "$w" 'writer: shmdt\(0x[0-9a-f]+\): shm_nattch 0'
sequence="$(nattch_in "$w" 1) $(nattch_in "$r" 1) $(nattch_in "$w" 2) $(nattch_in "$w" 3)"
ok "shm_nattch goes 1 2 1 0 (saw: $sequence)" [ "$sequence" = "1 2 1 0" ]

ok "/proc/sysvipc/shm at nattch 2: lpid is the reader's pid, cpid the writer's" \
    has_line "$r" "reader: /proc/sysvipc/shm: key $((key)) shmid $shmid perms 600 size 4096 cpid ${pid[writer]} lpid ${pid[reader]} nattch 2 uid $uid"
ok "/proc/sysvipc/shm at nattch 0: lpid is the writer's again, the row is still there" \
    has_line "$w" "writer: /proc/sysvipc/shm: key $((key)) shmid $shmid perms 600 size 4096 cpid ${pid[writer]} lpid ${pid[writer]} nattch 0 uid $uid"
ok "attached, the segment is a rw-s /SYSV mapping in the reader's maps" \
    has_line "$r" "reader: /proc/self/maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ $shmid +/SYSV${key#0x} \(deleted\)"
ok "detached, no mapping holds the address any more" \
    has_line "$r" 'reader: /proc/self/maps: \(no mapping holds 0x[0-9a-f]+\)'
ok "the reader saw the writer's message" has_line "$r" "reader: message 1: \"$text\""

ok "a load from the old address after shmdt is a SIGSEGV" \
    has_line "$r" 'reader: a load from 0x[0-9a-f]+ after shmdt killed the child with SIGSEGV'
ok "a second shmdt of the same address is EINVAL" \
    has_line "$r" 'reader: shmdt\(0x[0-9a-f]+\) again gives EINVAL: nothing is attached there'
ok "after everyone detached, attaching again works: shm_nattch 1" \
    has_line "$w" 'writer: attached again at 0x[0-9a-f]+: shm_nattch 1'
ok "... and the message is intact, with the reader's SEEN" \
    has_line "$w" "writer: message 1, state SEEN: \"$text\" \(intact\)"
ok "fork copies the attachment: the child sees shm_nattch 2" \
    has_line "$w" 'writer: a child \(pid [0-9]+\) forked now sees shm_nattch 2: fork copied the attachment'
child=$(field_of "$w" '^writer: a child \(pid' 5 | tr -d ')')
ok "exit detaches: when the child has gone, shm_nattch is 1 again" \
    has_line "$w" 'writer: the child has exited: shm_nattch 1'
ok "... and lpid is the child's pid (${child:-none}): its exit was the last detach" \
    has_line "$w" "writer: /proc/sysvipc/shm: key $((key)) shmid $shmid perms 600 size 4096 cpid ${pid[writer]} lpid ${child:-none} nattch 1 uid $uid"
ok "shmdt of an address inside the attachment (addr + 1) is EINVAL" \
    has_line "$w" 'writer: shmdt\(0x[0-9a-f]+ \+ 1\) gives EINVAL: not the start of an attachment'
ok "IPC_RMID removes it: no row in /proc/sysvipc/shm" \
    has_line "$w" "writer: /proc/sysvipc/shm: \(no row for shmid $shmid\)"
ok "... and /proc/sysvipc/shm agrees" no_segment_id "$shmid"

# ---- a reader started first waits for the writer ----------------------------------
start early reader -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/early.err" '^reader: waiting up to 20 s for the writer to create the segment$'
start late writer "$keypath" 65
finish early
ok "a reader started first waits, then finds the segment" status_is 0
finish late
ok "... and the pair completes" status_is 0
ok "... leaving nothing at the key" no_segment "$key"

# ---- a missing partner: both sides give up after -t 1 (all at the same time) -------
# Segments made by hand (perl's shmget), as another program could have left them:
# an empty one of ours, and one with mode 0644 at our key.
make_segment() { perl -e 'print shmget($ARGV[0], 4096, 01000 | 02000 | oct $ARGV[1])' "$(($1))" "$2"; }
have_perl=0
command -v perl >/dev/null && have_perl=1
if (( have_perl )); then
    empty_id=$(make_segment "$(key_for 72)" 0600)
    start empty_reader reader -t 1 "$keypath" 72
fi
start --vg lonely_writer writer -t 1 "$keypath" 70
start lonely_reader reader -t 1 "$keypath" 71
finish lonely_writer
ok "a writer with no reader gives up after -t 1: exit 1" status_is 1
ok "... saying what it waited for, in one line" err_has \
    'writer: no reader has copied the message and detached: timed out after 1 s; start \./reader'
ok "... and removes its segment" no_segment "$(key_for 70)"
finish lonely_reader
ok "a reader with no writer gives up after -t 1: exit 1" status_is 1
ok "... naming the key, the timeout and what to do" err_has \
    "reader: no segment for key $(key_for 71): timed out after 1 s; start \./writer first"
ok "... and creates nothing" no_segment "$(key_for 71)"
if (( have_perl )); then
    finish empty_reader
    ok "a reader finding a segment with no message gives up after -t 1: exit 1" status_is 1
    ok "... in one line" err_has "reader: no message in shmid $empty_id: timed out after 1 s"
    ipcrm -m "$empty_id"
    squat_id=$(make_segment "$(key_for 73)" 0644)
    run reader -t 1 "$keypath" 73
    ipcrm -m "$squat_id"
    ok "a segment at our key with mode 644 is refused: exit 1" status_is 1
    ok "... in one line, with what to do" err_has \
        "reader: shmid $squat_id: its mode is 644, not 600: refusing it; remove it \(ipcrm -m $squat_id\) or run 'make clean-ipc'"
else
    skip "a segment with no message, or mode 644, is refused" "perl is not installed"
fi

# ---- stopped while waiting for the reader: the writer still removes it --------------
for sig in INT TERM; do
    start waiting writer -t 30 "$keypath" 65
    wait_for_line "$TEST_TMP/waiting.err" '^writer: waiting up to 30 s for \./reader in another terminal$'
    if [[ $sig == TERM ]]; then
        start second writer "$keypath" 65
        finish second
        ok "a second writer on the same key exits 1" status_is 1
        ok "... with one line naming EEXIST, the shmid that holds the key, and that its writer still runs" \
            err_has "writer: shmget\(key $key, 4096, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); shmid [0-9]+ \\(uid [0-9]+, nattch [0-9]+\\) has key $key, and its creator, pid [0-9]+, is still running: let it finish, or stop it, then try again"
    fi
    kill -"$sig" "${pid[waiting]}"
    finish waiting
    ok "SIG$sig while the writer waits: exit 1" status_is 1
    ok "... saying it was interrupted" err_has \
        "writer: no reader has copied the message and detached: interrupted by SIG$sig; start \./reader"
    ok "... and the segment is gone" no_segment "$key"
done

# ---- shm_rmid_forced 1: the kernel frees a segment at nattch 0 ---------------------
# Set only in an IPC namespace of the pair's own: the setting belongs to it.
ns=()
if unshare --ipc true 2>/dev/null; then
    ns=(unshare --ipc)
elif unshare --user --map-root-user --ipc true 2>/dev/null; then
    ns=(unshare --user --map-root-user --ipc)
fi
if (( ${#ns[@]} )); then
    # shellcheck disable=SC2016 # expanded by the inner bash
    "${ns[@]}" bash -c 'echo 1 >/proc/sys/kernel/shm_rmid_forced || exit 3
        "$1/reader" -t 10 "$2" 65 >/dev/null 2>&1 &
        "$1/writer" -t 10 "$2" 65; s=$?; wait; exit "$s"' \
        forced "$LESSON_DIR" "$keypath" >"$TEST_TMP/forced.out" 2>"$TEST_TMP/forced.err"
    status=$? out=$TEST_TMP/forced.out err=$TEST_TMP/forced.err
fi
if (( ${#ns[@]} )) && ! status_is 3; then
    ok "with shm_rmid_forced 1 (in an IPC namespace of its own) the last shmdt frees the segment: exit 1" \
        status_is 1
    ok "... and the writer says so, and why, and stops" err_has \
        'writer: shmctl\([0-9]+, IPC_STAT\) after shmdt: EINVAL \(Invalid argument\); the kernel freed the segment at nattch 0: /proc/sys/kernel/shm_rmid_forced is 1 here'
else
    skip "with shm_rmid_forced 1 the writer says the segment was freed" \
        "no IPC namespace of our own to set it in"
fi

# ---- bad arguments --------------------------------------------------------------------
usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1 .*\(usage: $prog .*\)"; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
for prog in writer reader; do
    for bad in 0 256 -1 x '' 99999999999999999999 '65 ' 1e3; do
        run "$prog" "$keypath" "$bad"
        ok "$prog PROJ_ID '$bad': usage error, exit 2, one line" usage_fails PROJ_ID
    done
    for bad in 0 3601 x ''; do
        run "$prog" -t "$bad"
        ok "$prog -t '$bad': usage error" usage_fails SECONDS
    done
    run "$prog" ''
    ok "$prog with an empty KEYPATH: usage error" usage_fails KEYPATH
    run "$prog" "$TEST_TMP/missing" 65
    ok "$prog with a missing KEYPATH: exit 1, ENOENT" call_fails 'ftok\(.*missing.*\): ENOENT .*'
    run "$prog" -x
    ok "$prog -x: usage error" usage_fails 'unknown option -x'
    run "$prog" -t
    ok "$prog -t without a value: usage error" usage_fails 'option -t needs a value'
    run "$prog" "$keypath" 65 extra
    ok "$prog with too many arguments: usage error" usage_fails 'too many arguments'
done
ok "nothing is left at the key" no_segment "$key"
