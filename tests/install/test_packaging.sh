#!/bin/sh
# What a user gets from `cmake --install`: a user's program built against
# the runtime four ways (pkg-config and CMake's find_package, each static
# and shared) runs and traces; the installed coscope answers --version, its
# man page and bash completion work from the prefix, the license is there.
# Usage: test_packaging.sh BUILD_DIR VIEWER(0|1)
set -eu
build=$1 viewer=$2
prefix=$(mktemp -d /tmp/coscope-pkg-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "packaging: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" > /dev/null
for f in bin/coscope include/coscope/co.h lib/libcoscope.a lib/libcoscope.so \
         lib/pkgconfig/coscope.pc lib/cmake/coscope/coscopeConfig.cmake \
         lib/cmake/coscope/coscopeConfigVersion.cmake \
         share/man/man1/coscope.1 share/bash-completion/completions/coscope \
         share/doc/coscope/LICENSE; do
    [ -e "$prefix/$f" ] || fail "missing $f"
done
[ "$viewer" = 1 ] && { [ -x "$prefix/bin/coscope-view" ] || fail "missing bin/coscope-view"; }
# the shared library carries its SOVERSION
soname=$(readelf -d "$prefix/lib/libcoscope.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libcoscope.so.0 ] || fail "SONAME '$soname'"
[ -e "$prefix/lib/$soname" ] || fail "no $soname"

# ---- the program ----
mkdir "$prefix/src"
cat > "$prefix/src/prog.c" <<'C'
#include <coscope/co.h>
#include <stdio.h>
static void *worker(void *arg) { co_sleep(1); co_mark("worker %s", (char *)arg); return arg; }
static void *main_task(void *arg) {
    (void)arg;
    void *res = NULL;
    co_task *t = co_spawn(worker, "hello", "worker");
    if (co_join(t, &res) != 0) return NULL;
    printf("joined: %s\n", (char *)res);
    return NULL;
}
int main(void) { return co_main(main_task, NULL) == 0 ? 0 : 1; }
C
# runs one build of the program; $2: "shared" or "static" (ldd must / must
# not show the installed libcoscope.so.0)
check_prog() {
    prog=$1 kind=$2
    out=$(COSCOPE_TRACE="$prog.jsonl" "$prog") || fail "$prog exited $?"
    [ "$out" = "joined: hello" ] || fail "$prog printed: $out"
    grep -q '"ev":"mark","task":2,"msg":"worker hello"' "$prog.jsonl" || fail "$prog: no mark"
    tail -1 "$prog.jsonl" | grep -q '"ev":"end"' || fail "$prog: trace not ended"
    if ldd "$prog" | grep -q "$prefix/lib/libcoscope.so.0"; then linked=shared; else linked=static; fi
    [ "$linked" = "$kind" ] || fail "$prog: linked $linked, expected $kind"
    "$prefix/bin/coscope" validate "$prog.jsonl" > /dev/null || fail "$prog: trace invalid"
    echo "packaging: $(basename "$prog") ok ($kind)"
}

# pkg-config, shared (the default -lcoscope) and static (the archive)
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror "$prefix/src/prog.c" -o "$prefix/pc_shared" \
    $(pkg-config --cflags --libs coscope) -Wl,-rpath,"$prefix/lib"
check_prog "$prefix/pc_shared" shared
cc -std=c11 -Wall -Wextra -Werror "$prefix/src/prog.c" -o "$prefix/pc_static" \
    $(pkg-config --cflags coscope) \
    $(pkg-config --static --libs coscope | sed 's/-lcoscope\b/-l:libcoscope.a/')
check_prog "$prefix/pc_static" static

# CMake: find_package(coscope) and its two targets
cat > "$prefix/src/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(user C)
find_package(coscope 0.1 REQUIRED)
add_executable(cm_shared prog.c)
target_link_libraries(cm_shared PRIVATE coscope::coscope)
add_executable(cm_static prog.c)
target_link_libraries(cm_static PRIVATE coscope::coscope_static)
CM
cmake -S "$prefix/src" -B "$prefix/cm" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_RPATH="$prefix/lib" > /dev/null
cmake --build "$prefix/cm" > /dev/null
check_prog "$prefix/cm/cm_shared" shared
check_prog "$prefix/cm/cm_static" static
# a version that does not match is refused
sed -i 's/find_package(coscope 0.1 REQUIRED)/find_package(coscope 9.0 REQUIRED)/' \
    "$prefix/src/CMakeLists.txt"
if cmake -S "$prefix/src" -B "$prefix/cm9" -DCMAKE_PREFIX_PATH="$prefix" > /dev/null 2>&1; then
    fail "find_package(coscope 9.0) was accepted"
fi

# ---- the installed command ----
# `coscope view` runs the installed coscope-view (headless screenshot)
if [ "$viewer" = 1 ]; then
    SDL_VIDEODRIVER=offscreen "$prefix/bin/coscope" view "$prefix/pc_shared.jsonl" \
        --screenshot "$prefix/shot.png" > /dev/null || fail "coscope view from the install"
    [ -s "$prefix/shot.png" ] || fail "no screenshot"
    echo "packaging: coscope view ran the installed coscope-view"
fi
v=$("$prefix/bin/coscope" --version)
[ "$v" = "coscope $(sed -n 's/^project(coscope VERSION \([0-9.]*\).*/\1/p' \
    "$(dirname "$0")/../../CMakeLists.txt")" ] || fail "--version: $v"
page=$(MANPATH="$prefix/share/man" MANWIDTH=80 man -P cat coscope 2>/dev/null) ||
    fail "man coscope found no page under $prefix/share/man"
echo "$page" | grep -q 'coscope - record, analyse and view traces' || fail "man page: $page"
# completion: the commands from `coscope --help`, a command's options
comp=$(bash -c '
    . "$1/share/bash-completion/completions/coscope"
    COMP_WORDS=("$1/bin/coscope" st); COMP_CWORD=1; _coscope; echo "${COMPREPLY[*]}"
    COMP_WORDS=("$1/bin/coscope" stalls --th); COMP_CWORD=2; _coscope; echo "${COMPREPLY[*]}"
    COMP_WORDS=("$1/bin/coscope" explore --fail); COMP_CWORD=2; _coscope; echo "${COMPREPLY[*]}"
' sh "$prefix")
[ "$comp" = "stalls stats
--threshold
--fail-on" ] || fail "completion gave: $comp"
echo "packaging: ok"
