#!/usr/bin/env bash
# Lesson 10 test: the writer's memfd is in no directory, only in /proc (its fd link
# and maps: /memfd:shm-course-10 (deleted)); it reaches an unrelated reader as a
# descriptor over DIR/memfd-10.sock, a socket of mode 700 that is removed once a
# reader connects and on every way out (timeout, SIGINT, SIGTERM; only kill -KILL
# leaves it). The reader checks the control message, then the seals (0x7) before the
# size, maps the writer's inode, copies the message, and its SEEN reaches the writer,
# which by then maps the memfd with its descriptor closed (python plays a reader to
# see that, and a stranger whose descriptors the reader refuses: none, two, three, a
# pipe, unsealed, too small, a bad header, silence). bind refuses a file, a symlink,
# a dead writer's socket, a live writer's (EADDRINUSE, rm hint). anon-fork: a
# MAP_SHARED|MAP_ANONYMOUS page (/dev/zero (deleted)) carries the child's message to
# the parent. seals: SIGBUS after ftruncate(fd, 0) with no seals; EBUSY, 0x7 and
# EPERM with them. The README's Questions that change a program are built and run.
# shellcheck source=tests/lib.sh disable=SC2154 # pid is declared there
. "$TESTS_DIR/lib.sh"

SOCK=memfd-10.sock
TEXT='hello through a memfd'
MEMFD='/memfd:shm-course-10 \(deleted\)'

new_dir() { mkdir -m 700 "$TEST_TMP/$1" && printf '%s\n' "$TEST_TMP/$1"; }
no_file() { [[ ! -e "$1" && ! -L "$1" ]]; }
empty_dir() { [[ -z "$(ls -A "$1")" ]]; }
fails_with() { status_is 1 && err_is_one_line && err_has "$prog: $1"; }
# A wait that ended: exit 1, the notice "waiting up to ..." and then this line.
gave_up() { status_is 1 && err_has "$prog: waiting up to .*" && err_has "$prog: $1"; }
# Refused: exit 1, one line (after the notice, when the reader had to wait).
refuses() { status_is 1 && [[ $(grep -vc ': waiting up to ' "$err") == 1 ]] && err_has "$prog: $1"; }
wait_socket() { local _; for _ in {1..500}; do [[ -S "$1" ]] && return 0; sleep 0.01; done; return 1; }
usage_shown() { status_is 0 && out_has "usage: $1( .*)?"; }
# The targets of process PID's descriptors, one a line.
fd_links() { local f; for f in "/proc/$1/fd/"*; do readlink "$f"; done 2>/dev/null; }
# The inode of the memfd in FILE: /proc/PID/maps, or a program's output (FIELD 7).
memfd_inode() { awk -v n="${2:-5}" '/\/memfd:shm-course-10 \(deleted\)$/ { print $n; exit }' "$1"; }
waiting() { wait_for_line "$TEST_TMP/$1.err" "^$2: waiting up to $3 s for .*"; }
done_with() { finish "$1"; prog=$2; }
usage_fails() { status_is 2 && err_has "$prog: $1"; }
bind_refused() { fails_with "bind\\($1/$SOCK\\): EADDRINUSE .*" && [[ -e "$1/$SOCK" || -L "$1/$SOCK" ]]; }
HAVE_PY=0
python3 -c 'import fcntl, os, socket; socket.send_fds; os.memfd_create' 2>/dev/null && HAVE_PY=1
# broken DIR PROG SED: build PROG.c with one change (a Questions item) as DIR/PROG.
broken() {
    mkdir -p "$TEST_TMP/$1" && sed "$3" "$LESSON_DIR/$2.c" >"$TEST_TMP/$1/$2.c" &&
        ! cmp -s "$TEST_TMP/$1/$2.c" "$LESSON_DIR/$2.c" &&
        "${CC:-cc}" -std=c11 -I"$LESSON_DIR/../../common" -o "$TEST_TMP/$1/$2" \
            "$TEST_TMP/$1/$2.c" "$LESSON_DIR/../../common/course.c"
}
# Built in the background while the pair runs; used in the batch of waits below.
broken b-unsealed writer 's/if (fcntl(fd, F_ADD_SEALS,/if (0 \&\& fcntl(fd, F_ADD_SEALS,/' &
build_unsealed=$!
broken b-nosealing writer 's/MFD_CLOEXEC | MFD_ALLOW_SEALING)/MFD_CLOEXEC)/' &
build_nosealing=$!
broken b-private anon-fork 's/MAP_SHARED | MAP_ANONYMOUS/MAP_PRIVATE | MAP_ANONYMOUS/' &
build_private=$!

# ---- the pair, writer first, both under valgrind -------------------------------------
d=$(new_dir pair)
start --vg writer writer "$d"
waiting writer writer 10
wpid=${pid[writer]}
ok "the waiting writer's socket file: a socket of ours, mode 700 (umask 077)" \
    [ "$(stat -c '%F %a %u' "$d/$SOCK")" = "socket 700 $(id -u)" ]
ok "the writer's /proc/PID/fd shows its memfd: /memfd:shm-course-10 (deleted)" \
    grep -qx '/memfd:shm-course-10 (deleted)' <(fd_links "$wpid")
inode=$(memfd_inode "/proc/$wpid/maps")
ok "... and so do its maps, rw-s (inode ${inode:-none})" \
    grep -Eq "rw-s 00000000 [0-9a-f:]+ ${inode:-x} +$MEMFD$" "/proc/$wpid/maps"
ok "... the memfd is in no directory: nothing of it in /dev/shm or DIR" \
    [ -z "$(find /dev/shm "$d" -name '*shm-course-10*' 2>/dev/null)" ]
start --vg reader reader "$d"
finish reader
ok "reader exits 0" status_is 0
r=$out
finish writer
ok "writer exits 0" status_is 0
w=$out
ok "the writer made, sized and sealed the memfd" \
    has_line "$w" "writer: memfd fd [0-9]+, 4096 bytes, sealed F_SEAL_SHRINK\|F_SEAL_GROW\|F_SEAL_SEAL"
ok "... wrote the message, then READY" has_line "$w" "writer: wrote \"$TEXT\", then state READY"
ok "... removed the socket file once the reader connected" \
    has_line "$w" "writer: a reader connected to $d/$SOCK; removed it"
ok "... sent the descriptor and closed its own" has_line "$w" 'writer: sent fd [0-9]+ \(SCM_RIGHTS\) and closed it'
ok "... and saw the reader's SEEN in its own mapping" has_line "$w" 'writer: the reader marked it SEEN'
ok "the reader's new descriptor is the memfd: /proc/self/fd/N -> /memfd:shm-course-10 (deleted)" \
    has_line "$r" "reader: received fd ([0-9]+): /proc/self/fd/\1 -> $MEMFD"
ok "the reader sees seals 0x7 (SEAL|SHRINK|GROW) before it trusts the 4096 bytes" \
    has_line "$r" 'reader: seals 0x7 \(F_SEAL_SHRINK\|F_SEAL_GROW set\): its 4096 bytes stay'
ok "the reader's mapping is rw-s, of the writer's memfd (one inode)" \
    [ -n "$inode" ] && [ "$(memfd_inode "$r" 7)" = "$inode" ]
ok "the reader gets exactly the writer's text" has_line "$r" "reader: \"$TEXT\"; marked it SEEN"
ok "nothing is left in DIR" empty_dir "$d"

# ---- reader first --------------------------------------------------------------------------
d=$(new_dir early)
start early reader -t 20 "$d"
wait_for_line "$TEST_TMP/early.err" "^reader: waiting up to 20 s for the writer's socket $SOCK$"
run writer "$d"
ok "a writer started second completes" status_is 0
finish early
ok "a reader started first waits for the socket, then gets the message" \
    has_line "$out" "reader: \"$TEXT\"; marked it SEEN"
ok "... and nothing is left" empty_dir "$d"

# ---- python plays the other side: a reader that checks the writer, a stranger --------
# fake_reader SOCKET GO MODE: take the descriptor, print the message header, wait for
# the file GO, then mark SEEN (MODE seen) or not (never).
fake_reader() {
    python3 - "$@" <<'PY'
import os, socket, sys, time
path, go, mode = sys.argv[1:]
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(path)
_, fds, _, _ = socket.recv_fds(s, 1, 4)
head = os.pread(fds[0], 64, 0)
print(head[:4].decode(), *(int.from_bytes(head[i:i + 4], "little") for i in (4, 8)),
      head[12:12 + int.from_bytes(head[8:12], "little")].decode(), os.fstat(fds[0]).st_size,
      flush=True)
end = time.monotonic() + 20
while not os.path.exists(go) and time.monotonic() < end:
    time.sleep(0.01)
if mode == "seen":
    os.pwrite(fds[0], (3).to_bytes(4, "little"), 4)
PY
}
# stranger SOCKET MODE...: listen at SOCKET, and to each reader in turn send MODE:
# a byte with no fd, two or three fds, an unsealed memfd, a small one, a pipe, a bad
# header, or nothing at all (silent: until the reader hangs up).
stranger() {
    python3 - "$@" <<'PY'
import fcntl, os, socket, sys
path, *modes = sys.argv[1:]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(4)
srv.settimeout(30)                      # never a hang, whatever the test does
def memfd(size, seals=fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW, head=b""):
    fd = os.memfd_create("shm-course-10", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, size)
    os.pwrite(fd, head, 0)
    if seals:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    return fd
for mode in modes:
    conn, _ = srv.accept()
    fds = {"nofd": [], "two": [memfd(4096), memfd(4096)], "three": [memfd(4096)] * 3,
           "unsealed": [memfd(4096, 0)], "small": [memfd(100)], "pipe": [os.pipe()[0]],
           "badhead": [memfd(4096, head=b"XXXX\2\0\0\0\5\0\0\0hello")]}.get(mode)
    if fds is None:
        conn.settimeout(30)
        conn.recv(1)
    else:
        socket.send_fds(conn, [b"M"], fds)
    conn.close()
os.unlink(path)
PY
}
if (( HAVE_PY )); then
    prog=reader
    d=$(new_dir strange)
    stranger "$d/$SOCK" nofd two three unsealed small pipe badhead >"$TEST_TMP/stranger.out" 2>&1 &
    spid=$!
    wait_socket "$d/$SOCK"
    run reader -t 5 "$d"
    ok "a stranger sends a byte with no descriptor: refused" \
        refuses "$d/$SOCK: not one byte with one descriptor: refusing it"
    run reader -t 5 "$d"
    ok "... two descriptors (cmsg_len too long): refused" \
        refuses "$d/$SOCK: not one byte with one descriptor: refusing it"
    run reader -t 5 "$d"
    ok "... three descriptors (MSG_CTRUNC): refused" \
        refuses "$d/$SOCK: not one byte with one descriptor: refusing it"
    run reader -t 5 "$d"
    ok "... a memfd with no seals: refused before its size is looked at" \
        refuses "fd [0-9]+: seals 0x0 lack F_SEAL_SHRINK\|F_SEAL_GROW: refusing it"
    ok "... (its memfd carries the writer's label: a label, not a name)" \
        out_has "reader: received fd ([0-9]+): /proc/self/fd/\1 -> $MEMFD"
    run reader -t 5 "$d"
    ok "... a sealed memfd of 100 bytes: refused" \
        refuses "fd [0-9]+: it has 100 bytes, fewer than 4096: refusing it"
    run reader -t 5 "$d"
    ok "... a pipe: F_GET_SEALS fails with EINVAL" refuses "fcntl\(fd [0-9]+, F_GET_SEALS\): EINVAL .*"
    run reader -t 5 "$d"
    ok "... a memfd whose header is not the course's: refused" \
        refuses "memfd: no message header of this course there \(bad magic\): refusing it"
    wait "$spid"
    ok "... and the stranger saw every reader (its socket is gone)" no_file "$d/$SOCK"
else
    skip "a stranger's descriptors are refused" "python3 with socket.send_fds is missing"
fi

# Another user's writer listening at the name, in a directory all may write (as
# /tmp): only the real root can play one. The reader asks who listens (SO_PEERCRED).
as_nobody() { setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups "$@"; }
if really_root && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null &&
   as_nobody test -x "$LESSON_DIR/writer"; then
    prog=reader
    shared=$(mktemp -d "${TMPDIR:-/tmp}/memfd-other.XXXXXX") && chmod 0777 "$shared"
    # Not through the function: $! must be the writer itself (setpriv execs it).
    setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
        "$LESSON_DIR/writer" -t 10 "$shared" >/dev/null 2>&1 </dev/null &
    opid=$!
    wait_socket "$shared/$SOCK"
    run reader -t 5 "$shared"
    ok "another user's writer at the socket (a shared DIR): refused, one line" \
        refuses "$shared/$SOCK: its writer is uid $(id -u nobody), not you: refusing it"
    kill -TERM "$opid" 2>/dev/null
    wait "$opid"
    ok "... and that writer, stopped, is gone" test ! -e "/proc/$opid"
    rm -rf "$shared"
else
    skip "another user's writer is refused (SO_PEERCRED)" "needs the real root, setpriv and a user nobody who can run the writer"
fi

# ---- every wait that ends by itself (-t 1) or by a signal, all at once ---------------
# Timeouts, SIGINT, SIGTERM, a regular file and a dead writer's socket at the name, a
# stranger who sends nothing, a writer killed while it waits for SEEN; with them the
# Questions' programs that time out, and anon-fork and seals under valgrind.
for n in lone-w lone-r int-w term-w int-r file stale silent seen-int unsealed; do
    new_dir "$n" >/dev/null
done
start lone-w writer -t 1 "$TEST_TMP/lone-w"
start lone-r reader -t 1 "$TEST_TMP/lone-r"
start int-w writer -t 20 "$TEST_TMP/int-w"
start term-w writer -t 20 "$TEST_TMP/term-w"
start int-r reader -t 20 "$TEST_TMP/int-r"
(umask 077 && : >"$TEST_TMP/file/$SOCK")
start file-r reader -t 1 "$TEST_TMP/file"
start killed writer -t 20 "$TEST_TMP/stale"
start --vg anon-fork anon-fork
start --vg seals seals
if wait "$build_unsealed"; then
    start unsealed-r reader "$TEST_TMP/unsealed"
    LESSON_DIR=$TEST_TMP/b-unsealed start b-unsealed writer -t 1 "$TEST_TMP/unsealed"
fi
if wait "$build_private"; then
    LESSON_DIR=$TEST_TMP/b-private start b-private anon-fork -t 1
fi
if (( HAVE_PY )); then
    stranger "$TEST_TMP/silent/$SOCK" silent >"$TEST_TMP/silent.out" 2>&1 &
    silent_pid=$!
    start seen-w writer -t 20 "$TEST_TMP/seen-int"
fi
waiting int-w writer 20 && waiting term-w writer 20 && waiting int-r reader 20 && waiting killed writer 20
ok "a waiting writer's socket file exists" [ -S "$TEST_TMP/int-w/$SOCK" ]
kill -INT "${pid[int-w]}"
kill -TERM "${pid[term-w]}"
kill -INT "${pid[int-r]}"
kill -KILL "${pid[killed]}"
{ finish killed; } 2>/dev/null
start stale-r reader -t 1 "$TEST_TMP/stale"
if (( HAVE_PY )); then
    wait_socket "$TEST_TMP/silent/$SOCK"
    start silent-r reader -t 1 "$TEST_TMP/silent"
    waiting seen-w writer 20
    fake_reader "$TEST_TMP/seen-int/$SOCK" "$TEST_TMP/go" never >"$TEST_TMP/fake-int.out" 2>&1 &
    fake_pid=$!
    wait_for_line "$TEST_TMP/seen-w.out" '^writer: sent fd'
    kill -INT "${pid[seen-w]}"
fi
if [[ -n "${pid[b-unsealed]:-}" ]]; then
    done_with unsealed-r reader
    ok "Questions, writer.c without F_ADD_SEALS: the reader refuses the memfd (seals 0x0)" \
        refuses "fd [0-9]+: seals 0x0 lack F_SEAL_SHRINK\|F_SEAL_GROW: refusing it"
    done_with b-unsealed writer
    ok "... and the writer gives up waiting for SEEN" gave_up 'memfd: not seen: timed out after 1 s'
else
    ok "Questions: writer.c without F_ADD_SEALS builds" false
fi
if [[ -n "${pid[b-private]:-}" ]]; then
    done_with b-private anon-fork
    ok "Questions, anon-fork.c with MAP_PRIVATE: the child writes its own copy, rw-p" \
        out_has 'anon-fork: maps: .* rw-p 00000000 .*'
    ok "... the parent never sees READY: gives up after -t 1" \
        gave_up "no message from the child: timed out after 1 s"
    ok "Questions 3: the answer shows what anon-fork printed" answer_matches 3 "$err"
else
    ok "Questions: anon-fork.c with MAP_PRIVATE builds" false
fi
done_with lone-w writer
ok "a writer with no reader gives up after -t 1" gave_up "$TEST_TMP/lone-w/$SOCK: no reader: timed out after 1 s"
ok "... and removes its socket file" empty_dir "$TEST_TMP/lone-w"
done_with int-w writer
ok "SIGINT (Ctrl-C) while the writer waits for a reader: exit 1, one line" \
    gave_up "$TEST_TMP/int-w/$SOCK: no reader: interrupted by SIGINT"
ok "... and the socket file is removed" empty_dir "$TEST_TMP/int-w"
done_with term-w writer
ok "SIGTERM while the writer waits: the same" gave_up "$TEST_TMP/term-w/$SOCK: no reader: interrupted by SIGTERM"
ok "... and the socket file is removed" empty_dir "$TEST_TMP/term-w"
done_with lone-r reader
ok "a reader with no writer gives up after -t 1" gave_up "no writer at $TEST_TMP/lone-r/$SOCK: timed out after 1 s"
done_with int-r reader
ok "SIGINT while the reader waits for the socket: exit 1" gave_up "no writer at $TEST_TMP/int-r/$SOCK: interrupted by SIGINT"
done_with file-r reader
ok "a regular file at the name: connect gives ECONNREFUSED, the reader waits, gives up" \
    gave_up "no writer at $TEST_TMP/file/$SOCK: timed out after 1 s"
ok "kill -KILL of a waiting writer leaves its socket file (nothing can clean up)" [ -S "$TEST_TMP/stale/$SOCK" ]
done_with stale-r reader
ok "... a reader finds nobody listening there (ECONNREFUSED) and gives up" \
    gave_up "no writer at $TEST_TMP/stale/$SOCK: timed out after 1 s"
if (( HAVE_PY )); then
    done_with silent-r reader
    ok "a stranger who accepts and sends nothing: the reader gives up after -t 1" \
        gave_up "$TEST_TMP/silent/$SOCK: no descriptor: timed out after 1 s"
    wait "$silent_pid"
    done_with seen-w writer
    ok "SIGINT while the writer waits for SEEN: exit 1, one line" \
        gave_up "memfd: not seen: interrupted by SIGINT"
    ok "... its socket file was already removed" empty_dir "$TEST_TMP/seen-int"
    touch "$TEST_TMP/go"
    wait "$fake_pid"
    rm -f "$TEST_TMP/go"
else
    skip "a stranger who sends nothing; SIGINT while the writer waits for SEEN" "python3 with socket.send_fds is missing"
fi

# ---- anon-fork and seals (run under valgrind in the batch above) ------------------------
done_with anon-fork anon-fork
ok "anon-fork exits 0" status_is 0
ok "the anonymous shared mapping is rw-s, shown as /dev/zero (deleted)" \
    out_has 'anon-fork: maps: [0-9a-f]+-[0-9a-f]+ rw-s 00000000 [0-9a-f:]+ [0-9]+ +/dev/zero \(deleted\)'
ok "the child writes the message" out_has 'anon-fork: child: wrote "hello from the child", then state READY'
ok "the parent reads it in its own page" \
    out_has 'anon-fork: parent: "hello from the child", stored by the child into our page'
ok "... and reaps the child" out_has 'anon-fork: parent: the child exited with status 0'
done_with seals seals
ok "seals exits 0" status_is 0
ok "no seals: ftruncate(fd, 0) under the mapping, the next load is SIGBUS" \
    out_has 'seals: no seals, after ftruncate\(fd, 0\): a load from the mapping killed the child with SIGBUS'
ok "F_SEAL_WRITE with a writable shared mapping: EBUSY" \
    out_has 'seals: F_ADD_SEALS F_SEAL_WRITE, with our writable shared mapping: EBUSY'
ok "F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL: F_GET_SEALS gives 0x7" \
    out_has 'seals: F_ADD_SEALS F_SEAL_SHRINK\|F_SEAL_GROW\|F_SEAL_SEAL: done; F_GET_SEALS: 0x7'
ok "sealed: ftruncate to 0 (shrink) is EPERM" out_has 'seals: ftruncate\(fd, 0\): EPERM'
ok "sealed: ftruncate to 8192 (grow) is EPERM" out_has 'seals: ftruncate\(fd, 8192\): EPERM'
ok "after F_SEAL_SEAL no seal can be added: EPERM" \
    out_has 'seals: F_ADD_SEALS F_SEAL_WRITE, after F_SEAL_SEAL: EPERM'
ok "sealed: the mapping stays safe to load from" out_has 'seals: sealed: a load from the mapping works'

# ---- names the writer refuses: bind never replaces or follows a file ------------------
prog=writer
for what in file stale; do
    d=$TEST_TMP/$what
    run writer "$d"
    ok "a $what at the socket name: bind gives EADDRINUSE, one line, with rm PATH" \
        fails_with "bind\($d/$SOCK\): EADDRINUSE \(Address already in use\); left by an earlier run\? remove it: rm $d/$SOCK"
    ok "... and it is left alone" [ -e "$d/$SOCK" ]
    if [[ $what == stale ]]; then
        ok "Questions 4: the answer shows what the next writer printed" answer_matches 4 "$err"
    fi
    rm -f "$d/$SOCK"
done
d=$(new_dir link)
ln -s "$d/victim" "$d/$SOCK"
run writer "$d"
ok "a dangling symlink at the name: EADDRINUSE, the link left alone" bind_refused "$d"
ok "... nothing created at its target" no_file "$d/victim"
rm -f "$d/$SOCK"
d=$(new_dir twice)
start first writer -t 20 "$d"
waiting first writer 20
sock_inode=$(stat -c %i "$d/$SOCK")
run writer "$d"
ok "a second writer while one waits: EADDRINUSE" bind_refused "$d"
ok "... the first one's socket left alone" [ "$(stat -c %i "$d/$SOCK")" = "$sock_inode" ]
run reader "$d"
ok "... and the reader still meets the first writer" out_has "reader: \"$TEXT\"; marked it SEEN"
finish first
ok "... which completes" status_is 0
if wait "$build_nosealing"; then
    LESSON_DIR=$TEST_TMP/b-nosealing run writer "$d"
    ok "Questions, writer.c without MFD_ALLOW_SEALING: F_ADD_SEALS fails with EPERM" \
        fails_with "fcntl\(memfd, F_ADD_SEALS, F_SEAL_SHRINK\|F_SEAL_GROW\|F_SEAL_SEAL\): EPERM .*"
    ok "Questions 2: the answer shows what the writer printed" answer_matches 2 "$err"
    ok "... and it has made no socket file" empty_dir "$d"
else
    ok "Questions: writer.c without MFD_ALLOW_SEALING builds" false
fi

# ---- a reader played by python: the layout, and the writer's fd closed, mapping kept --
if (( HAVE_PY )); then
    d=$(new_dir fake)
    start fw writer "$d"
    waiting fw writer 10
    fake_reader "$d/$SOCK" "$TEST_TMP/go" seen >"$TEST_TMP/fake.out" 2>&1 &
    fake_pid=$!
    wait_for_line "$TEST_TMP/fw.out" '^writer: sent fd'
    wait_for_line "$TEST_TMP/fake.out" '^SHM1'
    ok "the memfd holds the message: magic SHM1, state READY (2), length 21, the text, 4096 bytes" \
        has_line "$TEST_TMP/fake.out" "SHM1 2 21 $TEXT 4096"
    ok "the writer waiting for SEEN has closed its descriptor..." \
        test -z "$(fd_links "${pid[fw]}" | grep memfd)"
    ok "... and still maps the memfd (the mapping keeps it)" grep -Eq "$MEMFD$" "/proc/${pid[fw]}/maps"
    touch "$TEST_TMP/go"
    wait "$fake_pid"
    finish fw
    ok "a SEEN stored by another process through its own descriptor reaches the writer" \
        out_has 'writer: the reader marked it SEEN'
else
    skip "the memfd's layout seen by another process" "python3 with socket.send_fds is missing"
fi


# ---- arguments (the full bad-input matrix is tests/checks/bad-input, from args) --------
for prog in writer reader anon-fork seals; do
    run "$prog" --help
    ok "$prog --help: usage on stdout, exit 0" usage_shown "$prog"
    run "$prog" "$TEST_TMP" "$TEST_TMP"
    ok "$prog with too many arguments: usage error, exit 2" usage_fails "too many arguments, from .*"
done
long=$TEST_TMP/$(printf 'd%.0s' {1..100})
mkdir "$long"
for prog in writer reader; do
    run "$prog" "$long"
    ok "$prog: a DIR too long for a socket address (108 bytes): usage error" \
        usage_fails "DIR '.*' is too long for a socket address"
done
rmdir "$long"
ok "no socket file is left anywhere in the test directory" [ -z "$(find "$TEST_TMP" -type s)" ]
