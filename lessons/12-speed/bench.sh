#!/usr/bin/env bash
# bench.sh - lesson 12: every figure of the lesson, measured in one go.
#
# Usage: bench.sh [--quick]        (make bench; make run is bench.sh --quick)
#
# Each run measures every method once, in turn: ./ring and ./baselines for 64 B,
# 4 KiB and 64 KiB messages, then ./handoff. Interleaved, a noisy neighbour slows
# every method alike and the ratios hold. Prints the medians of 7 runs of 200 ms
# per figure, the ratios the lesson quotes, and with gnuplot draws the deck's chart,
# slides/build/12-speed-chart.svg (the deck shows slides/12-speed-chart.svg, this
# one from a 2-core VM). --quick: one run of 20 ms per figure, no chart.
set -u
export LC_ALL=C          # numbers with a decimal point, whatever the locale
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1
runs=7 ms=200 chart=../../slides/build/12-speed-chart.svg
[[ ${1:-} == --quick ]] && runs=1 ms=20 chart=
results=$(mktemp) || exit 1
trap 'rm -f -- "$results"' EXIT

[[ -n $chart ]] && echo "bench: $runs runs of every figure, $ms ms each: about 25 s" >&2
for ((run = 1; run <= runs; run++)); do
    for size in 64 4096 65536; do
        ./ring "$size" "$ms" && ./baselines "$size" "$ms" || exit 1
    done
    ./handoff "$ms" || exit 1
done >"$results"

# The median of every figure, as lines "METHOD SIZE VALUE" (SIZE 0: a round trip).
medians() {
    sed -E 's/^[a-z]+: //; s/ round trip: / 0 /; s/, ([0-9]+)-byte messages: / \1 /
            s/^([a-z]+) ([a-z]+) /\1_\2 /; s/ (MiB\/s|us).*//' "$results" |
        sort -k1,1 -k2,2n -k3,3g |
        awk '{ key = $1 " " $2; v[key, ++n[key]] = $3 }
             END { for (k in n) print k, (n[k] % 2) ? v[k, (n[k] + 1) / 2] \
                                         : (v[k, n[k] / 2] + v[k, n[k] / 2 + 1]) / 2 }'
}
declare -A m
while read -r method size value; do m[$method/$size]=$value; done < <(medians)

# A ratio as 4.1x, or 40x from 10 up. A figure of 0 (under 0.05 MiB/s: the machine
# far too busy) counts as 0.05, and the ratio says more (>) or less (<) than that.
bound='p = ""; if (b <= 0) { b = 0.05; p = ">" } else if (a <= 0) { a = 0.05; p = "<" }'
times() {
    awk -v a="$1" -v b="$2" "BEGIN { $bound"'
                                     r = a / b; printf("%s" (r < 0.1 ? "%.2fx\n" : r < 10 ? "%.1fx\n" : "%.0fx\n"), p, r) }'
}

[[ -n $chart ]] && mkdir -p "${chart%/*}"
if [[ -n $chart ]]; then
    echo "medians of $runs interleaved runs, $ms ms per figure, on $(nproc) CPUs"
else
    echo "quick pass: every figure once, $ms ms each, on $(nproc) CPUs (make bench: the real figures)"
fi
printf '%-18s %10s %10s %12s %10s\n' 'MiB/s' 'shm ring' pipe 'unix socket' memcpy
for size in 64 4096 65536; do
    label=$size\ B; (( size >= 1024 )) && label="$((size / 1024)) KiB"
    printf '%-18s %10.0f %10.0f %12.0f %10.0f\n' "$label messages" "${m[shm_ring/$size]}" \
        "${m[pipe/$size]}" "${m[unix_socket/$size]}" "${m[memcpy/$size]}"
done
printf '%-18s %10s %10s %12s\n' 'round trip, us' 'shared spin' futex pipe
printf '%-18s %10.2f %10.2f %12.2f\n' '' "${m[shared_spin/0]}" "${m[futex/0]}" "${m[pipe/0]}"

printf 'throughput: pipe, 4 KiB messages: %.0f MiB/s\n' "${m[pipe/4096]}"
echo "ratio: shm ring / pipe, 4 KiB messages: $(times "${m[shm_ring/4096]}" "${m[pipe/4096]}")"
echo "ratio: shm ring / unix socket, 4 KiB messages: $(times "${m[shm_ring/4096]}" "${m[unix_socket/4096]}")"
awk -v a="${m[shm_ring/4096]}" -v b="${m[memcpy/4096]}" \
    "BEGIN { $bound"' printf("ratio: shm ring / memcpy: %s%.0f%%\n", p, 100 * a / b) }'
echo "ratio: pipe round trip / shared spin round trip: $(times "${m[pipe/0]}" "${m[shared_spin/0]}")"
echo "ratio: pipe round trip / futex round trip: $(times "${m[pipe/0]}" "${m[futex/0]}")"

[[ -z $chart ]] && exit 0
if ! command -v gnuplot >/dev/null; then
    echo "bench: gnuplot is not installed: no chart; the table above is the result" >&2
    exit 0
fi
gnuplot <<EOF || exit 1
set terminal svg size 1000,460 dynamic font "DejaVu Sans,14" background "white"
set output "$chart"
set multiplot layout 1,2 title "make bench, $(date +%F), $(nproc) CPUs: medians of $runs interleaved runs"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set logscale y
set grid ytics
set key top center horizontal
set yrange [10:300000]
set title "throughput, MiB/s (log scale)"
\$t << END
size "shm ring" pipe "unix socket" memcpy
"64 B" ${m[shm_ring/64]} ${m[pipe/64]} ${m[unix_socket/64]} ${m[memcpy/64]}
"4 KiB" ${m[shm_ring/4096]} ${m[pipe/4096]} ${m[unix_socket/4096]} ${m[memcpy/4096]}
"64 KiB" ${m[shm_ring/65536]} ${m[pipe/65536]} ${m[unix_socket/65536]} ${m[memcpy/65536]}
END
plot for [i=2:5] \$t using i:xtic(1) title columnheader(i)
set title "round trip, microseconds (log scale)"
set key off
\$h << END
"shared spin" ${m[shared_spin/0]}
"futex" ${m[futex/0]}
"pipe" ${m[pipe/0]}
END
set yrange [0.1:300]
plot \$h using 2:xtic(1) linecolor rgb "#0969da", \$h using 0:2:(sprintf("%.2f us", \$2)) \
    with labels offset 0,1
unset multiplot
EOF
# The paths in full: make bench runs here, in the lesson, or from the top directory.
svg=$(cd "${chart%/*}" && pwd)/${chart##*/}
printf 'bench: chart written to %s; to show your figures in the deck: cp %q %q\n' \
    "$svg" "$svg" "${svg%/build/*}/" >&2
