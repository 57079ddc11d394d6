#!/bin/sh
# Runs the runtime, recorder and reader test cases under valgrind (memcheck,
# full leak check); any report fails. Usage: valgrind-tests.sh BUILD_DIR
set -eu
build=${1:-build}
cd "$build"
# Subprocess-heavy and timing-sensitive cases are run natively by ctest;
# here every case of these areas runs under memcheck.
ctest -N -R '^test_(core|trace|oom|io|work|record|read|read_oom|corpus|stacks)\.' | sed -n 's/^ *Test *#[0-9]*: //p' > vg-cases.txt
fail=0
n=0
while read -r t; do
    bin=${t%%.*}
    case_name=${t#*.}
    exe=$(find . -type f -name "$bin" -perm -u+x | head -1)
    [ -n "$exe" ] || { echo "valgrind: no binary for $t"; fail=1; continue; }
    n=$((n + 1))
    if ! (cd "$(dirname "$exe")" && valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite --trace-children=no \
            "./$bin" "$case_name" > /tmp/vg-$$.log 2>&1); then
        echo "valgrind: FAIL $t"; cat /tmp/vg-$$.log | tail -40; fail=1
    fi
done < vg-cases.txt
rm -f /tmp/vg-$$.log
echo "valgrind: $n cases, $([ $fail = 0 ] && echo clean || echo FAILED)"
exit $fail
