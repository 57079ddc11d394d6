#!/bin/sh
# Builds the libFuzzer targets (clang-14, ASan+UBSan) in build-fuzz and runs
# them side by side on scratch copies of tests/fuzz/corpus, which is never
# grown: fuzz_read and fuzz_export for SECONDS/2 each, fuzz_view (the
# viewer's actions and layout) for SECONDS. Exits non-zero on any crash, leak, timeout or OOM, printing the
# input's saved path, a base64 and a hex dump. Usage: fuzz.sh [SECONDS]
#
# fuzz.sh --fixed RUNS: a gate that cannot flake, for CI: every target from
# one fixed seed for a fixed number of inputs (RUNS for fuzz_read and
# fuzz_export, RUNS/4 for the slower fuzz_view), the same mutations on every
# machine however fast. It finds what the corpus and those mutations reach;
# exploring with fresh seeds is the timed mode's job, run by hand, and what
# it finds goes into tests/fuzz/corpus (named found_*).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
fixed=0
if [ "${1:-}" = --fixed ]; then
    fixed=${2:?usage: fuzz.sh --fixed RUNS}
    secs=0
else
    secs=${1:-60}
fi
half=$((secs / 2))
[ "$half" -ge 1 ] || half=1
build=$root/build-fuzz
targets="fuzz_read fuzz_export fuzz_view"

# ---- the toolchain ----
command -v clang-14 >/dev/null 2>&1 || {
    echo "fuzz: clang-14 not found (sh scripts/deps.sh installs it)" >&2
    exit 1
}
rt=$(clang-14 -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$(uname -m).a
[ -e "$rt" ] || {
    echo "fuzz: $rt missing: install libclang-rt-14-dev (sh scripts/deps.sh)" >&2
    exit 1
}

# ---- build ----
if [ -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DENABLE_FUZZERS=ON -DENABLE_SANITIZERS=ON >/dev/null
else
    cmake -S "$root" -B "$build" -DENABLE_FUZZERS=ON -DENABLE_SANITIZERS=ON \
        -DCMAKE_C_COMPILER=clang-14 >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$build" -j 2 --target $targets >"$build/fuzz-build.log" 2>&1 || {
    tail -40 "$build/fuzz-build.log"
    echo "fuzz: build failed (log: $build/fuzz-build.log)" >&2
    exit 1
}

# ---- run ----
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coscope-fuzz.XXXXXX")
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
if [ "$fixed" -gt 0 ]; then
    echo "fuzz: $targets side by side, seed 1, $fixed inputs each (fuzz_view $((fixed / 4))), corpus tests/fuzz/corpus ($(ls tests/fuzz/corpus | wc -l) files)"
else
    echo "fuzz: $targets side by side (fuzz_view ${secs}s, the others ${half}s), corpus tests/fuzz/corpus ($(ls tests/fuzz/corpus | wc -l) files)"
fi
for t in $targets; do
    limit=$half
    [ "$t" = fuzz_view ] && limit=$secs
    budget="-max_total_time=$limit"
    if [ "$fixed" -gt 0 ]; then
        runs=$fixed
        [ "$t" = fuzz_view ] && runs=$((fixed / 4))
        budget="-seed=1 -runs=$runs"
        limit=1800 # the outer timeout's base: a last resort only
    fi
    mkdir -p "$tmp/$t/corpus" "$tmp/$t/artifacts"
    cp tests/fuzz/corpus/* "$tmp/$t/corpus/"
    exe=$(find "$build" -type f -name "$t" -perm -u+x | head -1)
    [ -n "$exe" ] || { echo "fuzz: no binary $t in $build" >&2; exit 1; }
    # -timeout: one input slower than 10 s is a hang; the outer timeout is a
    # last resort should libFuzzer itself get stuck.
    # shellcheck disable=SC2086
    timeout -k 10 $((limit + 120)) "$exe" "$tmp/$t/corpus" \
        $budget -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -dict=tests/fuzz/trace.dict -artifact_prefix="$tmp/$t/artifacts/" \
        -print_final_stats=1 >"$tmp/$t/log" 2>&1 &
    pids="$pids $!"
    eval "pid_$t=\$!"
done

fail=0
keep=$build/fuzz-artifacts
for t in $targets; do
    eval "p=\$pid_$t"
    rc=0
    wait "$p" || rc=$?
    init=$(grep -m1 'INITED' "$tmp/$t/log" | sed 's/.*INITED //' || true)
    done_line=$(grep 'DONE\|pulse' "$tmp/$t/log" | tail -1 | sed 's/^#[0-9]*[^c]*//' || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t/log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/$t/log")
    echo "fuzz: $t: seeds $init"
    echo "fuzz: $t: end   $done_line"
    echo "fuzz: $t: ${execs:-?} runs, ${speed:-?} exec/s, exit $rc"
    arts=$(ls "$tmp/$t/artifacts" 2>/dev/null || true)
    if [ "$rc" -ne 0 ] || [ -n "$arts" ]; then
        fail=1
        echo "fuzz: $t FAILED (exit $rc):"
        # the sanitizer's or libFuzzer's report, without the shadow map
        awk '/ERROR: |runtime error|deadly signal|ALARM|out-of-memory|Timeout/ {on=1}
             /Shadow bytes around/ {on=0} on' "$tmp/$t/log" | head -80
        grep -v '^#[0-9]' "$tmp/$t/log" | grep -v '^stat::' | tail -3
        mkdir -p "$keep"
        for a in $arts; do
            f=$keep/$t-$a
            cp "$tmp/$t/artifacts/$a" "$f"
            size=$(wc -c <"$f")
            echo "fuzz: input saved as $f ($size bytes)"
            echo "fuzz: reproduce: $(find "$build" -type f -name "$t" -perm -u+x | head -1) $f"
            echo "---- base64 (first 4096 bytes)"
            head -c 4096 "$f" | base64
            echo "---- hex (first 1024 bytes)"
            if command -v xxd >/dev/null 2>&1; then
                head -c 1024 "$f" | xxd
            else
                head -c 1024 "$f" | od -A x -t x1z
            fi
        done
    fi
done
pids=""
[ "$fail" -eq 0 ] && echo "fuzz: ok" || echo "fuzz: FAILED"
exit "$fail"
