#!/bin/bash
# bench/record/flight.sh: what flight mode costs, against tracing off and a
# full trace. http_hello with its in-process clients (50 connections x R
# pipelined requests: the loop does both sides, so the emit cost shows in
# full), 5 paired rounds in rotating order; then the echo server under
# bench_echo (4 connections, E bytes, 8192-byte chunks: the per-I/O cost),
# off and flight, 5 paired rounds. Prints `name: value unit`: median wall
# time / throughput per mode, the median of each round's ratio to off, the
# peak RSS (flight mode holds its ring: 64 MB unless COSCOPE_FLIGHT gives a
# size), and the goal (flight mode loses at most 2 % against off) with hit
# or miss for each. Usage: flight.sh [BUILD_DIR] [R] [E]   (default build,
# 20000, 1 GiB); ECHO_PORT (default 47311) must be free on 127.0.0.1.
set -eu
build=${1:-build}
reqs=${2:-20000}
ebytes=${3:-1073741824}
H=$build/examples/http_hello
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # mode -> "seconds rss_kb"
    rm -f "$tmp"/*.jsonl
    case $1 in
    off) env -u COSCOPE_TRACE -u COSCOPE_FLIGHT /usr/bin/time -f "%e %M" \
             "$H" --clients 50 --requests "$reqs" ;;
    flight) env COSCOPE_TRACE="$tmp/t.jsonl" COSCOPE_FLIGHT=2s /usr/bin/time -f "%e %M" \
             "$H" --clients 50 --requests "$reqs" ;;
    on) env -u COSCOPE_FLIGHT COSCOPE_TRACE="$tmp/t.jsonl" /usr/bin/time -f "%e %M" \
             "$H" --clients 50 --requests "$reqs" ;;
    esac 2>&1 >/dev/null | tail -1
}
for round in 1 2 3 4 5; do
    case $round in 1|4) order="off flight on" ;; 2|5) order="flight on off" ;; *) order="on off flight" ;; esac
    for m in $order; do echo "$round $m $(run $m)"; done
done > "$tmp/runs"
med() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for m in off flight on; do
    printf 'http_hello_%s_wall: %s s\n' $m "$(awk -v m=$m '$2==m {print $3}' "$tmp/runs" | med)"
    printf 'http_hello_%s_peak_rss: %s KB\n' $m "$(awk -v m=$m '$2==m {print $4}' "$tmp/runs" | med)"
done
for m in flight on; do
    r=$(awk -v m=$m '$2=="off" {off[$1]=$3} $2==m {x[$1]=$3} END {for (k in x) print x[k]/off[k]}' \
        "$tmp/runs" | med)
    printf 'http_hello_%s_vs_off: %s x wall\n' $m "$r"
done

# ---- echo: bench_echo against echo_server, off and flight ----
S=$build/examples/echo_server
B=$build/bench/echo/bench_echo
port=${ECHO_PORT:-47311}
up() { # until the server accepts, 10 s at most
    for _ in $(seq 100); do
        kill -0 "$1" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
erun() { # mode -> MB/s
    if [ "$1" = flight ]; then
        COSCOPE_TRACE="$tmp/e.jsonl" COSCOPE_FLIGHT=2s "$S" --port "$port" --chunk 8192 \
            >/dev/null 2>&1 &
    else
        env -u COSCOPE_TRACE -u COSCOPE_FLIGHT "$S" --port "$port" --chunk 8192 >/dev/null 2>&1 &
    fi
    local pid=$!
    up "$pid" || { echo "flight.sh: echo_server did not start" >&2; exit 1; }
    "$B" --port "$port" --conns 4 --bytes "$ebytes" | awk '$1=="echo_mb_s:" {print $2}'
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}
for round in 1 2 3 4 5; do
    if [ $((round % 2)) = 1 ]; then order="off flight"; else order="flight off"; fi
    for m in $order; do echo "$round $m $(erun $m)"; done
done > "$tmp/eruns"
for m in off flight; do
    printf 'echo_%s_mb_s: %s MB/s\n' $m "$(awk -v m=$m '$2==m {print $3}' "$tmp/eruns" | med)"
done
er=$(awk '$2=="off" {off[$1]=$3} $2=="flight" {x[$1]=$3} END {for (k in x) print x[k]/off[k]}' \
    "$tmp/eruns" | med)
printf 'echo_flight_vs_off: %s x throughput\n' "$er"

# ---- the goal: flight mode costs the emit alone, <= 2 % ----
hr=$(awk -v m=flight '$2=="off" {off[$1]=$3} $2==m {x[$1]=$3} END {for (k in x) print x[k]/off[k]}' \
    "$tmp/runs" | med)
hit() { awk -v v="$1" -v op="$2" 'BEGIN {print (op == "le" ? v <= 1.02 : v >= 0.98) ? "hit" : "miss"}'; }
printf 'goal_http_hello_flight: <= 1.02 x wall: %s (%s)\n' "$hr" "$(hit "$hr" le)"
printf 'goal_echo_flight: >= 0.98 x throughput: %s (%s)\n' "$er" "$(hit "$er" ge)"
