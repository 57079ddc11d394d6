#!/bin/bash
# bench/record/flight.sh: what flight mode costs, against tracing off and a
# full trace. http_hello with its in-process clients (50 connections x R
# pipelined requests: the loop does both sides, so the emit cost shows in
# full): FLIGHT_PAIRS rounds (default 9) of four modes in rotating order
# (off, flight, full tracing, and untraced with an idle second thread),
# each run 3 rounds of the load in one process (the goal reads rounds 2
# and 3). Then the echo server under bench_echo (4 connections, E bytes a
# turn, 8192-byte chunks: the per-I/O cost), off and flight side by side,
# taking turns. Prints `name: value unit`: median wall time / throughput
# per mode, the median of the pairs' ratios to off with their quartiles
# (for echo also of the server's CPU seconds per GiB), the peak RSS
# (flight mode holds its ring: 64 MB unless COSCOPE_FLIGHT gives a size),
# and the goal (flight mode loses at most 2 % against off) with hit or miss
# for each. Beside each http_hello wall time: the process's CPU time (user
# + system, both threads). Usage: flight.sh [BUILD_DIR] [R] [E] (default
# build, 20000, 1 GiB); each echo server is measured after a warm-up of
# FLIGHT_WARM bytes (default 4 GiB); ECHO_PORT and the port after it
# (default 47311) must be free on 127.0.0.1.
set -eu
build=${1:-build}
reqs=${2:-20000}
ebytes=${3:-1073741824}
warm=${FLIGHT_WARM:-4294967296}
pairs=${FLIGHT_PAIRS:-9}
epairs=${FLIGHT_ECHO_PAIRS:-$((pairs * 2))}
H=$build/examples/http_hello
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One run: 3 rounds of the client load in one process (--rounds). Prints
# "wall rss_kb cpu steady": the whole run's wall time, peak RSS and CPU
# seconds (user + system), and the mean
# of rounds 2 and 3 -- sustained: by then flight mode's 64 MB ring has been
# filled once (a first pass zeroes each page; a server that stays up pays
# that once, in its first seconds).
run() { # mode
    rm -f "$tmp"/*.jsonl
    case $1 in
    off) set -- env -u COSCOPE_TRACE -u COSCOPE_FLIGHT ;;
    flight) set -- env COSCOPE_TRACE="$tmp/t.jsonl" COSCOPE_FLIGHT=2s ;;
    on) set -- env -u COSCOPE_FLIGHT COSCOPE_TRACE="$tmp/t.jsonl" ;;
    thread) set -- env -u COSCOPE_TRACE -u COSCOPE_FLIGHT LD_PRELOAD="$idle" ;;
    esac
    "$@" /usr/bin/time -o "$tmp/time" -f "%e %M %U %S" \
        "$H" --clients 50 --requests "$reqs" --rounds 3 > "$tmp/out"
    echo "$(tail -1 "$tmp/time" | awk '{print $1, $2, $3 + $4}') $(awk '$1=="round" && $2!="1:" {s+=$3; n++} END {print s/n}' "$tmp/out")"
}
# thread: untraced, with one more thread that only sleeps (a preload,
# bench/record/idle_thread.c): what a second thread costs the loop, apart
# from what the recorder does
idle=$(cd "$build" && pwd)/bench/record/libidle_thread.so
[ -f "$idle" ] || { echo "flight.sh: $idle is not built" >&2; exit 1; }
modes="off flight on thread"
for round in $(seq "$pairs"); do
    order=$(echo $modes $modes | cut -d' ' -f$((round % 4 + 1))-$((round % 4 + 4)))
    for m in $order; do echo "$round $m $(run $m)"; done
done > "$tmp/runs"
med() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# "q1 median q3" of a column of numbers (nearest rank): the spread of the
# pairs' ratios, printed beside each median ratio
quart() {
    sort -n | awk '{v[NR]=$1} END {
        q1 = int((NR + 3) / 4); q3 = NR + 1 - q1
        printf "%s (quartiles %s-%s of %d)", v[int((NR+1)/2)], v[q1], v[q3], NR}'
}
for m in $modes; do
    printf 'http_hello_%s_wall: %s s\n' $m "$(awk -v m=$m '$2==m {print $3}' "$tmp/runs" | med)"
    printf 'http_hello_%s_steady_round: %s s\n' $m "$(awk -v m=$m '$2==m {print $6}' "$tmp/runs" | med)"
    printf 'http_hello_%s_cpu: %s s\n' $m "$(awk -v m=$m '$2==m {print $5}' "$tmp/runs" | med)"
    printf 'http_hello_%s_peak_rss: %s KB\n' $m "$(awk -v m=$m '$2==m {print $4}' "$tmp/runs" | med)"
done
ratios() { # column mode: each pair's ratio to off
    awk -v c="$1" -v m="$2" '$2=="off" {off[$1]=$c} $2==m {x[$1]=$c} END {for (k in x) print x[k]/off[k]}' \
        "$tmp/runs"
}
ratio() { ratios "$@" | med; }
for m in flight on thread; do
    printf 'http_hello_%s_vs_off: %s x wall (the whole run, first pass included)\n' $m "$(ratios 3 $m | quart)"
    printf 'http_hello_%s_steady_vs_off: %s x wall (rounds 2 and 3)\n' $m "$(ratios 6 $m | quart)"
    printf 'http_hello_%s_cpu_vs_off: %s x CPU time (the whole run)\n' $m "$(ratios 5 $m | quart)"
done

# ---- echo: bench_echo against echo_server, off and flight ----
# Both servers stay up side by side (ports P and P+1) and the client takes
# turns between them, E bytes a turn, FLIGHT_ECHO_PAIRS pairs of turns
# (default 2 x FLIGHT_PAIRS; off first in odd pairs): the two halves of a pair are a second or so apart,
# so what else the VM runs weighs on both alike, where a server per run
# left minutes between the pairs' halves. The idle one sleeps in epoll;
# flight mode's writer wakes at least every 50 ms, counted against off.
S=$build/examples/echo_server
B=$build/bench/echo/bench_echo
port=${ECHO_PORT:-47311}
up() { # pid port: until the server accepts, 10 s at most
    for _ in $(seq 100); do
        kill -0 "$1" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# A server's CPU seconds so far, all its threads: the kernel's schedstat
# (ns on a CPU), not stat's 10 ms ticks.
cpu_of() {
    cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.6f\n", s / 1e9}'
}
env -u COSCOPE_TRACE -u COSCOPE_FLIGHT "$S" --port "$port" --chunk 8192 >/dev/null 2>&1 &
off_pid=$!
COSCOPE_TRACE="$tmp/e.jsonl" COSCOPE_FLIGHT=2s "$S" --port $((port + 1)) --chunk 8192 \
    >/dev/null 2>&1 &
flight_pid=$!
trap 'kill $off_pid $flight_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
up $off_pid "$port" && up $flight_pid $((port + 1)) ||
    { echo "flight.sh: echo_server did not start" >&2; exit 1; }
# Sustained, not the first pass: a warm-up of W bytes on each first fills
# flight mode's 64 MB ring (2 records of 64 B per 8 KiB chunk: 4 GiB),
# whose first pass zeroes each page once; a server that stays up pays that
# once, in its first seconds.
"$B" --port "$port" --conns 4 --bytes "$warm" >/dev/null
"$B" --port $((port + 1)) --conns 4 --bytes "$warm" >/dev/null
eturn() { # mode -> "MB/s server-CPU-s-per-GiB" of one turn
    local pid=$off_pid p=$port c0 mb c1
    [ "$1" = flight ] && pid=$flight_pid p=$((port + 1))
    c0=$(cpu_of "$pid")
    mb=$("$B" --port "$p" --conns 4 --bytes "$ebytes" | awk '$1=="echo_mb_s:" {print $2}')
    c1=$(cpu_of "$pid")
    echo "$mb $(awk -v a="$c0" -v b="$c1" -v n="$ebytes" 'BEGIN {print (b - a) / (n / 1073741824)}')"
}
for round in $(seq "$epairs"); do
    if [ $((round % 2)) = 1 ]; then order="off flight"; else order="flight off"; fi
    for m in $order; do echo "$round $m $(eturn $m)"; done
done > "$tmp/eruns"
kill $off_pid $flight_pid
wait $off_pid $flight_pid 2>/dev/null || true
for m in off flight; do
    printf 'echo_%s_mb_s: %s MB/s\n' $m "$(awk -v m=$m '$2==m {print $3}' "$tmp/eruns" | med)"
done
eratios() { # column
    awk -v c="$1" '$2=="off" {off[$1]=$c} $2=="flight" {x[$1]=$c} END {for (k in x) if (off[k] > 0) print x[k]/off[k]}' \
        "$tmp/eruns"
}
er=$(eratios 3 | med)
printf 'echo_flight_vs_off: %s x throughput\n' "$(eratios 3 | quart)"
printf 'echo_flight_cpu_vs_off: %s x server CPU per GiB (off %s s/GiB)\n' "$(eratios 4 | quart)" \
    "$(awk '$2=="off" {print $4}' "$tmp/eruns" | med)"

# ---- the goal: flight mode costs the emit alone, <= 2 % ----
hr=$(ratio 6 flight) # sustained: rounds 2 and 3
hit() { awk -v v="$1" -v op="$2" 'BEGIN {print (op == "le" ? v <= 1.02 : v >= 0.98) ? "hit" : "miss"}'; }
# the median decides; the quartiles say how far the pairs agree with it
printf 'goal_http_hello_flight: <= 1.02 x wall, sustained: %s: %s\n' "$(ratios 6 flight | quart)" \
    "$(hit "$hr" le)"
printf 'goal_echo_flight: >= 0.98 x throughput, sustained: %s: %s\n' "$(eratios 3 | quart)" \
    "$(hit "$er" ge)"
