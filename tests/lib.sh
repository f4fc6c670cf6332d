# shellcheck shell=bash
# lib.sh - the assertion library for lesson tests; sourced by lessons/*/test.sh.
#
# The runner (tests/run) starts each lesson's test.sh in a fresh temporary directory
# with these variables set:
#   LESSON_DIR  the lesson's directory (absolute), where writer and reader are built
#   TEST_TMP    the fresh directory; it is also the current directory
#   VALGRIND    "valgrind" when memcheck should be used, else empty
# A test prints TAP lines through the functions below; the runner numbers them and
# adds the lesson's name. Output of programs goes to files, never to pipes, so a
# crash is never hidden.
#
#   run [--vg] PROG ARGS...   run $LESSON_DIR/PROG; sets $status, $out, $err (files)
#   start [--vg] NAME PROG ARGS...   start PROG in the background as NAME; output in
#                             $TEST_TMP/NAME.out and NAME.err, pid in ${pid[NAME]}
#   finish NAME               wait for NAME (bounded); sets $status, $out, $err
#   wait_for_line FILE REGEX [SECONDS]   wait until a line of FILE matches REGEX
#   ok TITLE COMMAND...       "ok - TITLE" when COMMAND succeeds, else "not ok"
#   skip TITLE REASON         "ok - TITLE # SKIP REASON"
#   has_line FILE REGEX       grep -E for a whole line, quietly
#   line_of FILE REGEX        print the first line of FILE matching REGEX
#   field_of FILE REGEX N     print word N of that line
#   really_root               true only for the real root (not root in a namespace)
#   ftok_key PATH PROJ_ID     the key glibc's ftok gives, as 0x%08x, from stat
#   segment_row KEY           the /proc/sysvipc/shm row of the segment at KEY
#   segment_row_by_id SHMID   the row of SHMID
#   no_segment KEY            true when no segment has that key
#   answer_matches N FILE     FILE (a real run's output) is what the answer to question
#                             N of the README's Questions shows: an answer that quotes
#                             output must be checked this way (tests/checks/questions)
# --vg runs the program under valgrind memcheck when the runner asks for it (make test:
# the first such run of the writer and the reader; make stress, VALGRIND_EVERY=1: every
# one of every program); use it at least once for every program of the lesson. A fault a
# lesson makes on purpose (a store after munmap) is declared to memcheck in
# tests/valgrind.supp, never in the lesson's code.

set -u
: "${LESSON_DIR:?run lesson tests through tests/run}" "${TEST_TMP:?}"
VALGRIND=${VALGRIND:-}
declare -A pid=()
status=0
out=$TEST_TMP/.run.out
err=$TEST_TMP/.run.err
failures=0
# shellcheck source=tests/expect.sh
source "${TESTS_DIR:?}/expect.sh"
vg_logs=$TEST_TMP/.valgrind
mkdir -p "$vg_logs"

# The command line that runs PROG, under valgrind when asked (memchecked: in make test
# the first --vg run of the writer and of the reader; in make stress, every one).
_command_for() {
    local use_vg=$1 prog=$2
    local earlier=("$vg_logs/$prog".*.log)
    memchecked "$LESSON_DIR" "$prog" || use_vg=0
    [[ ${VALGRIND_EVERY:-0} != 1 && -e ${earlier[0]} ]] && use_vg=0
    # Valgrind and the sanitizers do not mix: a sanitizer build runs as it is.
    if [[ "$use_vg" == 1 && -n "$VALGRIND" ]] && ! grep -qa __asan_init "$LESSON_DIR/$prog"; then
        printf '%s\n' valgrind --vgdb=no --error-exitcode=99 --leak-check=full \
            "--suppressions=$TESTS_DIR/valgrind.supp" \
            --errors-for-leak-kinds=definite,indirect,possible --track-fds=yes \
            "--log-file=$vg_logs/$prog.%p.log" "$LESSON_DIR/$prog"
    else
        printf '%s\n' "$LESSON_DIR/$prog"
    fi
}

run() {
    local use_vg=0
    [[ "$1" == --vg ]] && { use_vg=1; shift; }
    local prog=$1; shift
    local -a cmd
    out=$TEST_TMP/.run.out
    err=$TEST_TMP/.run.err
    mapfile -t cmd < <(_command_for "$use_vg" "$prog")
    "${cmd[@]}" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}

start() {
    local use_vg=0
    [[ "$1" == --vg ]] && { use_vg=1; shift; }
    local name=$1 prog=$2; shift 2
    local -a cmd
    mapfile -t cmd < <(_command_for "$use_vg" "$prog")
    # Empty the files here, not in the child: a wait_for_line that follows must
    # never see what an earlier program of the same name wrote.
    : >"$TEST_TMP/$name.out"
    : >"$TEST_TMP/$name.err"
    "${cmd[@]}" "$@" >>"$TEST_TMP/$name.out" 2>>"$TEST_TMP/$name.err" </dev/null &
    pid[$name]=$!
}

# Wait at most 30 s for a background program; kill it if it is still running.
finish() {
    local name=$1 waited=0
    while kill -0 "${pid[$name]}" 2>/dev/null && (( waited < 3000 )); do
        sleep 0.01
        (( waited++ ))
    done
    if kill -0 "${pid[$name]}" 2>/dev/null; then
        echo "# $name still running after 30 s: killing it" >&2
        kill -KILL "${pid[$name]}" 2>/dev/null
    fi
    wait "${pid[$name]}"
    status=$?
    out=$TEST_TMP/$name.out
    err=$TEST_TMP/$name.err
}

# Poll a file written by a background program (the test's side of a bounded wait).
wait_for_line() {
    local file=$1 regex=$2 seconds=${3:-20} tries=0
    while (( tries < seconds * 100 )); do
        grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
        sleep 0.01
        (( tries++ ))
    done
    echo "# no line matching /$regex/ in $file after $seconds s" >&2
    return 1
}

has_line() { grep -Eqx -- "$2" "$1"; }
line_of() { grep -Em1 -- "$2" "$1"; }
field_of() { grep -Em1 -- "$2" "$1" | awk -v n="$3" '{ print $n }'; }

ok() {
    local title=$1; shift
    if "$@"; then
        echo "ok - $title"
    else
        echo "not ok - $title"
        (( failures++ ))
        {
            echo "#   failed: $*"
            echo "#   last status: $status"
            [[ -s "$out" ]] && sed 's/^/#   stdout: /' "$out" | head -n 20
            [[ -s "$err" ]] && sed 's/^/#   stderr: /' "$err" | head -n 20
        } >&2
    fi
    return 0
}

skip() { echo "ok - $1 # SKIP $2"; }

# True for the real root, not for root inside a user namespace (where the runner may
# have put us when it runs unprivileged): only the real one can become another user.
really_root() {
    [[ $(id -u) -eq 0 ]] && awk '$1 == 0 && $2 == 0 && $3 == 4294967295 { f = 1 } END { exit !f }' /proc/self/uid_map
}

# ftok's formula (glibc): (proj_id & 0xff) << 24 | (st_dev & 0xff) << 16 | (st_ino & 0xffff)
ftok_key() {
    local dev ino
    read -r dev ino < <(stat -c '%d %i' "$1")
    printf '0x%08x\n' $(( ($2 & 0xff) << 24 | (dev & 0xff) << 16 | (ino & 0xffff) ))
}

# /proc/sysvipc/shm has the key in decimal, as a signed int: 0xc1... is negative.
_key_decimal() { local k=$(( $1 )); (( k > 0x7fffffff )) && (( k -= 0x100000000 )); echo "$k"; }
segment_row() { awk -v k="$(_key_decimal "$1")" 'NR > 1 && $1 == k' /proc/sysvipc/shm; }
segment_row_by_id() { awk -v id="$1" 'NR > 1 && $2 == id' /proc/sysvipc/shm; }
no_segment() { [[ -z "$(segment_row "$1")" ]]; }

# Small predicates for ok: status is N; a file holds a line (ERE, whole line).
status_is() { [[ "$status" == "$1" ]]; }
out_has() { has_line "$out" "$1"; }
err_has() { has_line "$err" "$1"; }
err_is_one_line() { [[ $(wc -l <"$err") -eq 1 ]]; }

# The answer to question N quotes output: it must be what a real run printed.
answer_matches() {
    local block=$TEST_TMP/.answer.$1
    answer_block "$LESSON_DIR/README.md" "$1" >"$block"
    compare_lines "$block" "$2" >&2
}
