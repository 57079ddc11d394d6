#!/bin/sh
# Runs the whole suite N times with `ctest -j2` while a CPU-bound process
# competes for the cores, and reports every failing test of every run: a
# test that depends on timing it does not control shows up here.
# Usage: stress-tests.sh N [BUILD_DIR]   (default BUILD_DIR: build-stress,
# configured and built with ASan+UBSan if it does not exist yet; a build
# directory of its own, so that rebuilding build-asan meanwhile breaks no run).
# STRESS_EXCLUDE: a ctest -E regex of cases to leave out (say why when used).
set -eu
n=${1:?usage: stress-tests.sh N [BUILD_DIR]}
build=${2:-build-stress}
cd "$(dirname "$0")/.."
if [ ! -f "$build/CTestTestfile.cmake" ]; then
    cmake -S . -B "$build" -DENABLE_SANITIZERS=ON -DCMAKE_C_COMPILER=clang-14 \
        -DWERROR=ON > /dev/null
fi
cmake --build "$build" -j2 > "$build/stress-build.log" 2>&1 ||
    { tail -30 "$build/stress-build.log"; exit 1; }

# The competing load: one busy loop, stopped (by its own pid) on any exit.
sh -c 'while :; do :; done' &
hog=$!
trap 'kill "$hog" 2> /dev/null || true' EXIT
trap 'exit 130' INT TERM

log=$(mktemp)
failed_runs=0
i=1
while [ "$i" -le "$n" ]; do
    if (cd "$build" && ctest -j2 --output-on-failure ${STRESS_EXCLUDE:+-E "$STRESS_EXCLUDE"}) \
        > "$log" 2>&1; then
        echo "stress: run $i/$n ok ($(grep -o 'tests failed out of [0-9]*' "$log" | head -1 | sed 's/.* //') tests)"
    else
        failed_runs=$((failed_runs + 1))
        echo "stress: run $i/$n FAILED:"
        sed -n '/The following tests FAILED/,$p' "$log" | grep -v '^Errors while' || true
        cp "$log" "$build/stress-run-$i.log"
        echo "stress: full output in $build/stress-run-$i.log"
    fi
    i=$((i + 1))
done
rm -f "$log"
echo "stress: $n runs, $failed_runs failed"
[ "$failed_runs" = 0 ]
