#!/usr/bin/env bash
# Lesson 05 test: IPC_STAT reports the record as the README says (size as asked,
# owner and creator, mode, cpid, lpid, nattch, times); IPC_RMID with the reader
# attached only marks the segment (key 0, mode 1600, ENOENT by key, still readable
# and writable, freed at the last detach); IPC_SET changes the mode and no one else
# may; attach-then-remove leaves nothing, even after kill -KILL; every wait is
# bounded and every way of stopping cleans up; bad arguments are refused; without
# its IPC_RMID the writer leaves the segment (nattch 0); IPC_SET takes 9 mode bits.
# SC2016: the eval'd checks and the perl code expand their own variables.
# shellcheck source=tests/lib.sh disable=SC2016
. "$TESTS_DIR/lib.sh"

keypath=$TEST_TMP
key=$(ftok_key "$keypath" 65)
uid=$(id -u)
gid=$(id -g)

is() { [[ "$1" == "$2" ]]; }
# LOW <= VALUE <= HIGH, all whole numbers.
between() { [[ "$1$2$3" =~ ^[0-9]+$ ]] && (( $1 <= $2 && $2 <= $3 )); }
gone() { [[ -z "$(segment_row_by_id "$1")" ]] && no_segment "$key"; }
# Word N of the /proc/sysvipc/shm row of shmid ID: 1 key, 3 perms, 7 nattch.
id_col() { segment_row_by_id "$1" | awk -v n="$2" '{ print $n }'; }
# ipcs -m shows SHM_DEST as the status "dest", not in perms: key 0, perms 600, 100 bytes, nattch 1.
ipcs_shows_dest() { ipcs -m | grep -Eq "^0x00000000 +$1 +[^ ]+ +600 +100 +1 +dest *\$"; }
status_and_err() { status_is "$1" && err_has "$2"; }
# Run COMMAND... as NAME in the background, its standard input a fifo that the test
# holds open on fd 3, so that a hold for Enter lasts until press_enter (or a signal).
start_held() {
    local name=$1; shift
    mkfifo "$TEST_TMP/$name.in"
    "$@" <"$TEST_TMP/$name.in" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" &
    pid["$name"]=$!
    exec 3>"$TEST_TMP/$name.in"
}
press_enter() { echo >&3; exec 3>&-; }
# Questions 2 and 4 are edits of a program: build a copy with the edit (a sed
# script), as a learner would make it; fail when the script changes nothing.
variant() {
    local name=$1 prog=$2 script=$3
    sed "$script" "$LESSON_DIR/$prog.c" >"$TEST_TMP/$name.c"
    ! cmp -s "$LESSON_DIR/$prog.c" "$TEST_TMP/$name.c" || return 1
    "${CC:-cc}" -std=c11 -I"$LESSON_DIR/../../common" -o "$TEST_TMP/$name" \
        "$TEST_TMP/$name.c" "$LESSON_DIR/../../common/course.c"
}

# ---- the pair, as make run does it ----------------------------------------------
t0=$(date +%s)
start --vg writer writer "$keypath" 65
wait_for_line "$TEST_TMP/writer.err" "writer: waiting up to 10 s for the reader to mark it SEEN"
start --vg reader reader "$keypath" 65
finish reader
r=$TEST_TMP/reader.out
ok "reader exits 0" status_is 0
finish writer
w=$TEST_TMP/writer.out
ok "writer exits 0" status_is 0
t1=$(date +%s)
shmid=$(field_of "$w" '^writer: created' 6)
ok "writer creates shmid $shmid at the ftok key $key" \
    has_line "$w" "writer: created and attached shmid $shmid for key $key"
ok "IPC_STAT: the key, size 268 as asked (not a page), mode 600, nattch 2" \
    has_line "$w" "writer: IPC_STAT: key $key, size 268, mode 600, nattch 2"
ok "IPC_STAT: owner and creator are me ($uid:$gid), cpid the writer, lpid the reader" \
    has_line "$w" "writer: owner $uid:$gid, creator $uid:$gid, cpid ${pid[writer]} \(me\), lpid ${pid[reader]} \(last shmat\)"
read -r atime dtime ctime < <(line_of "$w" '^writer: atime' | tr -d , | awk '{ print $3, $5, $7 }')
ok "IPC_STAT: atime is a time of this run ($t0 <= $atime <= $t1)" between "$t0" "$atime" "$t1"
ok "IPC_STAT: dtime 0, nobody has detached yet" is "$dtime" 0
ok "IPC_STAT: ctime is a time of this run" between "$t0" "$ctime" "$t1"
ok "writer marks the segment with IPC_RMID" has_line "$w" 'writer: IPC_RMID: marked for removal, not freed'
ok "... and writes into it after that" has_line "$w" 'writer: wrote "written after IPC_RMID", state READY'
ok "reader reads the first message, answers SEEN" \
    eval 'has_line "$r" "reader: read \"hello from the writer\"" && has_line "$r" "reader: answered SEEN"'
ok "reader, still attached, reads what was written after IPC_RMID" \
    has_line "$r" 'reader: read "written after IPC_RMID"'
ok "after IPC_RMID the record has key 0 and mode 1600 (SHM_DEST)" \
    has_line "$r" 'reader: IPC_STAT: key 0x00000000, mode 1600: SHM_DEST is set'
ok "... and shmget by the old key gives ENOENT" \
    has_line "$r" "reader: shmget\(key $key, 0, 0\): ENOENT"
ok "after both detached, the segment is gone" gone "$shmid"

# ---- Questions 2: writer.c without its IPC_RMID -----------------------------------
if variant writer-no-rmid writer '/if (shmctl(shmid, IPC_RMID, NULL) == -1) {/,/IPC_RMID: marked for removal/d'; then
    "$TEST_TMP/writer-no-rmid" "$keypath" 65 >"$TEST_TMP/no-rmid.out" 2>"$TEST_TMP/no-rmid.err" </dev/null &
    pid[no-rmid]=$!
    wait_for_line "$TEST_TMP/no-rmid.err" 'waiting up to 10 s for the reader to mark it SEEN'
    run reader "$keypath" 65
    ok "without IPC_RMID the reader sees the real key, mode 600, no SHM_DEST" \
        out_has "reader: IPC_STAT: key $key, mode 600: SHM_DEST is not set"
    ok "... and shmget by the key finds the segment" \
        out_has "reader: shmget\(key $key, 0, 0\) finds shmid [0-9]+"
    ok "Questions 2: the answer shows what the reader printed" answer_matches 2 "$out"
    finish no-rmid
    ok "... nobody removes it: both have gone, it stays with nattch 0" \
        is "$(segment_row "$key" | awk '{ print $7 }')" 0
    ipcrm -M "$key" 2>/dev/null
else
    ok "writer.c marks with if (shmctl(shmid, IPC_RMID, NULL) == -1) { (Questions 2 edits it)" false
fi

# ---- IPC_SET ---------------------------------------------------------------------
t0=$(date +%s)
run --vg ipc-set
t1=$(date +%s)
ok "ipc-set exits 0" status_is 0
ok "ipc-set: created with mode 600, owner me" out_has "ipc-set: created: mode 600, owner $uid:$gid, ctime [0-9]+"
ok "ipc-set: IPC_SET mode 0400: the record reads back 400, owner unchanged" \
    out_has "ipc-set: after IPC_SET: mode 400, owner $uid:$gid, ctime [0-9]+"
before=$(line_of "$out" '^ipc-set: created' | awk '{ print $NF }')
after=$(line_of "$out" '^ipc-set: after IPC_SET' | awk '{ print $NF }')
ok "IPC_SET stamps shm_ctime: $before -> $after (whole seconds)" \
    eval 'between "$t0" "$before" "$after" && between "$before" "$after" "$t1"'
id=$(field_of "$out" '^ipc-set: removed shmid' 4)
ok "ipc-set removes its segment" eval '[[ -n "$id" && -z "$(segment_row_by_id "$id")" ]]'
if variant ipc-set-01400 ipc-set 's/ds.shm_perm.mode = 0400;/ds.shm_perm.mode = 01400;/'; then
    "$TEST_TMP/ipc-set-01400" >"$out" 2>"$err" </dev/null
    status=$?
    ok "IPC_SET with mode 01400 reads back 400: only the low 9 bits are taken" \
        out_has "ipc-set: after IPC_SET: mode 400, owner $uid:$gid, ctime [0-9]+"
    ok "Questions 4: the answer shows what it printed" answer_matches 4 "$out"
else
    ok "ipc-set.c sets ds.shm_perm.mode = 0400; (Questions 4 edits it)" false
fi

# ---- attach, then mark for removal at once ---------------------------------------
run --vg attach-then-remove
ok "attach-then-remove exits 0" status_is 0
id=$(field_of "$out" '^attach-then-remove: shmid' 3 | tr -d ,)
ok "attach-then-remove: marked at once (mode 1600), attached once, still usable" \
    out_has "attach-then-remove: shmid $id, mode 1600, nattch 1: \"still usable\""
ok "... the last detach frees it: IPC_STAT on the id gives EINVAL" \
    out_has "attach-then-remove: detached; shmctl\($id, IPC_STAT\): EINVAL"

start_held held "$LESSON_DIR/attach-then-remove" -t 20
if wait_for_line "$TEST_TMP/held.err" 'attach-then-remove: waiting up to 20 s for Enter, or kill -KILL [0-9]+'; then
    id=$(field_of "$TEST_TMP/held.out" '^attach-then-remove: shmid' 3 | tr -d ,)
    ok "while it holds the marked segment: /proc/sysvipc/shm key 0, perms 1600, nattch 1" \
        is "$(id_col "$id" 1) $(id_col "$id" 3) $(id_col "$id" 7)" "0 1600 1"
    ok "... ipcs -m shows key 0x00000000, perms 600, nattch 1 and status dest" ipcs_shows_dest "$id"
    ok "... Linux still attaches a marked segment by id" perl -MIPC::SysV=SHM_RDONLY,shmat,shmdt \
        -e 'my $a = shmat($ARGV[0], undef, SHM_RDONLY) // die "$!\n"; shmdt($a)' "$id"
    kill -KILL "${pid[held]}"
    finish held
    ok "kill -KILL: no cleanup code ran (status 137)" status_is 137
    ok "... yet the segment is gone" is "$(segment_row_by_id "$id")" ""
else
    ok "attach-then-remove -t holds the segment" false
    finish held
fi
exec 3>&-

start_held held2 "$LESSON_DIR/attach-then-remove" -t 20
wait_for_line "$TEST_TMP/held2.err" 'attach-then-remove: waiting up to 20 s'
id=$(field_of "$TEST_TMP/held2.out" '^attach-then-remove: shmid' 3 | tr -d ,)
kill -TERM "${pid[held2]}"
finish held2
exec 3>&-
ok "SIGTERM while attach-then-remove holds: exit 1, says why" status_and_err 1 \
    'attach-then-remove: stopped: interrupted by SIGTERM'
ok "... and the segment is gone" is "$(segment_row_by_id "$id")" ""

start_held held3 "$LESSON_DIR/attach-then-remove" -t 20
wait_for_line "$TEST_TMP/held3.err" 'attach-then-remove: waiting up to 20 s'
press_enter
finish held3
ok "Enter ends the hold: exit 0, the id gives EINVAL" eval \
    'status_is 0 && out_has "attach-then-remove: detached; shmctl\([0-9]+, IPC_STAT\): EINVAL"'

# ---- the key is free at once: IPC_CREAT makes a fresh segment -------------------
# A segment at our key, attached and marked by perl, which holds it until Enter.
start_held marked perl -MIPC::SysV=IPC_CREAT,IPC_EXCL,IPC_RMID,shmat -e \
    '$| = 1; my $id = shmget(hex $ARGV[0], 268, IPC_CREAT | IPC_EXCL | 0600) // die "$!\n";
     shmat($id, undef, 0) // die "$!\n"; shmctl($id, IPC_RMID, 0) or die "$!\n";
     print "$id\n"; <STDIN>' "$key"
wait_for_line "$TEST_TMP/marked.out" '^[0-9]+$'
old=$(cat "$TEST_TMP/marked.out")
run writer -t 1 "$keypath" 65
new=$(field_of "$out" '^writer: created' 6)
ok "a marked segment ($old) leaves its key free: a new writer creates shmid $new" \
    eval '[[ -n "$new" && "$new" != "$old" ]]'
ok "... which times out without a reader (exit 1) and removes its segment" eval \
    'status_and_err 1 "writer: shmid $new: no answer: timed out after 1 s" && gone "$new"'
press_enter
finish marked
ok "... and the marked one goes with its last user" is "$(segment_row_by_id "$old")" ""

# ---- waiting, stopping, refusing ---------------------------------------------------
run reader -t 1 "$keypath" 65
ok "a reader with no writer gives up after -t 1: exit 1, says why" status_and_err 1 \
    "reader: no segment for key $key: timed out after 1 s"
ok "Questions 1: the answer shows what the reader printed" answer_matches 1 "$err"

start early reader -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/early.err" 'reader: waiting up to 20 s for the writer to create the segment'
start late writer "$keypath" 65
finish early
ok "a reader started first waits, then completes" eval \
    'status_is 0 && out_has "reader: read \"written after IPC_RMID\""'
finish late
ok "... and so does the writer, leaving nothing" eval 'status_is 0 && no_segment "$key"'

start lonely reader -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/lonely.err" 'reader: waiting up to 20 s'
kill -TERM "${pid[lonely]}"
finish lonely
ok "SIGTERM while the reader waits: exit 1, says why" status_and_err 1 \
    "reader: no segment for key $key: interrupted by SIGTERM"

if command -v perl >/dev/null; then
    squat=$(perl -MIPC::SysV=IPC_CREAT,IPC_EXCL -e \
        'print shmget(hex $ARGV[0], 268, IPC_CREAT | IPC_EXCL | 0644) // die "$!\n"' "$key")
    run reader -t 1 "$keypath" 65
    ipcrm -m "$squat"
    ok "a segment at the key with mode 644 is refused before attaching: exit 1, one line" \
        eval 'status_is 1 && err_is_one_line && [[ ! -s "$out" ]]'
    ok "... naming the mode" err_has "reader: shmid $squat: its mode is 644, not 600: refusing it"
else
    skip "a segment at the key with mode 644 is refused" "needs perl"
fi

start first writer -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/first.err" 'writer: waiting up to 20 s'
shmid=$(field_of "$TEST_TMP/first.out" '^writer: created' 6)
run writer "$keypath" 65
ok "a second writer at the same key: EEXIST and the hint, one line, exit 1" eval \
    'status_is 1 && err_is_one_line && err_has "writer: shmget\(key $key, 268, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); '\''ipcs -m'\'' shows it; '\''make clean-ipc'\'' removes what this course left"'

# Another user sees the segment but may not change or remove it (nor read the
# record: mode 0600). Only the real root can become the user nobody.
if really_root && command -v runuser >/dev/null && command -v perl >/dev/null; then
    runuser -u nobody -- ipcrm -m "$shmid" >"$TEST_TMP/eperm.out" 2>&1
    ok "another user's IPC_RMID (ipcrm -m) is refused" grep -q 'permission denied' "$TEST_TMP/eperm.out"
    ok "... and the segment is still there" is "$(id_col "$shmid" 2)" "$shmid"
    # IPC_SET reads the buffer first, then checks who asks: any buffer of the size
    # IPC_STAT returns shows the EPERM.
    size=$(perl -MIPC::SysV=IPC_STAT -e 'shmctl($ARGV[0], IPC_STAT, my $b) or die "$!\n"; print length $b' "$shmid")
    runuser -u nobody -- perl -MIPC::SysV=IPC_SET -e \
        'shmctl($ARGV[0], IPC_SET, "\0" x $ARGV[1]) or die "IPC_SET: $!\n"' "$shmid" "$size" \
        >"$TEST_TMP/eperm.out" 2>&1
    ok "another user's IPC_SET gives EPERM" grep -q 'IPC_SET: Operation not permitted' "$TEST_TMP/eperm.out"
    ok "... and the mode is still 600" is "$(id_col "$shmid" 3)" 600
    runuser -u nobody -- perl -MIPC::SysV=IPC_STAT -e \
        'shmctl($ARGV[0], IPC_STAT, my $b) or die "IPC_STAT: $!\n"' "$shmid" >"$TEST_TMP/eperm.out" 2>&1
    ok "another user's IPC_STAT gives EACCES" grep -q 'IPC_STAT: Permission denied' "$TEST_TMP/eperm.out"
else
    skip "another user's IPC_RMID and IPC_SET give EPERM" "needs the real root (runuser) and perl"
fi

kill -INT "${pid[first]}"
finish first
ok "Ctrl-C while the writer waits: exit 1, says why" status_and_err 1 \
    "writer: shmid $shmid: no answer: interrupted by SIGINT"
ok "... and the writer removes its segment" gone "$shmid"

# ---- arguments (the full bad-input matrix comes from the args file) --------------
# Exit 2, one line naming the problem, then the usage line.
usage_fails() {
    status_is 2 && [[ $(wc -l <"$err") -eq 2 ]] && grep -Eq "^$1" "$err" &&
        grep -Eq "^usage: $prog( |$)" "$err"
}
for prog in writer reader ipc-set attach-then-remove; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" eval 'status_is 0 && out_has "usage: $prog.*"'
    run "$prog" a b c
    ok "$prog with too many arguments: usage error" usage_fails "$prog: too many arguments"
done
for prog in writer reader; do
    run "$prog" "$TEST_TMP/missing" 65
    ok "$prog with a missing KEYPATH: usage error" usage_fails "$prog: KEYPATH '"
    run "$prog" "$keypath" 256
    ok "$prog PROJ_ID 256: usage error" usage_fails "$prog: PROJ_ID '256' is out of range"
done
prog=attach-then-remove
run "$prog" -t 0
ok "attach-then-remove -t 0: usage error" usage_fails "attach-then-remove: SECONDS '0' is out of range"
ok "nothing is left at the key" no_segment "$key"
