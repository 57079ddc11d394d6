#!/usr/bin/env bash
# bench/http_tax.sh: what tracing costs examples/http_hello under wrk
# (issue 13), in paired runs: each pair is one run with tracing off and one
# with COSCOPE_TRACE, back to back, the order flipping each pair, so both
# share whatever the shared VM is doing then. Prints `name: value` lines
# with the goals and hit / MISS:
#   throughput loss (median of each pair's on/off req/s ratio) <= 3 %
#   CPU per request added (server user+sys, loop and writer threads) <= 10 %
#   trace bytes per request >= 30 % fewer than 5.6 lines x 70 B = 392 B
# With FLIGHT=2s the traced side is flight mode instead (COSCOPE_FLIGHT:
# records kept in memory, nothing written; issue 15) and the goals are
# flight's: throughput loss <= 2 %, and the CPU it adds, reported.
# Usage: bench/http_tax.sh [BUILD_DIR]   (default build-bench; Release)
# Knobs: PAIRS (5), SECS (10), WARM (1), PORT (18090), FLIGHT (unset).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
PAIRS=${PAIRS:-5}
SECS=${SECS:-10}
WARM=${WARM:-1}
PORT=${PORT:-18090}
FLIGHT=${FLIGHT:-}
HELLO=$BUILD/examples/http_hello
TRACE=/tmp/coscope-http-tax-$$.jsonl
LOG=${LOG_DIR:-$BUILD/bench-logs}/http-tax
CLK_TCK=$(getconf CLK_TCK)
mkdir -p "$LOG"
command -v wrk >/dev/null || { echo "http_tax: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$HELLO" ] || cmake --build "$BUILD" -j2 --target http_hello >"$LOG/build.log" 2>&1 ||
    { echo "http_tax: cannot build http_hello in $BUILD" >&2; exit 1; }

SRV=
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -f "$TRACE"' EXIT
calc() { awk "BEGIN {print ($*)}"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
verdict() { [ "$(calc "($1) ? 1 : 0")" = 1 ] && echo hit || echo MISS; }
# user+sys seconds of every thread, and of the coscope-writer thread alone
cpu_s() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$CLK_TCK" '{print ($12 + $13) / hz}'; }
writer_s() {
    local t s=0
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = coscope-writer ] &&
            s=$(sed 's/.*) //' "$t/stat" | awk -v hz="$CLK_TCK" -v s="$s" '{print s + ($12 + $13) / hz}')
    done
    echo "$s"
}
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# one_run MODE PAIR: prints "rps cpu_us_per_req writer_us_per_req bytes_per_req lines_per_req"
one_run() {
    local mode=$1 r=$2 dur=$((WARM + SECS + 2))
    rm -f "$TRACE"
    if [ "$mode" = on ] && [ -n "$FLIGHT" ]; then
        COSCOPE_TRACE=$TRACE COSCOPE_FLIGHT=$FLIGHT "$HELLO" --port "$PORT" --duration "$dur" \
            >>"$LOG/server.log" 2>&1 &
    elif [ "$mode" = on ]; then
        COSCOPE_TRACE=$TRACE "$HELLO" --port "$PORT" --duration "$dur" >>"$LOG/server.log" 2>&1 &
    else
        env -u COSCOPE_FLIGHT "$HELLO" --port "$PORT" --duration "$dur" >>"$LOG/server.log" 2>&1 &
    fi
    SRV=$!
    wait_port || { echo "http_tax: http_hello did not start" >&2; exit 1; }
    wrk -t2 -c100 -d"${WARM}s" "http://127.0.0.1:$PORT/" >"$LOG/wrk-$mode.$r.warm.log" 2>&1
    wrk -t2 -c100 -d"${SECS}s" "http://127.0.0.1:$PORT/" >"$LOG/wrk-$mode.$r.log" 2>&1
    local cpu w
    cpu=$(cpu_s "$SRV")
    w=$(writer_s "$SRV")
    wait "$SRV" # http_hello exits at --duration, which ends the trace cleanly
    SRV=
    local reqs rps bytes=0 lines=0
    reqs=$(cat "$LOG/wrk-$mode.$r.warm.log" "$LOG/wrk-$mode.$r.log" | awk '/requests in/ {n += $1} END {print n}')
    rps=$(sed -n 's/^Requests\/sec: *//p' "$LOG/wrk-$mode.$r.log")
    if [ "$mode" = on ] && [ -z "$FLIGHT" ]; then
        bytes=$(stat -c %s "$TRACE")
        lines=$(wc -l <"$TRACE")
    fi
    echo "$rps $(calc "$cpu / $reqs * 1e6") $(calc "$w / $reqs * 1e6") $(calc "$bytes / $reqs") $(calc "$lines / $reqs")"
}

RATIO=() CPU_RATIO=() OFF=() ON=() COFF=() CON=() WR=() BPR=() LPR=()
for r in $(seq "$PAIRS"); do
    if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
    for mode in $order; do
        read -r rps cpu w b l <<<"$(one_run "$mode" "$r")"
        echo "pair $r tracing $mode: $rps req/s, $cpu us CPU/req${b:+, $b B/req}" >&2
        if [ "$mode" = on ]; then
            on_rps=$rps on_cpu=$cpu
            ON+=("$rps") CON+=("$cpu") WR+=("$w") BPR+=("$b") LPR+=("$l")
        else
            off_rps=$rps off_cpu=$cpu
            OFF+=("$rps") COFF+=("$cpu")
        fi
    done
    RATIO+=("$(calc "$on_rps / $off_rps")")
    CPU_RATIO+=("$(calc "$on_cpu / $off_cpu")")
done

LOSS=$(calc "(1 - $(median "${RATIO[@]}")) * 100")
TAX=$(calc "($(median "${CPU_RATIO[@]}") - 1) * 100")
if [ -n "$FLIGHT" ]; then
    printf 'http_flight_rps_off: %.0f req/s\n' "$(median "${OFF[@]}")"
    printf 'http_flight_rps_on: %.0f req/s (COSCOPE_FLIGHT=%s)\n' "$(median "${ON[@]}")" "$FLIGHT"
    printf 'http_flight_throughput_loss: %.1f %% (goal <= 2 %%: %s; median of %d pairs'"'"' flight/off ratios)\n' \
        "$LOSS" "$(verdict "$LOSS <= 2")" "$PAIRS"
    printf 'http_flight_cpu_per_req: %.2f us off, %.2f us flight (the writer thread, folding: %.2f us)\n' \
        "$(median "${COFF[@]}")" "$(median "${CON[@]}")" "$(median "${WR[@]}")"
    printf 'http_flight_cpu_tax: %.1f %% (loop + writer threads, median of pair ratios)\n' "$TAX"
    printf 'http_load_average_after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi
B=$(median "${BPR[@]}")
FEWER=$(calc "(1 - $B / 392) * 100")
printf 'http_rps_off: %.0f req/s\n' "$(median "${OFF[@]}")"
printf 'http_rps_on: %.0f req/s\n' "$(median "${ON[@]}")"
printf 'http_throughput_loss: %.1f %% (goal <= 3 %%: %s; median of %d pairs'"'"' on/off ratios)\n' \
    "$LOSS" "$(verdict "$LOSS <= 3")" "$PAIRS"
printf 'http_cpu_per_req_off: %.2f us\n' "$(median "${COFF[@]}")"
printf 'http_cpu_per_req_on: %.2f us (the writer thread: %.2f us)\n' "$(median "${CON[@]}")" "$(median "${WR[@]}")"
printf 'http_cpu_tax: %.1f %% (goal <= 10 %%: %s; loop + writer threads, median of pair ratios)\n' \
    "$TAX" "$(verdict "$TAX <= 10")"
printf 'http_trace_bytes_per_req: %.1f B, %.2f lines (goal >= 30 %% fewer than 392 B: %.1f %% fewer, %s)\n' \
    "$B" "$(median "${LPR[@]}")" "$FEWER" "$(verdict "$FEWER >= 30")"
printf 'http_load_average_after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
