# shellcheck shell=bash
# expect.sh - what tests/run and tests/lib.sh share: comparing a real run with output a
# README shows (the Expected output; the answers to a lesson's Questions), and which
# programs make test runs under valgrind.
#
# In a README's output block, <anything in angle brackets> matches any text and a run
# of blanks matches a run of blanks; everything else is literal.

# The first fenced block after the heading "## Expected output".
expected_block() {
    awk '/^## Expected output/ { h = 1; next }
         h && /^## / { exit }
         h && /^```/ { if (inblock) exit; inblock = 1; next }
         inblock { print }' "$1"
}

# The first fenced block inside the Nth <details> of the section "## Questions",
# without the indentation of its fence (answers sit inside list items).
answer_block() {
    awk -v want="$2" '/^## Questions/ { q = 1; next }
         q && /^## / { exit }
         q && /<details>/ { n++ }
         q && n == want && !done && /^ *```/ {
             if (inblock) { done = 1; inblock = 0; next }
             inblock = 1; match($0, /^ */); indent = RLENGTH; next }
         inblock { print substr($0, indent + 1) }' "$1"
}

# How many <details> answers the Questions section has.
answer_count() {
    awk '/^## Questions/ { q = 1; next } q && /^## / { exit } q && /<details>/ { n++ }
         END { print n + 0 }' "$1"
}

escape_ere() { printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g' -e 's/  */ +/g'; }

# Turn one expected line into an extended regex.
line_regex() {
    local line=$1 regex='' literal
    while [[ "$line" =~ ^([^<]*)\<[^\>]+\>(.*)$ ]]; do
        literal=${BASH_REMATCH[1]}
        line=${BASH_REMATCH[2]}
        regex+=$(escape_ere "$literal").+
    done
    regex+=$(escape_ere "$line")
    printf '%s' "$regex"
}

# Compare the lines of file ACTUAL with the lines of file EXPECTED (what a README
# shows); print the first difference, as TAP diagnostics, and fail.
compare_lines() {
    local expected=$1 actual=$2 n=0 expected_line actual_line
    local -a shown printed
    mapfile -t shown <"$expected"
    mapfile -t printed <"$actual"
    (( ${#shown[@]} )) || { echo "# the README shows no output here"; return 1; }
    for expected_line in "${shown[@]}"; do
        actual_line=${printed[n]-<missing line>}
        if ! [[ "$actual_line" =~ ^$(line_regex "$expected_line")$ ]]; then
            echo "# line $((n + 1)): README says:  $expected_line"
            echo "# line $((n + 1)): the run says: $actual_line"
            return 1
        fi
        (( n++ ))
    done
    if (( ${#printed[@]} > n )); then
        echo "# the run printed more lines than the README shows, from: ${printed[n]}"
        return 1
    fi
}

# Whether `run --vg PROG` uses valgrind: in make test, for a lesson's writer and reader
# (the code people copy; in a lesson without them, every program), once each; with
# VALGRIND_EVERY=1 (make stress), for every program and every --vg run. Valgrind's
# start costs about 0.4 s of CPU a run, most of a lesson's test.
memchecked() {   # memchecked LESSON_DIR PROG
    [[ ${VALGRIND_EVERY:-0} == 1 || $2 == writer || $2 == reader || ! -f $1/writer.c ]]
}
