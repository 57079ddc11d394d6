#!/bin/sh
# Installs the Debian packages coscope needs to build, test and benchmark.
# Idempotent: checks with pkg-config / command -v first and only calls apt-get
# when something is missing. Needs root for the install; says so otherwise.
# --ci also installs what CI alone uses: an aarch64 cross compiler and
# qemu-user (to run the aarch64 context switch).
set -eu

ci=0
[ "${1:-}" = "--ci" ] && ci=1

need_pc="libuv libcjson sdl2 SDL2_ttf SDL2_image libdw"
need_cmd="cmake pkg-config valgrind clang-14 xxd"
[ $ci = 1 ] && need_cmd="$need_cmd aarch64-linux-gnu-gcc qemu-aarch64"
need_file="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"

missing=0
for c in $need_cmd; do command -v "$c" >/dev/null 2>&1 || missing=1; done
if command -v pkg-config >/dev/null 2>&1; then
    for p in $need_pc; do pkg-config --exists "$p" || missing=1; done
else
    missing=1
fi
for f in $need_file; do
    case "$(uname -m)" in x86_64) ;; *) case "$f" in *fuzzer*) continue;; esac;; esac
    [ -e "$f" ] || missing=1
done

if [ "$missing" = 0 ]; then
    echo "deps: everything present"
    exit 0
fi

pkgs="build-essential cmake pkg-config libuv1-dev libcjson-dev libsdl2-dev \
libsdl2-ttf-dev libsdl2-image-dev fonts-dejavu-core valgrind clang-14 \
libclang-rt-14-dev xxd libdw-dev"
[ $ci = 1 ] && pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages and not root; run as root or install:" >&2
    echo "  apt-get install $pkgs" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
echo "deps: installed"
