#!/usr/bin/env bash
# Lesson 02 test: the writer creates a segment at the ftok key (IPC_EXCL, 0600) and
# exits; the segment stays (/proc/sysvipc/shm and ipcs -m: perms 600, size 100,
# nattch 0); the reader finds it by the key, reads its record (owner, mode, size,
# the exited creator's pid) and removes it; shmget's errors; the reader's bounded
# wait; refused segments; what takes a segment besides IPC_RMID; nothing left.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

keypath=$TEST_TMP
key=$(ftok_key "$keypath" 65)
me=$(id -u)

# ---- the writer creates and exits; the segment stays --------------------------------
start --vg writer writer "$keypath" 65
finish writer
wpid=${pid[writer]}
w=$TEST_TMP/writer.out
ok "writer exits 0" status_is 0
ok "writer's key is (65 << 24 | (st_dev & 0xff) << 16 | (st_ino & 0xffff)) = $key" \
    has_line "$w" "writer: key $key from ftok\(\"$keypath\", 65\)"
shmid=$(field_of "$w" '^writer: created shmid' 4 | tr -d ,)
ok "writer creates shmid $shmid, 100 bytes, mode 0600" \
    has_line "$w" "writer: created shmid $shmid, 100 bytes, mode 0600"
ok "writer names its pid and exits" has_line "$w" "writer: pid $wpid exits now; .*"
read -r _ row_id perms size cpid _ nattch uid _ < <(segment_row "$key")
ok "after the writer exited, /proc/sysvipc/shm still lists shmid $shmid at the key" \
    test "${row_id:-}" = "$shmid"
ok "... perms 600, size 100 (not a page), nattch 0, cpid the writer ($wpid), uid $me" \
    test "${perms:-} ${size:-} ${nattch:-} ${cpid:-} ${uid:-}" = "600 100 0 $wpid $me"
ok "ipcs -m: key in hex, perms 600, bytes 100, nattch 0" \
    grep -Eq "^$key +$shmid +[^ ]+ +600 +100 +0 *$" <(ipcs -m)

run --vg reader "$keypath" 65
ok "reader exits 0" status_is 0
ok "reader derives the same key" out_has "reader: key $key from ftok\(\"$keypath\", 65\)"
ok "reader finds the writer's shmid" out_has "reader: found shmid $shmid"
ok "IPC_STAT: owner is me, mode 600" out_has "reader: shm_perm: owner uid $me \(me\), mode 600"
ok "IPC_STAT: shm_segsz 100, the size asked" out_has 'reader: shm_segsz 100: the size asked, .*'
ok "IPC_STAT: shm_nattch 0" out_has 'reader: shm_nattch 0: .*'
ok "IPC_STAT: shm_cpid is the writer's pid, which has exited" \
    out_has "reader: shm_cpid $wpid: its creator, which has exited: the segment outlived it"
ok "reader removes it" out_has "reader: removed shmid $shmid: the key is free again"
ok "... and no segment is left at the key" no_segment "$key"

# ---- shmget's errors, on purpose --------------------------------------------------------
run --vg shmget-errors "$keypath" 65
ok "shmget-errors exits 0" status_is 0
ok "IPC_CREAT|IPC_EXCL at a key that has a segment: EEXIST" \
    out_has 'shmget-errors: shmget\(key, 100, IPC_CREAT\|IPC_EXCL\|0600\) again: EEXIST'
ok "a size larger than the segment: EINVAL" \
    out_has 'shmget-errors: shmget\(key, 101, 0\), more than it has: EINVAL'
ok "no segment at the key, no IPC_CREAT: ENOENT" \
    out_has 'shmget-errors: shmget\(key, 100, 0\), no segment at the key now: ENOENT'
ok "creating with size 0: EINVAL" \
    out_has 'shmget-errors: shmget\(key, 0, IPC_CREAT\|IPC_EXCL\|0600\), size 0: EINVAL'
ok "... leaving nothing" no_segment "$key"

# ---- a second writer: EEXIST and what to do ----------------------------------------------
one_line() { status_is "$1" && err_is_one_line && err_has "$2"; }
status_and_err() { status_is "$1" && err_has "$2"; }
usage_fails() { status_is 2 && err_has "$1" && err_has "usage: $prog .*"; }
run writer "$keypath" 65
run writer "$keypath" 65
ok "a second writer: exit 1, one line naming EEXIST and the fix" one_line 1 \
    "writer: shmget\(key $key, 100, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST \(File exists\); 'ipcs -m' shows it; 'make clean-ipc' removes what this course left"
ok "Questions 2: the answer shows what the second writer printed" answer_matches 2 "$err"
run shmget-errors "$keypath" 65
ok "shmget-errors at a taken key: the same line" one_line 1 \
    "shmget-errors: shmget\(key $key, 100, IPC_CREAT\|IPC_EXCL\|0600\): EEXIST .*; 'ipcs -m' shows it; .*"
run reader "$keypath" 65
ok "the first writer's segment was still there: the reader removes it" \
    out_has 'reader: removed shmid [0-9]+: .*'

# ---- the reader's bounded wait --------------------------------------------------------------
run reader -t 1 "$keypath" 65
ok "a reader with no writer gives up after -t 1: exit 1" status_is 1
ok "... having said once what it waits for" \
    test "$(grep -c 'reader: waiting up to 1 s for the writer to create the segment' "$err")" = 1
ok "... then why it stopped" err_has "reader: no segment for key $key: timed out after 1 s"
ok "Questions 1: the answer shows what the reader printed" answer_matches 1 "$err"

start early reader -t 20 "$keypath" 65
wait_for_line "$TEST_TMP/early.err" 'reader: waiting up to 20 s for the writer'
run writer "$keypath" 65
finish early
ok "a reader started first finds the segment once the writer has run" status_is 0
ok "... and removes it" out_has 'reader: removed shmid [0-9]+: .*'
ok "... leaving nothing" no_segment "$key"

for sig in INT TERM; do
    start early reader -t 20 "$keypath" 65
    wait_for_line "$TEST_TMP/early.err" 'reader: waiting up to 20 s'
    kill -"$sig" "${pid[early]}"
    finish early
    ok "SIG$sig while the reader waits (Ctrl-C is SIGINT): exit 1, saying so" \
        status_and_err 1 "reader: no segment for key $key: interrupted by SIG$sig"
done
ok "... and nothing is left" no_segment "$key"

# ---- segments the reader refuses ------------------------------------------------------------
run writer "$keypath" 65 50
run reader -t 1 "$keypath" 65
ok "a 50-byte segment, the reader needs 100: refused, exit 1, one line" one_line 1 \
    "reader: shmid [0-9]+: it has 50 bytes, fewer than 100: refusing it"
ok "Questions 4: the answer shows what the reader printed" answer_matches 4 "$err"
ok "... and left alone" test -n "$(segment_row "$key")"
ipcrm -M "$key"

if command -v perl >/dev/null; then
    # Ours but mode 0666: planted with perl (no shell tool creates at a given key).
    # shellcheck disable=SC2016 # $id and @ARGV are perl's
    id=$(perl -e 'my $id = shmget(hex($ARGV[0]), 100, 01000 | 02000 | 0666);
                  defined $id or die "shmget: $!\n"; print "$id\n"' "$key")
    run reader -t 1 "$keypath" 65
    ok "a segment at our key with mode 0666 is refused: exit 1, one line" one_line 1 \
        "reader: shmid $id: its mode is 666, not 600: refusing it"
    ok "... and left alone" test -n "$(segment_row "$key")"
    ipcrm -m "$id"
else
    skip "a segment at our key with mode 0666 is refused" "perl is not installed"
fi

# Another user's segments: only the real root can become another user.
if really_root && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null && command -v perl >/dev/null &&
   runuser -u nobody -- test -x "$LESSON_DIR/writer"; then
    shared=$(mktemp -d "${TMPDIR:-/tmp}/shmget-other.XXXXXX")
    chmod 0755 "$shared"
    other_key=$(ftok_key "$shared" 65)
    runuser -u nobody -- "$LESSON_DIR/writer" "$shared" 65 >/dev/null
    run reader -t 1 "$shared" 65
    ok "a segment at our key owned by another user is refused: exit 1, one line" one_line 1 \
        "reader: shmid [0-9]+: it belongs to uid $(id -u nobody), not to you: refusing it"
    runuser -u nobody -- "$LESSON_DIR/reader" "$shared" 65 >"$out" 2>"$err"
    ok "... its owner's reader removes it" no_segment "$other_key"

    "$LESSON_DIR/writer" "$shared" 65 >/dev/null
    runuser -u nobody -- "$LESSON_DIR/reader" -t 1 "$shared" 65 >"$out" 2>"$err"
    status=$?
    ok "another user's 0600 segment: shmget(key, 0, 0) finds it, IPC_STAT gives EACCES" \
        one_line 1 "reader: shmctl\([0-9]+, IPC_STAT\): EACCES \(Permission denied\)"
    # shellcheck disable=SC2016 # @ARGV is perl's
    runuser -u nobody -- perl -e 'defined shmget(hex($ARGV[0]), 0, 0600) and exit 1;
                                  print $!{EACCES} ? "EACCES\n" : "$!\n"' "$other_key" >"$out"
    ok "... and shmget(key, 0, 0600), asking for read-write, gives EACCES" out_has EACCES
    run reader "$shared" 65
    ok "... root's own reader removes it" no_segment "$other_key"

    # Created by nobody, then given to us with IPC_SET: the creator keeps its access.
    cat >"$shared/give.c" <<'GIVE'
#include <stdlib.h>
#include <sys/shm.h>
int main(int argc, char *argv[])   /* give KEY UID: create at KEY, hand it to UID */
{
    struct shmid_ds ds;
    int id = shmget((key_t) strtoul(argv[argc - 2], NULL, 0), 100, IPC_CREAT | IPC_EXCL | 0600);
    if (id == -1 || shmctl(id, IPC_STAT, &ds) == -1)
        return 1;
    ds.shm_perm.uid = (uid_t) atoi(argv[argc - 1]);
    return shmctl(id, IPC_SET, &ds) == -1;
}
GIVE
    if "${CC:-cc}" -o "$shared/give" "$shared/give.c" && runuser -u nobody -- "$shared/give" "$other_key" "$(id -u)"; then
        run reader -t 1 "$shared" 65
        ok "a segment another user made and gave us (IPC_SET): refused by its creator (cuid)" one_line 1 \
            "reader: shmid [0-9]+: uid $(id -u nobody) created it \(and keeps access\): refusing it"
        ipcrm -M "$other_key"
    else
        ok "a segment made by nobody and given to us with IPC_SET" false
    fi
    rm -f "$shared/give" "$shared/give.c"
    rmdir "$shared"
else
    skip "another user's segments: refused, or EACCES" "needs the real root, perl and a user nobody who can run the writer"
fi

# ---- Questions 3: writer.c without IPC_EXCL, or with mode 0666 -------------------------------
# Built from a copy of writer.c with one change, as a learner would make it.
variant() {
    local name=$1 from=$2 to=$3
    grep -qF "$from" "$LESSON_DIR/writer.c" || return 1
    sed "s/$from/$to/" "$LESSON_DIR/writer.c" >"$TEST_TMP/$name.c"
    "${CC:-cc}" -std=c11 -I"$LESSON_DIR/../../common" -o "$TEST_TMP/$name" \
        "$TEST_TMP/$name.c" "$LESSON_DIR/../../common/course.c"
}
if variant writer-no-excl 'IPC_CREAT | IPC_EXCL | 0600' 'IPC_CREAT | 0600'; then
    # "." is $TEST_TMP (the current directory), as the README runs it in the lesson's
    "$TEST_TMP/writer-no-excl" . 65 >"$TEST_TMP/first.out"
    "$TEST_TMP/writer-no-excl" . 65 >"$TEST_TMP/second.out"
    status=$?
    first=$(field_of "$TEST_TMP/first.out" '^writer: created shmid' 4)
    ok "without IPC_EXCL a second writer silently reuses the segment (same shmid)" \
        has_line "$TEST_TMP/second.out" "writer: created shmid $first 100 bytes, mode 0600"
    ok "Questions 3: the answer shows what the second writer printed" \
        answer_matches 3 "$TEST_TMP/second.out"
    ipcrm -M "$key"
else
    ok "writer.c creates with IPC_CREAT | IPC_EXCL | 0600 (Questions 3 edits that)" false
fi
if variant writer-0666 'IPC_CREAT | IPC_EXCL | 0600' 'IPC_CREAT | IPC_EXCL | 0666'; then
    "$TEST_TMP/writer-0666" "$keypath" 65 >/dev/null
    run reader -t 1 "$keypath" 65
    ok "with 0666 in writer.c the reader refuses the segment" \
        one_line 1 "reader: shmid [0-9]+: its mode is 666, not 600: refusing it"
    ipcrm -M "$key"
fi

# ---- what takes a segment besides IPC_RMID ---------------------------------------------------
if unshare --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --ipc)
elif unshare --user --map-root-user --ipc true 2>/dev/null; then
    fresh_ipc=(unshare --user --map-root-user --ipc)
else
    fresh_ipc=()
fi
if (( ${#fresh_ipc[@]} )); then
    # shellcheck disable=SC2016 # $1 belongs to the inner shell
    "${fresh_ipc[@]}" bash -c '"$1" "$2" 65 && grep -c . /proc/sysvipc/shm' \
        _ "$LESSON_DIR/writer" "$keypath" >"$out" 2>"$err"
    ok "a segment made in an IPC namespace lives there (header + 1 row)..." out_has 2
    ok "... and ends with it: not here" no_segment "$key"
    # shellcheck disable=SC2016 # $1 belongs to the inner shell
    "${fresh_ipc[@]}" bash -c 'echo 1 >/proc/sys/kernel/shm_rmid_forced && "$1" "$2" 65 &&
                               grep -c . /proc/sysvipc/shm' \
        _ "$LESSON_DIR/writer" "$keypath" >"$out" 2>"$err"
    ok "with shm_rmid_forced=1 the unattached segment goes when its creator exits" out_has 1
    # Limits are per namespace too: shmmni 0 (no segment at all), shmmax 99.
    for limit in shmmni=0 shmmax=99; do
        # shellcheck disable=SC2016 # $1 and "$@" belong to the inner shell
        "${fresh_ipc[@]}" bash -c 'echo "${1#*=}" >"/proc/sys/kernel/${1%=*}" && shift && exec "$@"' \
            _ "$limit" "$LESSON_DIR/writer" "$keypath" 65 >"$out" 2>"$err" </dev/null
        status=$?
        [[ $limit == shmmni=0 ]] && errno=ENOSPC || errno=EINVAL
        ok "$limit: creating 100 bytes gives $errno, exit 1, one line" one_line 1 \
            "writer: shmget\(key $key, 100, IPC_CREAT\|IPC_EXCL\|0600\): $errno .*"
    done
else
    skip "IPC namespaces, shm_rmid_forced, shmmni and shmmax" "no IPC namespace can be made here"
fi

# ---- strace shows the calls ---------------------------------------------------------------------
run writer "$keypath" 65
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    strace -o "$TEST_TMP/strace.txt" -e trace=ipc "$LESSON_DIR/reader" "$keypath" 65 >"$out" 2>"$err"
    ok "strace -e trace=ipc shows the reader's shmget and shmctl calls" \
        grep -Eqz "shmget\($key, 0, 0+\) += [0-9]+.*shmctl\([0-9]+, IPC_STAT, .*shm_segsz=100.*shmctl\([0-9]+, IPC_RMID, NULL\) += 0" \
        "$TEST_TMP/strace.txt"
else
    run reader "$keypath" 65
    skip "strace -e trace=ipc shows the calls" "strace is missing or cannot trace here"
fi
ok "... nothing is left at the key" no_segment "$key"

# ---- arguments (the full matrix comes from the args file) ------------------------------------
for prog in writer reader shmget-errors; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" out_has "usage: $prog .*KEYPATH.*"
    run "$prog" "$TEST_TMP/missing"
    ok "$prog with a missing KEYPATH: usage error, exit 2" usage_fails "$prog: KEYPATH .*"
done
prog=writer
run writer -t 5 "$keypath"
ok "writer does not wait: -t is refused" usage_fails "writer: unknown option .*"
