#!/usr/bin/env bash
# bench/replay/replay.sh: what `record --replayable` costs and how fast a
# replay runs. Paired rounds (tracing alone, then tracing + the replay log,
# alternately), medians of RUNS rounds:
#   - echo_server with in-process clients, and http_hello with in-process
#     clients: throughput with the log / throughput tracing alone (goal
#     >= 0.8) and the log's bytes per second;
#   - sleepy (bench/replay/sleepy.c, sleep-dominated): the recorded wall
#     time / the wall time of `coscope replay` (goal >= 10).
# Prints `name: value unit (goal ...: hit|miss)` lines.
# Usage: bench/replay/replay.sh [BUILD_DIR]   (default: build-bench)
# Knobs: RUNS=5, ECHO_BYTES=16777216 (per client, 4 clients),
# HTTP_CLIENTS=50, HTTP_REQUESTS=2000.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
RUNS=${RUNS:-5}
ECHO_BYTES=${ECHO_BYTES:-16777216}
HTTP_CLIENTS=${HTTP_CLIENTS:-50}
HTTP_REQUESTS=${HTTP_REQUESTS:-2000}
COSCOPE=$BUILD/bin/coscope
ECHO=$BUILD/examples/echo_server
HTTP=$BUILD/examples/http_hello
SLEEPY=$BUILD/bench/replay/sleepy
for b in "$COSCOPE" "$ECHO" "$HTTP" "$SLEEPY"; do
    [ -x "$b" ] || { echo "replay.sh: $b is not built" >&2; exit 1; }
done
TMP=$(mktemp -d /tmp/coscope-bench-replay.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ns() { date +%s%N; }
# timed [VAR=VALUE...] CMD...: its wall time in ns on stdout (its output dropped); fails
# when it does.
timed() {
    local t0
    t0=$(ns)
    env "$@" >/dev/null 2>&1 || return 1
    echo $(($(ns) - t0))
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
calc() { awk "BEGIN {printf \"%.3g\", $1}"; }
verdict() { awk "BEGIN {exit !($1)}" && echo hit || echo miss; }

# pair NAME CMD...: RUNS paired rounds; prints the median throughput ratio
# (replayable / tracing alone) and the median log bytes per second.
pair() {
    local name=$1
    shift
    local ratios=() rates=() a b
    for ((r = 1; r <= RUNS; r++)); do
        rm -f "$TMP/$name".*
        a=$(timed COSCOPE_TRACE="$TMP/$name.jsonl" "$@") || { echo "replay.sh: $name failed" >&2; exit 1; }
        rm -f "$TMP/$name".*
        b=$(timed COSCOPE_TRACE="$TMP/$name.jsonl" COSCOPE_REPLAY_LOG="$TMP/$name.replay" "$@") ||
            { echo "replay.sh: $name --replayable failed" >&2; exit 1; }
        ratios+=("$(calc "$a / $b")")
        rates+=("$(calc "$(stat -c %s "$TMP/$name.replay") / ($b / 1e9)")")
    done
    local ratio rate
    ratio=$(printf '%s\n' "${ratios[@]}" | median)
    rate=$(printf '%s\n' "${rates[@]}" | median)
    echo "replay_${name}_throughput_ratio: $ratio x (goal >= 0.8: $(verdict "$ratio >= 0.8"))"
    echo "replay_${name}_log_rate: $(calc "$rate / 1e6") MB/s"
}

pair echo "$ECHO" --clients 4 --bytes "$ECHO_BYTES"
pair http "$HTTP" --clients "$HTTP_CLIENTS" --requests "$HTTP_REQUESTS"

# Replay speed: the recorded wall time over the replay's, paired per round.
speeds=()
for ((r = 1; r <= RUNS; r++)); do
    rm -f "$TMP"/sleepy.*
    rec=$(timed "$COSCOPE" record --replayable -o "$TMP/sleepy.jsonl" -- "$SLEEPY") ||
        { echo "replay.sh: sleepy record failed" >&2; exit 1; }
    play=$(timed "$COSCOPE" replay "$TMP/sleepy.jsonl" -- "$SLEEPY") ||
        { echo "replay.sh: sleepy replay failed or differed" >&2; exit 1; }
    speeds+=("$(calc "$rec / $play")")
    last_rec=$rec last_play=$play
done
speed=$(printf '%s\n' "${speeds[@]}" | median)
echo "replay_sleepy_recorded_ms: $(calc "$last_rec / 1e6") ms (last round)"
echo "replay_sleepy_replay_ms: $(calc "$last_play / 1e6") ms (last round, with the check)"
echo "replay_sleepy_speedup: $speed x (goal >= 10: $(verdict "$speed >= 10"))"
