#!/usr/bin/env bash
# Lesson 02 test: the writer creates a segment at the ftok key with IPC_EXCL and
# mode 0600, the reader finds the same shmid and checks it, the errors are the ones
# the README names (ENOSPC and EINVAL from the limits in a fresh IPC namespace), the
# reader's SIGURG spares a process that has a dead writer's pid, and every way of
# stopping removes the segment.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

keypath=$TEST_TMP
key=$(ftok_key "$keypath" 65)
next_key=$(ftok_key "$keypath" 66)

# ---- the pair, as make run does it ----------------------------------------------
start --vg writer writer "$keypath" 65
run --vg reader "$keypath" 65
r=$TEST_TMP/reader.txt
cp "$out" "$r"
finish writer
w=$TEST_TMP/writer.out
ok "writer exits 0" status_is 0
ok "writer's key is (65 << 24 | (st_dev & 0xff) << 16 | (st_ino & 0xffff)) = $key" \
    has_line "$w" "writer: key $key from ftok\(\"$keypath\", 65\)"
ok "reader derives the same key" has_line "$r" "reader: key $key from ftok\(\"$keypath\", 65\)"
shmid=$(field_of "$w" '^writer: created shmid' 4 | tr -d ,)
ok "reader finds the writer's shmid ($shmid)" has_line "$r" "reader: found shmid $shmid"
ok "shm_segsz is the size asked (100), not a page" has_line "$w" 'writer: shm_segsz is 100: .*'
ok "/proc/sysvipc/shm: key in decimal, perms 600, size 100, nattch 0, our uid" \
    has_line "$w" "writer: /proc/sysvipc/shm: key $((key)) shmid $shmid perms 600 size 100 cpid [0-9]+ lpid 0 nattch 0 uid $(id -u)"
ok "size 0 gives EINVAL" has_line "$w" 'writer: creating a segment of size 0 gives EINVAL'
ok "reader checks owner and mode" has_line "$r" 'reader: owner is me, mode 600, 100 bytes: .*'
ok "a size larger than the segment gives EINVAL" has_line "$r" 'reader: asking for 101 bytes, .* gives EINVAL'
ok "a second IPC_CREAT|IPC_EXCL gives EEXIST" has_line "$r" 'reader: creating it again with IPC_EXCL gives EEXIST'
ok "a key with no segment gives ENOENT" has_line "$r" "reader: key $next_key .* has no segment: ENOENT"
ok "the writer removed the segment" has_line "$w" "writer: removed shmid $shmid"
ok "no segment is left at the key" no_segment "$key"

# ---- a leftover segment: EEXIST with the fix ------------------------------------
start first writer -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/first.out" 'waiting for the reader'
run writer "$keypath" 65
ok "a second writer exits 1" status_is 1
ok "... with one line naming EEXIST, the shmid that holds the key, and that its writer still runs" \
    err_has "writer: shmget\(key $key, 100, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); shmid [0-9]+ \\(uid [0-9]+, nattch [0-9]+\\) has key $key, and its creator, pid [0-9]+, is still running: let it finish, or stop it, then try again"
run reader "$keypath" 65 200
ok "a reader asking for more than exists fails with EINVAL" \
    err_has "reader: shmget\(key $key, 200, 0\): EINVAL .*"
kill -TERM "${pid[first]}"
finish first
ok "SIGTERM while the writer waits: exit 1" status_is 1
ok "... and the writer removes the segment" no_segment "$key"

start first writer -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/first.out" 'waiting for the reader'
kill -KILL "${pid[first]}"
finish first
left=$(field_of "$TEST_TMP/first.out" '^writer: created shmid' 4 | tr -d ,)
run writer "$keypath" 65
ok "after kill -KILL the segment is left; the next writer names it and the fix" \
    err_has "writer: shmget\(key $key, .*EEXIST \(File exists\); shmid $left \(uid [0-9]+, nattch 0\) already has key $key, left by an earlier run: 'make clean-ipc' removes this course's leftovers, or: ipcrm -m $left"
ipcrm -m "$left"

start first writer -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/first.out" 'waiting for the reader'
kill -INT "${pid[first]}"
finish first
ok "Ctrl-C while the writer waits: exit 1" status_is 1
ok "... saying so in one line" err_has 'writer: no word from the reader: interrupted by SIGINT'
ok "... and the segment is gone" no_segment "$key"

# ---- waiting, both ways ------------------------------------------------------------
run writer -t 1 "$keypath" 65
ok "a writer with no reader gives up after -t 1: exit 1" status_is 1
ok "... says so in one line" err_has 'writer: no word from the reader: timed out after 1 s'
ok "... and removes its segment" no_segment "$key"

run reader -t 1 "$keypath" 65
ok "a reader with no writer gives up: exit 1" status_is 1
ok "... naming the key, the timeout and what to do" \
    err_has "reader: no segment for key $key: timed out after 1 s; run ./writer first"

start early reader -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/early.err" 'reader: waiting up to 20 s for the writer'
start late writer "$keypath" 65
finish early
ok "a reader started first waits, then finds the segment" status_is 0
ok "... having said once, on stderr, what it waits for" \
    has_line "$err" 'reader: waiting up to 20 s for the writer to create the segment'
finish late
ok "... and the pair completes" status_is 0
ok "... leaving nothing" no_segment "$key"

# ---- a segment that is not ours is refused ------------------------------------------
# Ours but mode 0666, as in Break it: planted with perl's shmget (no shell tool can
# create a segment at a given key).
if command -v perl >/dev/null; then
    # shellcheck disable=SC2016 # $id and @ARGV are perl's
    id=$(perl -e 'my $id = shmget(hex($ARGV[0]), 100, 01000 | 02000 | 0666);
                  defined $id or die "shmget: $!\n"; print "$id\n"' "$key")
    run reader -t 1 "$keypath" 65
    ok "a segment at our key with mode 0666 is refused: exit 1" status_is 1
    ok "... in one line naming the mode and what to do" \
        err_has "reader: shmid $id: its mode is 666, not 600: refusing it; remove it \(ipcrm -m $id\) or run 'make clean-ipc'"
    [[ -n "$id" ]] && ipcrm -m "$id"
else
    skip "a segment at our key with mode 0666 is refused" "perl is not installed"
fi
if really_root && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null &&
   runuser -u nobody -- test -x "$LESSON_DIR/writer"; then
    # A key path the user nobody can reach: a directory of its own outside TEST_TMP.
    shared=$(mktemp -d "${TMPDIR:-/tmp}/shmget-squat.XXXXXX")
    chmod 0755 "$shared"
    runuser -u nobody -- "$LESSON_DIR/writer" -t 20 "$shared" 65 >"$TEST_TMP/squat.out" 2>&1 &
    squatter=$!
    if wait_for_line "$TEST_TMP/squat.out" 'waiting for the reader' 10; then
        run reader -t 1 "$shared" 65
        ok "a segment at our key owned by another user is refused: exit 1" status_is 1
        ok "... in one line naming the owner" \
            err_has "reader: shmid [0-9]+: it belongs to uid $(id -u nobody), not to you \(uid 0\): refusing it; .*"
    else
        ok "the user nobody can create a segment" false
    fi
    kill -TERM "$squatter"
    wait "$squatter"
    rmdir "$shared"
else
    skip "a segment owned by another user is refused" "needs root, and a user nobody who can run the writer"
fi

# A leftover segment whose shm_cpid is now another process of ours (perl creates it,
# then becomes sleep: same pid). The reader's "done" must not kill that process.
if command -v perl >/dev/null; then
    # shellcheck disable=SC2016 # $id, $| and @ARGV are perl's
    perl -e '$| = 1; my $id = shmget(hex($ARGV[0]), 100, 01000 | 02000 | 0600);
             defined $id or die "shmget: $!\n"; print "$id\n"; exec "sleep", "30"' \
        "$key" >"$TEST_TMP/other.out" &
    other=$!
    wait_for_line "$TEST_TMP/other.out" '^[0-9]+$' 10
    run reader -t 1 "$keypath" 65
    ok "a leftover segment whose creator's pid is another process now: the reader signals it" \
        status_is 0
    ok "... with SIGURG, which that process ignores: it is still running" kill -0 "$other"
    kill -TERM "$other"
    wait "$other"
    ipcrm -m "$(head -n 1 "$TEST_TMP/other.out")"
else
    skip "the reader's signal to a stale shm_cpid harms nobody" "perl is not installed"
fi

usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1 .*\(usage: $prog .*\)"; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }

# ---- limits: a fresh IPC namespace with shmmni 0, then shmmax 99 ------------------------
if unshare --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --ipc)
elif unshare --user --map-root-user --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --user --map-root-user --ipc)
else
    fresh_ipc=()
fi
prog=writer
if (( ${#fresh_ipc[@]} )); then
    for limit in shmmni=0 shmmax=99; do
        # shellcheck disable=SC2016 # $1 and "$@" belong to the inner shell
        "${fresh_ipc[@]}" bash -c 'echo "${1#*=}" >"/proc/sys/kernel/${1%=*}" && shift && exec "$@"' \
            _ "$limit" "$LESSON_DIR/writer" -t 1 "$keypath" 65 >"$out" 2>"$err" </dev/null
        status=$?
        [[ $limit == shmmni=0 ]] && errno=ENOSPC || errno=EINVAL
        ok "$limit: creating 100 bytes gives $errno, exit 1, one line" \
            call_fails "shmget\(key $key, 100, IPC_CREAT\|IPC_EXCL\|0600\): $errno .*"
    done
else
    skip "shmmni used up gives ENOSPC, a size above shmmax EINVAL" "no IPC namespace can be made here"
fi

# ---- bad arguments --------------------------------------------------------------------
for prog in writer reader; do
    for bad in 0 256 -1 x '' 99999999999999999999 '65 ' 1e3; do
        run "$prog" "$keypath" "$bad"
        ok "$prog PROJ_ID '$bad': usage error, exit 2, one line" \
            usage_fails PROJ_ID
    done
    run "$prog" "$TEST_TMP/missing" 65
    ok "$prog with a missing KEYPATH: exit 1, ENOENT" \
        call_fails 'ftok\(.*missing.*\): ENOENT .*'
    run "$prog" -t 0
    ok "$prog -t 0: usage error" usage_fails SECONDS
    run "$prog" -t
    ok "$prog -t without a value: usage error" usage_fails 'option -t needs a value'
    run "$prog" -x "$keypath"
    ok "$prog -x: usage error" usage_fails 'unknown option -x'
    run "$prog" a b c d
    ok "$prog with too many arguments: usage error" usage_fails 'too many arguments'
done
run writer "$keypath" 65 0
prog=writer
ok "writer SIZE 0: usage error" usage_fails SIZE
ok "nothing is left at the key" no_segment "$key"
