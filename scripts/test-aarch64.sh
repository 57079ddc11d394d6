#!/bin/sh
# Cross-builds the context-switch test for aarch64 and runs it under qemu, so
# runtime/switch_aarch64.S is exercised on an x86-64 machine. Needs
# gcc-aarch64-linux-gnu and qemu-user (scripts/deps.sh installs them).
set -eu
cd "$(dirname "$0")/.."
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "test-aarch64: aarch64-linux-gnu-gcc or qemu-aarch64 missing" >&2
    exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for variant in asm portable; do
    defs=""
    srcs="runtime/switch_aarch64.S"
    if [ $variant = portable ]; then defs="-DCO_PORTABLE_SWITCH=1"; srcs=""; fi
    aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static \
        $defs -Iruntime tests/runtime/test_switch.c runtime/ctx.c $srcs \
        -o "$out/test_switch_$variant"
    printf 'aarch64 %s: ' $variant
    qemu-aarch64 "$out/test_switch_$variant"
done
