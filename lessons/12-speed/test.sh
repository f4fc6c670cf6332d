#!/usr/bin/env bash
# Lesson 12 test: a short correctness pass, no timing asserted. The ring carries at
# least 1 MiB per run (64 B, 4 KiB and 64 KiB messages) and its consumer's checksum
# of every byte is right; a ring whose producer does not wait for room (the README's
# Questions) is caught by that checksum. The pipe and the UNIX socket carry the same
# bytes, checksum right (strace: the ring makes no write per message, they one each);
# the three handoffs answer; bench.sh --quick prints its table and the six lines the
# lesson quotes, with numbers. Bad arguments are usage errors;
# Ctrl-C, SIGTERM or SIGKILL of the parent alone ends a run at once, its forked
# partner with it (PR_SET_PDEATHSIG); a partner killed mid-run: the parent says so
# at once, exit 1 (in ring, and in each of handoff's three round trips).
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

N='[0-9]+'
F='[0-9]+\.[0-9]'      # a figure in MiB/s: 0.4 on a very busy machine, not 0
usage_fails() {     # exit 2, one line saying what is wrong, then the usage line
    status_is 2 && [[ $(wc -l <"$err") -eq 2 ]] && has_line "$err" "$prog: $1" &&
        has_line "$err" "usage: $prog .*" && test ! -s "$out"
}
# True when process PID is gone (or a zombie waiting for its new parent to reap it).
gone() {
    local tries=0
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    while (( tries++ < 200 )); do
        [[ -e /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null || return 0
        sleep 0.01
    done
    return 1
}
clean_exit() { status_is 0 && test ! -s "$err"; }
checksum_wrong() {
    status_is 1 && err_is_one_line && err_has "ring: 4096-byte messages: the consumer's checksum is wrong"
}
killed_by() { status_is $((128 + $(kill -l "$1"))) && test ! -s "$out"; }
table_rows() {
    out_has "64 B messages +$N +$N +$N +$N" && out_has "4 KiB messages +$N +$N +$N +$N" &&
        out_has "64 KiB messages +$N +$N +$N +$N"
}
child_of() {        # the first child of PID, once it has one
    local tries=0 kid=
    while (( tries++ < 300 )) && [[ -z $kid ]]; do
        kid=$(awk -v p="$1" '$4 == p { print $1; exit }' /proc/[0-9]*/stat 2>/dev/null)
        sleep 0.01
    done
    echo "$kid"
}

# ---- the ring ------------------------------------------------------------------------
run --vg ring 4096 100
ok "ring: 4 KiB messages through the ring, every byte checksummed, the sum right" \
    out_has "ring: shm ring, 4096-byte messages: $F MiB/s, checksum right"
ok "... exit 0, nothing on stderr" clean_exit
for size in 64 65536; do
    run ring "$size" 20
    ok "ring: $size-byte messages, checksum right" \
        out_has "ring: shm ring, $size-byte messages: $F MiB/s, checksum right"
done

# Questions 3, for real: a producer that does not wait for room overwrites bytes the
# consumer has not read yet. Fast, and wrong: the checksum says so.
mkdir "$TEST_TMP/broken"
sed 's/while (head + size - tail > RING)/while (0)/' "$LESSON_DIR/ring.c" >"$TEST_TMP/broken/ring.c"
if ! cmp -s "$TEST_TMP/broken/ring.c" "$LESSON_DIR/ring.c" &&
   "${CC:-cc}" -std=c11 -O2 -I"$LESSON_DIR/../../common" -o "$TEST_TMP/broken/ring" \
       "$TEST_TMP/broken/ring.c" "$LESSON_DIR/../../common/course.c" 2>"$TEST_TMP/broken/cc.err"; then
    "$TEST_TMP/broken/ring" 4096 100 >"$out" 2>"$err" </dev/null
    status=$?
    ok "Questions 3: a ring that does not wait for room fails its checksum, exit 1" \
        checksum_wrong
    ok "Questions 3: the answer shows what the ring printed" answer_matches 3 "$err"
    ok "... and prints no figure" test ! -s "$out"
else
    ok "Questions 3: ring.c without the wait for room builds" false
fi

# ---- Questions 2: no system call per message in the ring; one in the baselines ---------
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    # (LeakSanitizer cannot work under ptrace: off for these runs of a sanitizer build.)
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=write -e signal=none "$LESSON_DIR/ring" 4096 100 \
        2>"$TEST_TMP/ring.strace" >/dev/null </dev/null
    ok "Questions 2: strace: the ring's one write is its result line" \
        answer_matches 2 "$TEST_TMP/ring.strace"
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=write -e signal=none "$LESSON_DIR/baselines" 4096 20 \
        2>"$TEST_TMP/baselines.strace" >/dev/null </dev/null
    writes=$(grep -c ', 4096) = 4096$' "$TEST_TMP/baselines.strace")
    ok "... the pipe and the socket: a write per message ($writes, 2 x 1 MiB at least)" \
        test "$writes" -ge 512
else
    skip "Questions 2: strace counts the writes" "strace is missing or cannot trace here"
fi

# ---- the baselines and the handoffs ----------------------------------------------------
run --vg baselines 4096 50
for method in pipe 'unix socket'; do
    ok "baselines: the same bytes through a $method, checksum right" \
        out_has "baselines: $method, 4096-byte messages: $F MiB/s, checksum right"
done
ok "baselines: memcpy, the limit" out_has "baselines: memcpy, 4096-byte messages: $F MiB/s"
ok "... exit 0, nothing on stderr" clean_exit
run --vg handoff 20
for method in 'shared spin' futex pipe; do
    ok "handoff: a $method round trip is measured" \
        out_has "handoff: $method round trip: $N\.[0-9]{2} us"
done
ok "... exit 0, nothing on stderr" clean_exit

# ---- bench.sh --quick: the table, then the lines the lesson quotes ----------------------
"$LESSON_DIR/bench.sh" --quick >"$out" 2>"$err" </dev/null
status=$?
ok "bench.sh --quick: exit 0, nothing on stderr" clean_exit
ok "... the throughput table: a row per message size" table_rows
ok "... the round trips" out_has " +$N\.[0-9]{2} +$N\.[0-9]{2} +$N\.[0-9]{2}"
tail -n 6 "$out" >"$TEST_TMP/six"
# A ratio: 4.1x, 40x; >1200x or <0.01x when a figure is 0 (a machine far too busy).
X='[<>]?[0-9]+(\.[0-9]{1,2})?x'
want=("throughput: pipe, 4 KiB messages: $N MiB/s"
      "ratio: shm ring / pipe, 4 KiB messages: $X"
      "ratio: shm ring / unix socket, 4 KiB messages: $X"
      "ratio: shm ring / memcpy: [<>]?$N%"
      "ratio: pipe round trip / shared spin round trip: $X"
      "ratio: pipe round trip / futex round trip: $X")
for i in "${!want[@]}"; do
    ok "... then, line $((i + 1)) of 6: ${want[i]% *}" \
        test "$(sed -n "$((i + 1))p" "$TEST_TMP/six" | grep -Ecx -- "${want[i]}")" == 1
done

# ---- arguments (the full bad-input matrix comes from the args file) --------------------
for prog in ring baselines handoff; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" out_has "usage: $prog .*"
    run "$prog" 4096 20 extra
    ok "$prog with too many arguments: usage error" usage_fails "too many arguments, from '(20|extra)'"
done
for prog in ring baselines; do
    run "$prog" 100
    ok "$prog 100: a size that is not a power of two is a usage error" \
        usage_fails "SIZE '100' is not a power of two"
    if [[ $prog == ring ]]; then
        ok "Questions 1: the answer shows what ring printed" answer_matches 1 "$err"
    fi
    run "$prog" 4096 1001
    ok "$prog 4096 1001: more than a second per figure is a usage error" \
        usage_fails "MILLISECONDS '1001' is out of range: expected 1 to 1000"
done

# ---- Ctrl-C, SIGTERM, SIGKILL of the parent: the run ends at once, its partner with it ---
# Each signal goes to the parent alone (a terminal's Ctrl-C would reach both).
for sig in INT TERM KILL; do
    start stopped ring 4096 1000
    kid=$(child_of "${pid[stopped]}")
    kill -"$sig" "${pid[stopped]}"
    finish stopped 2>/dev/null      # bash would say "Killed"
    ok "SIG$sig to the parent alone during a ring run: it ends at once, killed by it" \
        killed_by "$sig"
    ok "... and the kernel kills its consumer (PR_SET_PDEATHSIG)" gone "${kid:-none}"
done
# (Questions 4 is the SIGKILL case.)

# ---- a partner killed mid-run: the parent says so at once, exit 1, nothing left ---------
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# partner_killed NAME MESSAGE: kill NAME's child (the one running now), then NAME must
# end within a second: exit 1, one line on stderr, MESSAGE (the pid stands for PID).
partner_killed() {
    local kid started elapsed
    kid=$(child_of "${pid[$1]}")
    kill -KILL "${kid:-none}" 2>/dev/null
    started=$(date +%s%N)
    finish "$1"
    elapsed=$(ms_since "$started")
    ok "$1: its partner killed by SIGKILL: exit 1 within a second ($elapsed ms)" \
        test "$status" == 1 -a "$elapsed" -lt 1000
    ok "... one line on stderr: ${2/PID/<pid>}" \
        test "$(cat "$err")" == "${2/PID/${kid:-none}}"
    ok "... and the partner is gone" gone "${kid:-none}"
}
start ring ring 4096 1000
partner_killed ring "ring: the consumer (pid PID) died: no one empties the ring"
ok "... and no figure" test ! -s "$out"
start spin handoff 1000
partner_killed spin "handoff: shared spin round trip: the child (pid PID) died"
# A new child for each round trip: the futex one comes after spin's line, the pipe
# one after futex's line (these two runs overlap).
start futex handoff 1000
start pipe handoff 1000
wait_for_line "$TEST_TMP/futex.out" '^handoff: shared spin round trip: ' 10
partner_killed futex "handoff: futex round trip: the child (pid PID) died"
wait_for_line "$TEST_TMP/pipe.out" '^handoff: futex round trip: ' 10
partner_killed pipe "handoff: pipe round trip: no answer from the child (pid PID)"
