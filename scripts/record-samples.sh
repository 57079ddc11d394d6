#!/bin/sh
# scripts/record-samples.sh [BUILD_DIR]: records the sample traces in
# traces/ from the example programs (COSCOPE_TRACE), small enough to commit
# (each must stay under 1 MB). traces/README.md says what each one shows.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
[ -d "$BUILD" ] || BUILD=$ROOT/$BUILD
BUILD=$(cd "$BUILD" && pwd)
EX=$BUILD/examples
OUT=$ROOT/traces
LIMIT=1048576

for p in crawler fib_server echo_server stall_demo deadlock_demo; do
    if [ ! -x "$EX/$p" ]; then
        echo "record-samples: $EX/$p is missing: build first" >&2
        exit 1
    fi
done
mkdir -p "$OUT"

# record NAME EXPECTED_STATUS PROGRAM ARGS...
record() {
    name=$1 want=$2
    shift 2
    trace=$OUT/$name.jsonl
    rm -f "$trace"
    status=0
    COSCOPE_TRACE=$trace "$@" >/dev/null 2>&1 || status=$?
    if [ "$status" -ne "$want" ]; then
        echo "record-samples: $* exited $status, expected $want" >&2
        exit 1
    fi
    size=$(wc -c <"$trace")
    if [ "$size" -ge "$LIMIT" ]; then
        echo "record-samples: $trace is $size bytes (limit $LIMIT)" >&2
        exit 1
    fi
    if ! tail -n 1 "$trace" | grep -q '"ev":"end"'; then
        echo "record-samples: $trace does not end with an end event" >&2
        exit 1
    fi
    printf '%-22s %8d bytes %6d lines\n' "$name.jsonl" "$size" \
        "$(wc -l <"$trace")"
}

record crawler 0 "$EX/crawler"
record fib_blocking 0 "$EX/fib_server" --clients 2 --requests 2 --n 35
record fib_offload 0 "$EX/fib_server" --offload --clients 2 --requests 2 --n 35
record echo 0 "$EX/echo_server" --clients 4 --bytes 20000
record stall 0 "$EX/stall_demo"
record deadlock 1 "$EX/deadlock_demo"

# The sample traces have golden `--json` outputs (tests/cli/test_samples.c).
if [ -x "$BUILD/tests/cli/test_samples" ]; then
    COSCOPE_REGEN=1 "$BUILD/tests/cli/test_samples" >/dev/null 2>&1 &&
        echo "regenerated tests/cli/golden/samples/ (review the diff)"
else
    echo "now regenerate tests/cli/golden/samples/: COSCOPE_REGEN=1 BUILD/tests/cli/test_samples"
fi
