#!/usr/bin/env bash
# Lesson 05 test: IPC_STAT reports every field as the README says (size as asked,
# owner and creator, mode, cpid, lpid, nattch, times); IPC_SET changes the mode and
# stamps shm_ctime; IPC_RMID with the reader attached leaves the segment usable, with
# key 0 and perms 1600 (status dest), ENOENT by key, and EINVAL once the last user
# detaches; attach-then-remove leaves nothing even after kill -KILL; every way of
# stopping removes the segment; bad arguments are refused.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

keypath=$TEST_TMP
key=$(ftok_key "$keypath" 65)
uid=$(id -u)
gid=$(id -g)

no_segment_at_key() { no_segment "$key"; }
no_segment_with_id() { [[ -z "$(segment_row_by_id "$1")" ]]; }
# Word N of the row of shmid ID: 1 key, 3 perms, 7 nattch.
id_col() { segment_row_by_id "$1" | awk -v n="$2" '{ print $n }'; }
is() { [[ "$1" == "$2" ]]; }
# LOW <= VALUE <= HIGH, all whole numbers.
between() { [[ "$1$2$3" =~ ^[0-9]+$ ]] && (( $1 <= $2 && $2 <= $3 )); }
gone() { no_segment_with_id "$1" && no_segment_at_key; }
ipcs_shows_dest() { ipcs -m | grep -Eq "^0x00000000 +$1 .* dest *\$"; }
ipcs_shows_mode() { ipcs -m -i "$1" | grep -q "mode=$2"; }
status_and_err() { status_is "$1" && err_has "$2"; }

# Start PROG as NAME with standard input from a fifo that the test holds open on
# fd 3, so that the program's -w pause lasts until press_enter (or a signal).
start_held() {
    local name=$1 prog=$2; shift 2
    mkfifo "$TEST_TMP/$name.in"
    "$LESSON_DIR/$prog" "$@" <"$TEST_TMP/$name.in" >"$TEST_TMP/$name.out" \
        2>"$TEST_TMP/$name.err" &
    pid["$name"]=$!
    exec 3>"$TEST_TMP/$name.in"
}
press_enter() { echo >&3; exec 3>&-; }
let_go() { exec 3>&-; }

# ---- the pair, as make run does it --------------------------------------------------
t0=$(date +%s)
start --vg writer writer "$keypath" 65
wait_for_line "$TEST_TMP/writer.out" 'writer: waiting up to 10 s for the reader to attach'
start --vg reader reader "$keypath" 65
finish reader
r=$TEST_TMP/reader.out
ok "reader exits 0" status_is 0
finish writer
w=$TEST_TMP/writer.out
ok "writer exits 0" status_is 0
t1=$(date +%s)
shmid=$(field_of "$w" '^writer: created shmid' 4 | tr -d ,)
ok "writer creates a segment at the ftok key $key" \
    has_line "$w" "writer: created shmid $shmid, 1000 bytes, mode 0600"
ok "IPC_STAT: shm_perm.__key is the key" has_line "$w" "writer: shm_perm.__key $key"
ok "IPC_STAT: uid and gid are mine ($uid $gid)" \
    has_line "$w" "writer: shm_perm.uid $uid gid $gid .*"
ok "IPC_STAT: cuid and cgid are mine" has_line "$w" "writer: shm_perm.cuid $uid cgid $gid .*"
ok "IPC_STAT: mode 600" has_line "$w" 'writer: shm_perm.mode 600'
ok "IPC_STAT: shm_segsz 1000, the size asked" has_line "$w" 'writer: shm_segsz 1000 .*'
ok "IPC_STAT: shm_cpid is the writer's pid (${pid[writer]})" \
    has_line "$w" "writer: shm_cpid ${pid[writer]} .*"
ok "IPC_STAT: shm_lpid is the reader's pid (${pid[reader]}): the last shmat" \
    has_line "$w" "writer: shm_lpid ${pid[reader]} .*"
ok "IPC_STAT: shm_nattch 2" has_line "$w" 'writer: shm_nattch 2'
read -r atime dtime ctime < <(line_of "$w" '^writer: shm_atime' | awk '{ print $3, $5, $7 }')
ok "IPC_STAT: shm_atime is a time of this run ($t0 <= $atime <= $t1)" between "$t0" "$atime" "$t1"
ok "IPC_STAT: shm_dtime 0, nobody has detached yet" is "$dtime" 0
ok "IPC_STAT: shm_ctime is a time of this run" between "$t0" "$ctime" "$t1"
ok "IPC_SET mode 0400: IPC_STAT reads back 400" \
    has_line "$w" 'writer: IPC_SET mode 0400: shm_perm.mode now 400, shm_ctime [0-9]+ -> [0-9]+'
read -r before after < <(line_of "$w" 'IPC_SET mode 0400' | awk '{ print $(NF - 2), $NF }')
ok "IPC_SET: shm_ctime before it is the one IPC_STAT showed" is "$before" "$ctime"
ok "IPC_SET stamps shm_ctime: $before -> $after, not earlier" between "$before" "$after" "$t1"
ok "IPC_SET mode 0600 restores the mode" has_line "$w" 'writer: IPC_SET mode 0600: .*'
ok "IPC_RMID with the reader attached: marked" has_line "$w" 'writer: IPC_RMID with the reader attached: .*'
ok "reader: IPC_STAT after IPC_RMID shows key 0 and mode 1600 (SHM_DEST)" \
    has_line "$r" 'reader: shm_perm.__key 0x00000000, mode 1600: SHM_DEST is set'
ok "reader: /proc/sysvipc/shm shows key 0, perms 1600, both attached" \
    has_line "$r" "reader: /proc/sysvipc/shm: key 0 shmid $shmid perms 1600 size 1000 cpid ${pid[writer]} lpid ${pid[reader]} nattch 2 uid $uid"
ok "reader: shmget by the old key gives ENOENT" \
    has_line "$r" "reader: shmget\(key $key, 0, 0\) now gives ENOENT"
ok "reader: Linux still attaches by id" has_line "$r" "reader: shmat\($shmid\) by id works \(Linux only\)"
ok "reader reads what the writer wrote after IPC_RMID" \
    has_line "$r" 'reader: read "written after IPC_RMID"'
ok "writer reads the reply written into the removed segment" \
    has_line "$w" 'writer: the reader wrote into the removed segment: "the reader was here"'
ok "reader is the last one attached" has_line "$r" 'reader: shm_nattch 1: .*'
ok "after the last detach, IPC_STAT on the id gives EINVAL" \
    has_line "$r" "reader: detached; shmctl\($shmid, IPC_STAT\) gives EINVAL"
ok "no segment is left" gone "$shmid"

# ---- dest, seen from outside while the reader holds it (-w) -----------------------
start writer writer "$keypath" 65
wait_for_line "$TEST_TMP/writer.out" 'to attach'
start_held paused reader -w -t 20 "$keypath" 65
if wait_for_line "$TEST_TMP/paused.err" "reader: shmid [0-9]+ is 'dest' now: .*"; then
    shmid=$(field_of "$TEST_TMP/paused.out" '^reader: attached shmid' 4)
    ok "while the reader waits: /proc/sysvipc/shm key 0" is "$(id_col "$shmid" 1)" 0
    ok "... perms 1600" is "$(id_col "$shmid" 3)" 1600
    ok "... nattch 1 (the writer has detached)" is "$(id_col "$shmid" 7)" 1
    ok "... ipcs -m shows key 0x00000000 and status dest" ipcs_shows_dest "$shmid"
    ok "... ipcs -m -i shows mode 01600" ipcs_shows_mode "$shmid" 01600
    # The key is free again: a new writer creates a new segment at it.
    run writer -t 1 "$keypath" 65
    new_id=$(field_of "$out" '^writer: created shmid' 4 | tr -d ,)
    ok "... a new writer at the same key gets a new segment ($new_id)" \
        between 0 "$new_id" 2147483647
    ok "... not the dying one" test "$new_id" != "$shmid"
    ok "... with no reader, it gives up after -t 1: exit 1" status_and_err 1 \
        'writer: the reader did not attach: timed out after 1 s; start ./reader'
    ok "... and removes its segment" has_line "$out" 'writer: removed shmid [0-9]+'
    press_enter
else
    ok "the reader pauses at dest" false
    let_go
fi
finish paused
ok "Enter: the reader detaches last, exit 0" status_is 0
ok "... and the id is gone: EINVAL" \
    out_has "reader: detached; shmctl\($shmid, IPC_STAT\) gives EINVAL"
finish writer
ok "the writer of that pair exits 0" status_is 0
ok "nothing is left" gone "$shmid"

# Ctrl-C while the reader holds the dying segment: its detach frees it.
start writer writer "$keypath" 65
wait_for_line "$TEST_TMP/writer.out" 'to attach'
start_held paused2 reader -w -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/paused2.err" "is 'dest' now"
shmid=$(field_of "$TEST_TMP/paused2.out" '^reader: attached shmid' 4)
kill -INT "${pid[paused2]}"
finish paused2
let_go
ok "Ctrl-C while the reader pauses at dest: exit 1, says why" status_and_err 1 \
    'reader: stopped while paused: interrupted by SIGINT'
finish writer
ok "... and the segment is gone" gone "$shmid"

# ---- attach, then mark for removal at once ------------------------------------------
run --vg attach-then-remove
ok "attach-then-remove exits 0" status_is 0
shmid=$(field_of "$out" '^attach-then-remove: shmid' 3)
ok "attach-then-remove marks the segment right after attaching" \
    out_has "attach-then-remove: shmid $shmid created, attached, and marked for removal at once"
ok "... /proc/sysvipc/shm: key 0, perms 1600, nattch 1" \
    out_has "attach-then-remove: /proc/sysvipc/shm: key 0 shmid $shmid perms 1600 size 1000 cpid [0-9]+ lpid [0-9]+ nattch 1 uid $uid"
ok "... a forked child still uses it" \
    out_has 'attach-then-remove: the child wrote "written by a child" through its inherited attachment'
ok "... and after the detach the id gives EINVAL" \
    out_has "attach-then-remove: detached; shmctl\($shmid, IPC_STAT\) gives EINVAL"

start_held held attach-then-remove -w -t 20
if wait_for_line "$TEST_TMP/held.err" 'attach-then-remove: holding shmid [0-9]+: .*'; then
    shmid=$(field_of "$TEST_TMP/held.out" '^attach-then-remove: shmid' 3)
    ok "attach-then-remove -w holds the segment: perms 1600" is "$(id_col "$shmid" 3)" 1600
    ok "... nattch 1" is "$(id_col "$shmid" 7)" 1
    kill -KILL "${pid[held]}"
    finish held
    ok "kill -KILL: no cleanup code ran (status 137)" status_is 137
    ok "... yet the segment is gone" no_segment_with_id "$shmid"
else
    ok "attach-then-remove -w says it holds the segment" false
    finish held
fi
let_go

start_held held2 attach-then-remove -w -t 20
wait_for_line "$TEST_TMP/held2.err" 'attach-then-remove: holding shmid'
shmid=$(field_of "$TEST_TMP/held2.out" '^attach-then-remove: shmid' 3)
kill -TERM "${pid[held2]}"
finish held2
let_go
ok "SIGTERM while attach-then-remove holds the segment: exit 1, says why" status_and_err 1 \
    'attach-then-remove: stopped while paused: interrupted by SIGTERM'
ok "... and the segment is gone" no_segment_with_id "$shmid"

# ---- waiting and stopping ----------------------------------------------------------
run reader -t 1 "$keypath" 65
ok "a reader with no writer gives up after -t 1: exit 1" status_is 1
ok "... naming what it waited for" \
    err_has 'reader: gave up waiting for the writer to create the segment: timed out after 1 s'

# Someone else's segment at our key (here: ours, but mode 0644): the reader refuses it.
if command -v perl >/dev/null && command -v ipcrm >/dev/null; then
    # shellcheck disable=SC2016 # perl code: perl expands its own variables
    squat=$(perl -MIPC::SysV=IPC_CREAT,IPC_EXCL -e \
        'print shmget(hex $ARGV[0], 1000, IPC_CREAT | IPC_EXCL | 0644) // die "$!\n"' "$key")
    run reader -t 1 "$keypath" 65
    ipcrm -m "$squat"
    ok "a segment at the key with mode 644 is refused: exit 1, one line" \
        eval 'status_is 1 && err_is_one_line'
    ok "... naming the mode" err_has "reader: shmid $squat: its mode is 644, not 600: refusing it; .*"
    ok "... before attaching" eval '! out_has "reader: attached.*"'
else
    skip "a segment at the key with mode 644 is refused" "needs perl and ipcrm"
fi

start early reader -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/early.err" 'reader: waiting up to 20 s for the writer to create'
start late writer "$keypath" 65
finish early
ok "a reader started first waits, then completes" status_is 0
finish late
ok "... and so does the writer" status_is 0
ok "... leaving nothing" no_segment_at_key

start first writer -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/first.out" 'to attach'
run writer "$keypath" 65
ok "a second writer at the same key: exit 1, one line" eval 'status_is 1 && err_is_one_line'
ok "... naming EEXIST, the shmid that holds the key, and that its writer still runs" \
    err_has "writer: shmget\(key $key, 1000, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); shmid [0-9]+ \\(uid [0-9]+, nattch [0-9]+\\) has key $key, and its creator, pid [0-9]+, is still running: let it finish, or stop it, then try again"
shmid=$(field_of "$TEST_TMP/first.out" '^writer: created shmid' 4 | tr -d ,)

# Someone else may see the segment but not change or remove it: EPERM.
# Only a real root can become the user nobody (in a user namespace, uid 0 cannot).
if command -v runuser >/dev/null && command -v ipcrm >/dev/null && command -v perl >/dev/null &&
   runuser -u nobody -- true 2>/dev/null; then
    runuser -u nobody -- ipcrm -m "$shmid" >"$TEST_TMP/eperm.out" 2>&1
    ok "another user's IPC_RMID (ipcrm -m) is refused" grep -q 'permission denied' "$TEST_TMP/eperm.out"
    ok "... and the segment is still there" is "$(id_col "$shmid" 2)" "$shmid"
    # IPC_SET copies the buffer in first, then checks who asks: any buffer of the
    # right size shows the EPERM (the size is what IPC_STAT returns to the owner).
    # shellcheck disable=SC2016 # perl code: perl expands its own variables
    size=$(perl -MIPC::SysV=IPC_STAT -e 'shmctl($ARGV[0], IPC_STAT, my $b) or die "$!\n"; print length $b' "$shmid")
    # shellcheck disable=SC2016 # perl code: perl expands its own variables
    runuser -u nobody -- perl -MIPC::SysV=IPC_SET -e \
        'shmctl($ARGV[0], IPC_SET, "\0" x $ARGV[1]) or die "IPC_SET: $!\n"' "$shmid" "$size" \
        >"$TEST_TMP/eperm.out" 2>&1
    ok "another user's IPC_SET gives EPERM" grep -q 'IPC_SET: Operation not permitted' "$TEST_TMP/eperm.out"
    ok "... and the mode is still 600" is "$(id_col "$shmid" 3)" 600
    # shellcheck disable=SC2016 # perl code: perl expands its own variables
    runuser -u nobody -- perl -MIPC::SysV=IPC_STAT -e \
        'shmctl($ARGV[0], IPC_STAT, my $b) or die "IPC_STAT: $!\n"' "$shmid" >"$TEST_TMP/eperm.out" 2>&1
    ok "another user's IPC_STAT gives EACCES (mode 0600)" \
        grep -q 'IPC_STAT: Permission denied' "$TEST_TMP/eperm.out"
else
    skip "another user's IPC_RMID and IPC_SET give EPERM" \
        "needs to run a command as the user nobody (root, runuser), ipcrm and perl"
fi

kill -INT "${pid[first]}"
finish first
ok "Ctrl-C while the writer waits: exit 1, says why" status_and_err 1 \
    'writer: the reader did not attach: interrupted by SIGINT'
ok "... and the writer removes its segment" out_has "writer: removed shmid $shmid"
ok "... leaving nothing" gone "$shmid"

# ---- bad arguments --------------------------------------------------------------------
usage_fails() { status_is 2 && err_is_one_line && err_has "$prog: $1 .*\(usage: $prog .*\)"; }
call_fails() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
for prog in writer reader; do
    for bad in 0 256 -1 x '' 99999999999999999999 '65 ' 1e3; do
        run "$prog" "$keypath" "$bad"
        ok "$prog PROJ_ID '$bad': usage error, exit 2, one line" usage_fails PROJ_ID
    done
    run "$prog" ''
    ok "$prog KEYPATH '': usage error" usage_fails KEYPATH
    run "$prog" "$TEST_TMP/missing" 65
    ok "$prog with a missing KEYPATH: exit 1, ENOENT" call_fails 'ftok\(.*missing.*\): ENOENT .*'
    run "$prog" a b c
    ok "$prog with too many arguments: usage error" usage_fails 'too many arguments'
done
for prog in writer reader attach-then-remove; do
    for bad in 0 3601 -1 x '' 1x; do
        run "$prog" -t "$bad"
        ok "$prog -t '$bad': usage error, exit 2, one line" usage_fails SECONDS
    done
    run "$prog" -t
    ok "$prog -t without a value: usage error" usage_fails 'option -t needs a value'
    run "$prog" -x
    ok "$prog -x: usage error" usage_fails 'unknown option -x'
done
prog=writer
run writer -w
ok "writer has no -w: usage error" usage_fails 'unknown option -w'
prog=attach-then-remove
run attach-then-remove extra
ok "attach-then-remove takes no arguments: usage error" usage_fails 'too many arguments'
ok "nothing is left at the key" no_segment_at_key
