#!/bin/sh
# Installs the Debian packages coscope needs to build, test and benchmark.
# Idempotent: checks with pkg-config / command -v first and only calls apt-get
# when something is missing. Needs root for the install; says so otherwise.
# --ci also installs what CI alone uses: an aarch64 cross compiler and
# qemu-user (to run the aarch64 context switch).
# Then, with npm, the real consumers the export tests run (pinned versions,
# into tests/export/npm/, which git ignores): Chrome DevTools' trace engine
# and speedscope (run in Debian's chromium).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
npm_dir=$ROOT/tests/export/npm
npm_pkgs="@paulirish/trace_engine@0.0.65 speedscope@1.25.0"

# The npm packages, once node and npm are there: skipped when the pinned
# versions are already installed.
npm_deps() {
    want=0
    for p in $npm_pkgs; do
        name=${p%@*} ver=${p##*@}
        have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
               "$npm_dir/node_modules/$name/package.json" 2>/dev/null | head -1)
        [ "$have" = "$ver" ] || want=1
    done
    if [ "$want" = 0 ]; then
        echo "deps: npm packages present"
        return 0
    fi
    mkdir -p "$npm_dir"
    npm install --prefix "$npm_dir" --no-audit --no-fund --no-save $npm_pkgs >/dev/null
    echo "deps: npm packages installed into $npm_dir"
}

ci=0
[ "${1:-}" = "--ci" ] && ci=1

need_pc="libuv libcjson sdl2 SDL2_ttf SDL2_image libdw fontconfig"
need_cmd="cmake pkg-config valgrind clang-14 xxd node npm man chromium protoc"
[ $ci = 1 ] && need_cmd="$need_cmd aarch64-linux-gnu-gcc qemu-aarch64"
need_file="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"

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
    npm_deps
    exit 0
fi

pkgs="build-essential cmake pkg-config libuv1-dev libcjson-dev libsdl2-dev \
libsdl2-ttf-dev libsdl2-image-dev libfontconfig-dev fonts-dejavu-core \
fonts-wqy-zenhei valgrind clang-14 \
libclang-rt-14-dev xxd libdw-dev man-db chromium protobuf-compiler"
# Node.js may come from elsewhere than Debian (nodesource's nodejs carries its
# own npm and conflicts with Debian's npm package): ask apt only for what is
# missing.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
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
npm_deps
