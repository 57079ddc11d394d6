#!/bin/sh
# bench/record/flight.sh: what flight mode costs, against tracing off and a
# full trace. http_hello with its in-process clients (50 connections x R
# pipelined requests: the loop does both sides, so the emit cost shows in
# full), 5 paired rounds in rotating order. Prints `name: value unit`:
# median wall time per mode, the median of each round's ratio to off, and
# the peak RSS (flight mode holds its ring: 64 MB unless COSCOPE_FLIGHT
# gives a size). Usage: flight.sh [BUILD_DIR] [R]   (default build, 20000)
set -eu
build=${1:-build}
reqs=${2:-20000}
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
