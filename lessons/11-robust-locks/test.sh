#!/usr/bin/env bash
# Lesson 11 test: without a lock a four-word record is read torn (torn > 0); with
# the process-shared mutex and condition variable, 1000 records pass from writer to
# reader one by one, none torn; the writer sleeps in the kernel while it waits (state
# S, a shared futex in strace, under 20 ms of CPU over 0.6 s); both give up at -t and
# on Ctrl-C within a turn of 100 ms; the writer removes its segment on every way out,
# the reader waits for the segment and for READY and refuses one that is not ours.
# robust: EOWNERDEAD after a SIGKILL, repaired with pthread_mutex_consistent; without
# it, ENOTRECOVERABLE. The README's Questions: a signal does not end a long
# pthread_cond_timedwait; no repair leaves the record torn; a mutex that is not
# robust hangs the next locker for good. Nothing is left behind.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

SIZE=136                        # sizeof(struct shared) on x86-64 with glibc
keys=()                         # every key a case may leave behind when it fails
cleanup() { local k; for k in "${keys[@]}"; do ipcrm -M "$k" 2>/dev/null; done; return 0; }
trap cleanup EXIT

# A fresh key path for each case, so a failed case cannot spoil the next one.
new_key() { keypath=$TEST_TMP/$1; mkdir "$keypath"; key=$(ftok_key "$keypath" 65); keys+=("$key"); }
has_segment() { ! no_segment "$1"; }
out_lacks() { ! grep -Eq -- "$1" "$out"; }
# The writer's CPU time while it waited for the reader, from its line, in ms.
cpu_ms() { sed -nE 's/^writer: asleep until the reader saw record 1, using ([0-9.]+) ms of CPU$/\1/p' "$1"; }
under_ms() { awk -v v="$1" -v max="$2" 'BEGIN { exit !(v != "" && v + 0 < max) }'; }
# A process asleep in the kernel: state S in /proc/PID/stat (after "(comm) ").
state_of() { sed -E 's/.*\) ([A-Z]) .*/\1/' "/proc/$1/stat" 2>/dev/null; }
# Wait (5 s at most) until process PID is asleep: after its notice, in its cond wait.
wait_asleep() {
    local tries=0
    until [[ "$(state_of "$1")" == S ]]; do (( tries++ < 500 )) || return 1; sleep 0.01; done
}
all_read='reader: 1000 records read under the lock, 0 torn; the last: 1000'
all_written='writer: 1000 records written under the lock, each seen by the reader'
# Milliseconds since START (date +%s%N).
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# Programs that wait start first, so that their waits overlap the cases below: torn and
# robust (under valgrind); a writer that waits for a reader that comes later (its CPU
# time); a writer that gives up at -t 1.
start --vg torn torn
start --vg robust robust
new_key asleep
asleep_key=$key asleep_path=$keypath
start asleep writer -t 10 "$asleep_path"
asleep_since=$(date +%s%N)
new_key alone
alone_key=$key
trace=()
command -v strace >/dev/null && trace=(strace -o "$TEST_TMP/futex.txt" -e trace=futex)
# (LeakSanitizer cannot work under ptrace: off for this run of a sanitizer build.)
ASAN_OPTIONS=detect_leaks=0 "${trace[@]}" "$LESSON_DIR/writer" -t 1 "$keypath" \
    >"$TEST_TMP/alone.out" 2>"$TEST_TMP/alone.err" </dev/null &
alone=$!

wait_for_line "$TEST_TMP/asleep.err" '^writer: waiting up to 10 s for the reader$' 20
ok "the waiting writer is asleep in the kernel (state S in /proc/PID/stat)" \
    wait_asleep "${pid[asleep]}"

# ---- the pair as the README shows it, both under valgrind ----------------------------
new_key pair
start --vg writer writer "$keypath"
wait_for_line "$TEST_TMP/writer.err" '^writer: waiting up to 10 s for the reader$' 20
run --vg reader "$keypath"
r=$TEST_TMP/reader.txt
cp "$out" "$r"
ok "reader exits 0" status_is 0
ok "... nothing on stderr (the writer was there: no wait to announce)" test ! -s "$err"
finish writer
w=$TEST_TMP/writer.txt
cp "$out" "$w"
ok "writer exits 0" status_is 0
ok "... on stderr only what the README says: its notice" \
    test "$(cat "$err")" == "writer: waiting up to 10 s for the reader"
shmid=$(field_of "$w" '^writer: created shmid' 4)
ok "writer creates shmid $shmid for the ftok key ($key), $SIZE bytes, mode 0600" \
    has_line "$w" "writer: created shmid $shmid for key $key, $SIZE bytes, mode 0600, with the lock in it"
ok "reader finds it, checks it is ours, attaches once the lock is set up" \
    has_line "$r" "reader: shmid $shmid is mine \(mode 600, $SIZE bytes\), its lock set up: attached"
ok "under the lock: every one of the 1000 records read, in turn, none torn" has_line "$r" "$all_read"
ok "... and each one seen before the writer wrote the next" has_line "$w" "$all_written"
ok "the writer removed the segment" no_segment "$key"

# ---- asleep in the kernel: no CPU while it waits --------------------------------------
while (( $(ms_since "$asleep_since") < 600 )); do sleep 0.05; done
waited=$(ms_since "$asleep_since")
run reader "$asleep_path"
ok "a reader comes to the first writer ${waited} ms later: all 1000 records, none torn" \
    out_has "$all_read"
finish asleep
ok "the writer that waited exits 0" status_is 0
ms=$(cpu_ms "$out")
ok "... and used ${ms:-?} ms of CPU while it waited ${waited} ms: under 20 ms" under_ms "${ms:-}" 20
ok "... and removed the segment" no_segment "$asleep_key"

# ---- giving up: at -t (started above), and on Ctrl-C within a turn of 100 ms ----------
wait "$alone"
status=$? out=$TEST_TMP/alone.out err=$TEST_TMP/alone.err
ok "no reader: the writer gives up after -t 1, exit 1" status_is 1
shmid=$(field_of "$out" '^writer: created shmid' 4)
ok "... the notice, then one line naming the segment and the timeout" \
    test "$(cat "$err")" == "writer: waiting up to 1 s for the reader
writer: shmid $shmid: record 1 not seen: timed out after 1 s"
ok "... and its segment is removed" no_segment "$alone_key"
if (( ${#trace[@]} )); then
    waits=$(grep -c 'FUTEX_WAIT_BITSET, 0, {tv_sec=.*= -1 ETIMEDOUT' "$TEST_TMP/futex.txt")
    ok "strace: it slept on a shared futex in turns (FUTEX_WAIT_BITSET, no _PRIVATE: $waits in 1 s)" \
        test "$waits" -ge 8 -a "$waits" -le 12 -a "$(grep -c PRIVATE "$TEST_TMP/futex.txt")" -eq 0
else
    skip "strace shows the waits on a shared futex" "strace is not installed"
fi

# ---- the reader first: it waits for the segment, then the writer comes -----------------
new_key early
start early reader -t 20 "$keypath"
ok "a reader started first says on stderr what it waits for" \
    wait_for_line "$TEST_TMP/early.err" '^reader: waiting up to 20 s for the writer to create the segment$' 20
run writer "$keypath"
ok "the writer comes: all records seen, exit 0" out_has "$all_written"
finish early
ok "the reader that waited reads them all" out_has "$all_read"
ok "... having said it waits only once" test "$(grep -c 'waiting up to' "$err")" -eq 1
ok "... and nothing is left" no_segment "$key"

new_key stopped
start stopped writer -t 20 "$keypath"
wait_for_line "$TEST_TMP/stopped.err" 'waiting up to' 20
wait_asleep "${pid[stopped]}"
kill -INT "${pid[stopped]}"
started=$(date +%s%N)
finish stopped
elapsed=$(ms_since "$started")
ok "Ctrl-C while the writer sleeps: exit 1, one clear line" \
    err_has "writer: shmid [0-9]+: record 1 not seen: interrupted by SIGINT"
ok "... within a turn (${elapsed} ms; a signal alone does not end pthread_cond_timedwait)" \
    test "$elapsed" -lt 1000
ok "... and its segment is removed" no_segment "$key"

# A writer killed while it sleeps leaves its segment: record 1 written, never a 2nd.
# (Killed before its wait, it would hold the lock: the reader's lock says EOWNERDEAD.)
start dead writer -t 20 "$keypath"
wait_for_line "$TEST_TMP/dead.err" 'waiting up to' 20
wait_asleep "${pid[dead]}"
kill -KILL "${pid[dead]}"
finish dead 2>/dev/null    # bash would say "Killed"
start orphan reader -t 20 "$keypath"
wait_for_line "$TEST_TMP/orphan.out" '^reader: shmid [0-9]+ is mine' 20
wait_asleep "${pid[orphan]}"
kill -INT "${pid[orphan]}"
started=$(date +%s%N)
finish orphan
elapsed=$(ms_since "$started")
ok "a reader waiting for a record that never comes: Ctrl-C ends it, one clear line" \
    err_has "reader: shmid [0-9]+: no record after 1: interrupted by SIGINT"
ok "... within a turn (${elapsed} ms)" test "$elapsed" -lt 1000
ok "... the segment, not the reader's, stays (nattch 0)" has_segment "$key"
ipcrm -M "$key"

start term reader -t 20 "$keypath"
wait_for_line "$TEST_TMP/term.err" 'waiting up to' 20
kill -TERM "${pid[term]}"
finish term
ok "SIGTERM while the reader waits for the segment: exit 1, one clear line" \
    err_has "reader: no segment for key $key: interrupted by SIGTERM"

# ---- segments the reader must refuse, planted with perl ---------------------------------
# plant KEY MODE SIZE: a segment as a stranger or a dead writer would leave it (all
# zeros: state is not READY). Prints its id.
plant() {
    # shellcheck disable=SC2016 # $id and @ARGV are perl's
    perl -e 'my $id = shmget(hex($ARGV[0]), $ARGV[2], 01000 | 02000 | oct($ARGV[1]));
             defined $id or die "shmget: $!\n"; print "$id\n";' "$@"
}
if command -v perl >/dev/null; then
    new_key planted
    id=$(plant "$key" 0600 "$SIZE")
    start never reader -t 20 "$keypath"
    ok "a segment whose lock is never set up: the reader waits for READY" \
        wait_for_line "$TEST_TMP/never.err" '^reader: waiting up to 20 s for the writer to set up the lock$' 20
    kill -TERM "${pid[never]}"
    finish never
    ok "... SIGTERM: exit 1, one line; it never touched the lock" \
        err_has "reader: shmid $id: no lock: interrupted by SIGTERM"
    ipcrm -M "$key"

    id=$(plant "$key" 0644 "$SIZE")
    run reader -t 2 "$keypath"
    ok "mode 0644: refused, exit 1" status_is 1
    ok "... one line naming the mode" err_has "reader: shmid $id: its mode is 644, not 600: refusing it"
    ok "... before attaching: nothing on stdout" out_lacks '.'
    ipcrm -M "$key"

    id=$(plant "$key" 0600 100)
    run reader -t 2 "$keypath"
    ok "100 bytes, smaller than the lock and the record: refused" \
        err_has "reader: shmid $id: it has 100 bytes, fewer than $SIZE: refusing it"

    run writer "$keypath"
    ok "a writer on a key that has a segment: exit 1" status_is 1
    ok "... one line: EEXIST, and how to see and remove it" \
        err_has "writer: shmget\(key $key, $SIZE, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); 'ipcs -m' shows it; 'make clean-ipc' removes what this course left"
    ok "... nothing on stdout, and the segment is not the writer's to remove" has_segment "$key"
    ipcrm -M "$key"
else
    skip "planted segments: never READY, mode, size, EEXIST" "perl is not installed"
fi

# ---- torn: no lock, torn snapshots --------------------------------------------------------
finish torn
ok "torn exits 0, nothing on stderr" test "$status" == 0 -a ! -s "$err"
read -r torn total < <(sed -nE 's/^torn: ([0-9]+) of ([0-9]+) snapshots were torn; the first: .*/\1 \2/p' "$out")
ok "without a lock, ${torn:-?} of ${total:-?} snapshots were torn (more than 0)" test "${torn:-0}" -gt 0
read -r w0 w1 w2 w3 < <(sed -nE 's/.*; the first: ([0-9]+) ([0-9]+) ([0-9]+) ([0-9]+)$/\1 \2 \3 \4/p' "$out")
ok "... the first torn one shown has words that differ ($w0 $w1 $w2 $w3)" \
    test -n "$w3" -a ! \( "$w0" == "$w1" -a "$w0" == "$w2" -a "$w0" == "$w3" \)

# ---- robust: EOWNERDEAD, consistent, then ENOTRECOVERABLE -------------------------------
finish robust
ok "robust exits 0, nothing on stderr (its short waits for a child say nothing)" \
    test "$status" == 0 -a ! -s "$err"
ok "robust: the exact story (a SIGKILL, EOWNERDEAD, repaired; again, ENOTRECOVERABLE)" \
    test "$(cat "$out")" == "robust: a child locked the mutex, wrote half the record and was killed by SIGKILL
robust: pthread_mutex_lock: EOWNERDEAD: the lock is mine, the record half written: 1 0
robust: repaired it (1 1), pthread_mutex_consistent, unlocked
robust: a child locked the mutex, wrote half the record and was killed by SIGKILL
robust: pthread_mutex_lock: EOWNERDEAD; unlocked without pthread_mutex_consistent
robust: pthread_mutex_lock: ENOTRECOVERABLE: unusable, for everyone"
# A process killed by SIGKILL cannot finish its valgrind log: the two children's
# logs stop after the header. Set them aside, so that the runner judges the parent's.
if [[ -n "$VALGRIND" ]] && memchecked "$LESSON_DIR" robust && ! grep -qa __asan_init "$LESSON_DIR/robust"; then
    mkdir -p "$TEST_TMP/killed"
    killed=0
    for log in "$vg_logs"/robust.*.log; do
        grep -q 'ERROR SUMMARY' "$log" && continue
        mv "$log" "$TEST_TMP/killed/" && (( killed++ ))
    done
    ok "valgrind: the two children killed by SIGKILL have no summary (set aside)" test "$killed" -eq 2
fi

# ---- the README's Questions 2-4: long turns; no repair; no PTHREAD_MUTEX_ROBUST ------
# build NAME PROGRAM SED-EXPRESSION: PROGRAM.c changed, built as $TEST_TMP/NAME.
build() {
    sed "$3" "$LESSON_DIR/$2.c" >"$TEST_TMP/$1.c" &&
        ${CC:-cc} -std=c11 -I"$TESTS_DIR/../common" -o "$TEST_TMP/$1" "$TEST_TMP/$1.c" \
            "$TESTS_DIR/../common/course.c" -pthread
}
new_key long
if build long-turns writer 's/t.tv_nsec += 100000000;/t.tv_sec += 5;/'; then
    "$TEST_TMP/long-turns" -t 20 "$keypath" >/dev/null 2>"$TEST_TMP/long.err" &
    long=$!
    wait_for_line "$TEST_TMP/long.err" 'waiting up to' 10 && wait_asleep "$long"
    kill -INT "$long"
    sleep 0.3
    ok "turns of 5 s: SIGINT does not end pthread_cond_timedwait (glibc sleeps on)" \
        test "$(state_of "$long")" == S
    kill -KILL "$long"
    wait "$long" 2>/dev/null
    ipcrm -M "$key"
else
    skip "one long pthread_cond_timedwait: SIGINT does not end it" "the changed writer.c does not build"
fi
if build unrepaired robust '/s->second = s->first;/d'; then
    "$TEST_TMP/unrepaired" >"$out" 2>"$err"
    ok "no repair: consistent anyway, the mutex works, the record stays torn" \
        out_has 'robust: repaired it \(1 0\), pthread_mutex_consistent, unlocked'
else
    skip "no repair: the record stays torn" "the changed robust.c does not build"
fi
if build stalled robust '/pthread_mutexattr_setrobust(/d'; then
    "$TEST_TMP/stalled" >"$TEST_TMP/stalled.out" 2>/dev/null &
    stalled=$!
    wait_for_line "$TEST_TMP/stalled.out" 'killed by SIGKILL' 10 && wait_asleep "$stalled"
    kill -INT "$stalled"
    sleep 0.1
    ok "not robust: after the owner's SIGKILL the next lock hangs; SIGINT does not end it" \
        test "$(state_of "$stalled")" == S -a "$(wc -l <"$TEST_TMP/stalled.out")" -eq 1
    ok "Questions 3: the answer shows what it printed before it hung" \
        answer_matches 3 "$TEST_TMP/stalled.out"
    kill -KILL "$stalled"
    wait "$stalled" 2>/dev/null
else
    skip "not robust: the next lock hangs" "the changed robust.c does not build"
fi

# ---- arguments (the full bad-input matrix comes from the args file) --------------------------
usage_fails() {
    status_is 2 && [[ $(wc -l <"$err") -eq 2 ]] && has_line "$err" "$prog: $1" &&
        has_line "$err" "usage: $prog( .*)?" && test ! -s "$out"
}
for prog in writer reader torn robust; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" out_has "usage: $prog( .*)?"
done
for prog in torn robust; do
    run "$prog" extra
    ok "$prog takes no argument: usage error" usage_fails "too many arguments, from 'extra'"
done
prog=writer
run writer -t 0
ok "writer -t 0: usage error" usage_fails "SECONDS '0' is out of range: expected 1 to 3600"
ok "nothing is left at the test's key" no_segment "$(ftok_key "$TEST_TMP" 65)"
