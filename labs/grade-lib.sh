# shellcheck shell=bash
# grade-lib.sh - what every lab's grader shares; sourced by labs/NN-slug/grade.
#
# A grader is a list of checks, each worth points (--only WORDS: only the checks whose
# title has WORDS, to try one fix quickly; the build and "nothing left" always run):
#   grade_start "$@"                 parse the arguments, isolate, build the submission
#   check POINTS TITLE FUNCTION ARGS...   run FUNCTION; it prints why it failed on stdout
#   check_valgrind POINTS TITLE FUNCTION ...   a check whose runs are under valgrind:
#                                    left out with --no-valgrind; skipped (said so)
#                                    where valgrind is not installed
#   check_traced POINTS TITLE FUNCTION ...     a check that reads an strace of a run:
#                                    skipped (said so) where strace is missing or may
#                                    not trace
#   grade_end                        "score: P/T"; exit 0 only with full marks
# and prints one line per check: "ok - TITLE (P/P)" or "not ok - TITLE (0/P): WHY", or
# "skipped - TITLE (0/0): WHY" for a check this machine cannot run (left out of the
# total: full marks are then those of what was graded).
#
# Inside a check:
#   launch NAME INPUT ARGS...        start the submission in the background (in $RUN):
#                                    stdin from INPUT, output in $RUN/NAME.out/.err
#                                    (LAUNCH_OUT=FILE launch ...: stdout to FILE;
#                                    GRADE_UNDER_VALGRIND=1: under valgrind, its log
#                                    in $RUN/NAME.valgrind; GRADE_TRACE=CALLS: under
#                                    strace -f -y -e trace=CALLS, in $RUN/NAME.strace)
#   collect NAME SECONDS             wait for it at most SECONDS (then kill it); sets
#                                    $status (124: killed at the limit)
#   run_prog NAME INPUT SECONDS ARGS...   launch, then collect
#   died_how                         "" for an exit, else "killed by SIGxxx" ($status)
#   trace_of NAME                    the strace of the run NAME (GRADE_TRACE), one call
#                                    a line: "PID call(args) = result"
#   segments                         the System V segments of this run (one id a line)
#   has_segment                      true when there is one (cheap: for wait loops)
#   nap SECONDS                      a pause (no process started: for wait loops)
#   now_ms                           a clock in milliseconds
# Each check runs in a fresh directory $RUN; anything it leaves (a segment, a /dev/shm
# object, a process) is noted, removed, and costs the check "nothing left behind"
# (check_nothing_left), so one leak is counted once, and the next check starts clean.
# A process is the submission's when its environment has GRADE_RUN=$WORK (launch puts
# it there; children inherit it, under valgrind or strace, forked, exec'd or setsid'd
# alike), or when it runs $PROG.
#
# The whole grading runs in private IPC and mount namespaces when the machine allows
# (unshare, as the tests do): a segment the submission leaves is then exactly a leak,
# and thirty students grading at once never meet. Without them, this user's segments
# before and after are compared.

set -u
shopt -s nullglob
GRADE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCORE=0 TOTAL=0 FAILED=() LEFT=() BUILT=0 VALGRIND=1 ONLY=
declare -A bg_pid=()

_usage() {
    echo "usage: ${0##*/} [--no-valgrind] [--only WORDS] SUBMISSION.c" >&2
    exit 2
}

grade_start() {
    while (( $# )); do
        case $1 in
            --no-valgrind) VALGRIND=0; shift ;;
            --only) [[ -n ${2:-} ]] || _usage; ONLY=$2; shift 2 ;;
            -h|--help) awk 'NR > 1 && /^#/ && !/shellcheck/ { sub(/^# ?/, ""); print; next }
                            NR > 1 { exit }' "$0"; exit 0 ;;
            -*) _usage ;;
            *) break ;;
        esac
    done
    (( $# == 1 )) || _usage
    local src=$1
    # A bare name that is not here: the file in the lab's directory.
    [[ ! -e $src && $src != */* && -e $(dirname "$0")/$src ]] && src=$(dirname "$0")/$src
    set -- "$src"
    [[ -f $1 ]] || { echo "${0##*/}: $1: no such file" >&2; exit 2; }
    [[ $1 == *.c ]] || { echo "${0##*/}: $1: not a C file (a .c file)" >&2; exit 2; }
    SUBMISSION=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

    if [[ -z ${GRADE_ISOLATED:-} ]]; then
        local -a ns=()
        if unshare --ipc --mount true 2>/dev/null; then ns=(unshare --ipc --mount)
        elif unshare --user --map-root-user --ipc --mount true 2>/dev/null; then
            ns=(unshare --user --map-root-user --ipc --mount)
        fi
        if (( ${#ns[@]} )); then
            # A /dev/shm of its own too; mount it in the new namespace, then go on.
            local -a again=("$0")
            (( VALGRIND )) || again+=(--no-valgrind)
            [[ -n $ONLY ]] && again+=(--only "$ONLY")
            GRADE_ISOLATED=1 exec "${ns[@]}" bash -c \
                'mount -t tmpfs -o mode=1777 grade /dev/shm 2>/dev/null || export GRADE_SHARED_SHM=1; exec "$@"' \
                _ "${again[@]}" "$SUBMISSION"
        fi
        GRADE_ISOLATED=0
    fi

    # A pause that costs no process: a read that times out on a pipe nobody writes.
    exec {NAP_FD}<> <(:)
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/shm-course-grade.XXXXXX") || exit 1
    trap _cleanup EXIT
    PROG=$WORK/submission
    SEGMENTS_BEFORE=$(_my_segments)
    SHM_BEFORE=$(_shm_objects)
    local cflags=(-std=c11 -g -O1 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2)
    if ${CC:-cc} "${cflags[@]}" -I"$GRADE_TOP/common" -o "$PROG" "$SUBMISSION" \
            "$GRADE_TOP/common/course.c" -pthread >"$WORK/build.log" 2>&1; then
        BUILT=1
    fi
}

_cleanup() {
    local p
    for p in "${bg_pid[@]}"; do kill -KILL "$p" 2>/dev/null; done
    _kill_ours
    rm -rf -- "$WORK"
    wait 2>/dev/null    # this shell's helpers (the pause's pipe): none left to init
}

# ---- one check ------------------------------------------------------------------

check() {
    local points=$1 title=$2 why; shift 2
    [[ -n $ONLY && ${title,,} != *"${ONLY,,}"* ]] && return
    (( TOTAL += points ))
    if (( ! BUILT )); then
        echo "not ok - $title (0/$points): not run, the submission did not build"
        FAILED+=("$title")
        return
    fi
    RUN=$(mktemp -d "$WORK/run.XXXXXX")
    why=$(cd "$RUN" && "$@")
    local passed=$?
    _sweep "$title"
    if (( passed == 0 )); then
        (( SCORE += points ))
        echo "ok - $title ($points/$points)"
    else
        echo "not ok - $title (0/$points): ${why:-failed}"
        FAILED+=("$title")
    fi
}

# skipped POINTS TITLE WHY: a check this machine cannot run, said so, out of the total.
skipped() {
    local points=$1 title=$2 why=$3
    [[ -n $ONLY && ${title,,} != *"${ONLY,,}"* ]] && return
    echo "skipped - $title (0/0): $why; left out of the total ($points point$( (( points > 1 )) && echo s))"
}

# The valgrind check: none with --no-valgrind (as asked); without valgrind, skipped.
check_valgrind() {
    (( VALGRIND )) || return 0
    if ! command -v valgrind >/dev/null; then
        skipped "$1" "$2" "valgrind is not installed here (Debian: apt install valgrind), so it was not run"
        return
    fi
    check "$@"
}

# A check that reads an strace of a run (GRADE_TRACE): skipped where strace is
# missing or may not trace (ptrace refused: a container, Yama's ptrace_scope 3).
check_traced() {
    if [[ -z ${_TRACE_WHY+set} ]]; then
        _TRACE_WHY=
        if ! command -v strace >/dev/null; then
            _TRACE_WHY="strace is not installed here (Debian: apt install strace), so the calls were not watched"
        elif ! strace -o /dev/null true 2>"$WORK/strace.err"; then
            _TRACE_WHY="strace cannot trace here ($(head -n1 "$WORK/strace.err" | head -c 120)), so the calls were not watched: grade where it can (the course's machine)"
        fi
    fi
    if [[ -n $_TRACE_WHY ]]; then skipped "$1" "$2" "$_TRACE_WHY"; return; fi
    check "$@"
}

# The build itself: warnings cost points, errors cost everything.
check_builds() {
    local points=$1
    (( TOTAL += points ))
    if (( ! BUILT )); then
        echo "not ok - builds with the course's flags (0/$points): $(grep -m1 -E 'error|undefined' "$WORK/build.log")"
        FAILED+=("builds")
    elif grep -q 'warning:' "$WORK/build.log"; then
        echo "not ok - builds with the course's flags, no warning (0/$points): $(grep -m1 'warning:' "$WORK/build.log" | sed "s|$WORK/||; s|.*/||")"
        FAILED+=("no warning")
    else
        (( SCORE += points ))
        echo "ok - builds with the course's flags, no warning ($points/$points)"
    fi
}

check_nothing_left() {
    local points=$1
    (( TOTAL += points ))
    if (( ! BUILT )); then
        echo "not ok - nothing left behind after any run (0/$points): not run, the submission did not build"
        FAILED+=("nothing left behind")
    elif (( ${#LEFT[@]} == 0 )); then
        (( SCORE += points ))
        echo "ok - nothing left behind after any run: no segment, /dev/shm object or process ($points/$points)"
    else
        echo "not ok - nothing left behind after any run (0/$points): ${LEFT[0]}$( (( ${#LEFT[@]} > 1 )) && echo " (and ${#LEFT[@]} more)")"
        FAILED+=("nothing left behind")
    fi
}

grade_end() {
    echo "score: $SCORE/$TOTAL${ONLY:+ (only the checks about \"$ONLY\")}"
    (( SCORE == TOTAL ))
}

# ---- running the submission -----------------------------------------------------

launch() {
    local name=$1 input=$2; shift 2
    local -a cmd=("$PROG")
    if [[ ${GRADE_UNDER_VALGRIND:-} == 1 ]]; then
        # No vgdb: its three FIFOs in /tmp outlive a run the grader kills.
        # shellcheck disable=SC2054 # the commas belong to one option
        cmd=(valgrind --vgdb=no --error-exitcode=99 --leak-check=full
             --errors-for-leak-kinds=definite,indirect,possible
             "--log-file=$RUN/$name.valgrind" "$PROG")
    elif [[ -n ${GRADE_TRACE:-} ]]; then
        # -D: strace is a grandchild, and the run is the program itself (its pid, its
        # status), ended when it ends, even if a child of it lives on.
        cmd=(strace -D -f -qq -y -s 64 -e signal=none -e "trace=$GRADE_TRACE"
             -o "$RUN/$name.strace" "$PROG")
    fi
    # Only the three standard descriptors: a check's own (a FIFO it holds) stay its own.
    # GRADE_RUN marks the run and all it starts: the sweep finds them by it.
    GRADE_RUN=$WORK "${cmd[@]}" "$@" <"$input" >"${LAUNCH_OUT:-$RUN/$name.out}" 2>"$RUN/$name.err" 3>&- 4>&- 5>&- {NAP_FD}>&- &
    bg_pid[$name]=$!
}

collect() {
    local name=$1 end
    # The clock, not a count of pauses: on a loaded machine each pause takes longer.
    end=$(( ${EPOCHREALTIME/./} + $2 * 1000000 ))
    while kill -0 "${bg_pid[$name]}" 2>/dev/null && (( ${EPOCHREALTIME/./} < end )); do
        nap 0.01
    done
    if kill -0 "${bg_pid[$name]}" 2>/dev/null; then
        kill -KILL "${bg_pid[$name]}" 2>/dev/null
        wait "${bg_pid[$name]}" 2>/dev/null
        status=124
    else
        wait "${bg_pid[$name]}"
        status=$?
    fi
    unset "bg_pid[$name]"
    [[ -e $RUN/$name.strace ]] && _tracer_done "$RUN/$name.strace"
}

# A traced run's tracer (strace -D) ends once the run and its children have: the
# trace is then whole. A child that lives on: after a second strace is told to detach
# (it writes what it has; the child is left to the sweep).
_tracer_done() {
    local pids end=$(( ${EPOCHREALTIME/./} + 1000000 )) sig=TERM
    while pids=$(pgrep -f -- "^strace .* -o $1 "); do
        if (( ${EPOCHREALTIME/./} >= end )); then
            # shellcheck disable=SC2086 # one pid a word
            kill -$sig $pids 2>/dev/null
            [[ $sig == KILL ]] && return
            sig=KILL end=$(( ${EPOCHREALTIME/./} + 1000000 ))
        fi
        nap 0.02
    done
}

run_prog() {
    local name=$1 input=$2 seconds=$3; shift 3
    launch "$name" "$input" "$@"
    collect "$name" "$seconds"
}

died_how() {
    if (( status == 124 )); then echo "still running after the time limit"
    elif (( status > 128 )); then echo "killed by SIG$(kill -l $(( status - 128 )) 2>/dev/null)"
    fi
}

# strace -f writes a call that another process's call interrupted in two lines,
# "PID call(args <unfinished ...>" and "PID <... call resumed>args) = result": joined.
trace_of() {
    awk '/ <unfinished \.\.\.>$/ { held[$1] = substr($0, 1, length($0) - 17); next }
         $2 == "<..." && ($1 in held) {
             rest = $0; sub(/^[0-9]+ +<\.\.\. [^ ]+ resumed> ?/, "", rest)
             print held[$1] rest; delete held[$1]; next
         }
         { print }' "$RUN/$1.strace"
}

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

segments() { _my_segments | _not_in "$SEGMENTS_BEFORE"; }

# True when this run has a segment now: in a private IPC namespace every segment is
# the run's, and the test costs no process (wait loops call it a hundred times a second).
has_segment() {
    if [[ ${GRADE_ISOLATED:-0} == 1 ]]; then
        local -a rows
        mapfile -t rows </proc/sysvipc/shm
        (( ${#rows[@]} > 1 ))
    else
        [[ -n $(segments) ]]
    fi
}

nap() { read -rt "$1" -u "$NAP_FD" _ || :; }

# ---- what a run leaves ---------------------------------------------------------------

_my_segments() { awk -v u="$EUID" 'NR > 1 && $8 == u { print $2 }' /proc/sysvipc/shm | sort; }
_shm_objects() { find /dev/shm -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort; }
# The lines of stdin that are not lines of BEFORE. No process substitution: in $(...)
# comm's <(...) helpers would be orphaned to init when comm exits.
_not_in() { BEFORE=$1 awk 'BEGIN { n = split(ENVIRON["BEFORE"], b, "\n"); for (i = 1; i <= n; i++) old[b[i]] = 1 }
                          !($0 in old)'; }

# The submission's live processes (no zombie): marked GRADE_RUN=$WORK by launch, or
# running $PROG (valgrind's /usr/bin/valgrind.bin too, or a child that emptied its
# environment).
_ours() {
    {
        grep -lzxF -- "GRADE_RUN=$WORK" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
        pgrep -f -- "^([^ ]*valgrind[^ ]* .*)?$PROG( |\$)"
    } | sort -u
}

# " (the command line)" of the first of PIDS, the submission's path shortened.
_what_runs() {
    local -a args=()
    mapfile -d '' -t args 2>/dev/null <"/proc/${1%%[!0-9]*}/cmdline" || return 0
    (( ${#args[@]} )) || return 0
    local line="${args[*]}" under=
    [[ $line == *valgrind* ]] && under=", under valgrind"
    [[ $line == *"$PROG"* ]] && line=submission${line##*"$PROG"}
    echo " (${line:0:80}$under)"
}

# Every round kills what is there; a process forking meanwhile is caught by the next.
_kill_ours() {
    local p procs
    for _ in 1 2 3; do
        procs=$(_ours)
        [[ -n $procs ]] || return 0
        for p in $procs; do kill -KILL "$p" 2>/dev/null; done
        nap 0.05
    done
}

# After each check: note and remove what the check's runs left.
_sweep() {
    local title=$1 procs segs id objs
    procs=$(_ours)
    if [[ -n $procs ]]; then
        LEFT+=("a process still running after \"$title\"$(_what_runs "$procs")")
        _kill_ours
    fi
    segs=$(segments)
    if [[ -n $segs ]]; then
        LEFT+=("a segment left after \"$title\" (ipcs -m)")
        for id in $segs; do ipcrm -m "$id" 2>/dev/null; done
    fi
    if [[ ${GRADE_SHARED_SHM:-} != 1 ]]; then
        objs=$(_shm_objects | _not_in "$SHM_BEFORE")
        if [[ -n $objs ]]; then
            LEFT+=("/dev/shm/$(head -n1 <<<"$objs") left after \"$title\"")
            while IFS= read -r id; do rm -f -- "/dev/shm/$id"; done <<<"$objs"
        fi
    fi
}

# ---- checks most labs share ----------------------------------------------------------

# A wrong argument: exit 2, a message on stderr, never a crash, quickly.
refuses() {
    local what=$1; shift
    run_prog bad /dev/null 5 "$@"
    if [[ -n $(died_how) ]]; then echo "$what: $(died_how)"; return 1; fi
    (( status == 2 )) || { echo "$what: exit status $status, not 2 (a usage error)"; return 1; }
    [[ -s $RUN/bad.err ]] || { echo "$what: nothing said on stderr"; return 1; }
}

# Valgrind's verdict on the logs of the runs of this check.
valgrind_clean() {
    local log
    for log in "$RUN"/*.valgrind; do
        if ! grep -q 'ERROR SUMMARY' "$log"; then
            echo "a run under valgrind did not end (it hung, or it was killed), so valgrind gave no verdict: run it under valgrind yourself, it should end as it does alone, only slower"
            return 1
        fi
        if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
            grep -m1 -E 'Invalid|uninitialised|definitely|indirectly|possibly|ERROR SUMMARY' "$log" |
                sed 's/^==[0-9]*== //'
            return 1
        fi
    done
}
