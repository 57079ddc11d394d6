#!/bin/sh
# scripts/tsan-tests.sh [BUILD_DIR]: the tests of coscope's threads under
# ThreadSanitizer (clang-14): the recorder's loop / writer protocol and
# crash-free stop (test_record), the exporters' writing thread (test_sink)
# and the reader's parse threads and follower (test_read, test_read_files,
# test_follow). Tests that run coroutines are left out: TSan does not follow
# a stack switch it is not told of. So is test_record.api, which forks while
# the writer runs (TSan refuses a fork with threads). Any report fails the
# test (halt_on_error). ASLR is switched off for the run (setarch -R): the
# TSan of clang 14 cannot map its shadow under some kernels' randomisation.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-tsan}
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS="-fsanitize=thread -O1 -g" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
    -DCOSCOPE_VIEWER=OFF > /dev/null
cmake --build "$build" -j "$(nproc)" \
    --target test_record test_sink test_read test_read_files test_follow
cd "$build"
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
    setarch "$(uname -m)" -R ctest --output-on-failure -j "$(nproc)" \
    -R '^(test_record|test_sink|test_read|test_read_files|test_follow)\.' \
    -E '^test_record\.api$'
