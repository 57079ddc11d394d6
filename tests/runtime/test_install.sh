#!/bin/sh
# The installed coscope.pc builds and runs a user's program against the
# runtime: cmake --install into a temporary prefix, cc with pkg-config,
# run it with tracing on, and check the program's output and its trace.
# Usage: test_install.sh BUILD_DIR
set -eu
build=$1
prefix=$(mktemp -d /tmp/coscope-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > /dev/null
test -f "$prefix/include/coscope/co.h"
test -f "$prefix/lib/pkgconfig/coscope.pc"
cat > "$prefix/prog.c" <<'C'
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
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror "$prefix/prog.c" -o "$prefix/prog" \
    $(pkg-config --cflags --libs coscope) -Wl,-rpath,"$prefix/lib"
out=$(COSCOPE_TRACE="$prefix/prog.jsonl" "$prefix/prog")
[ "$out" = "joined: hello" ] || { echo "unexpected output: $out"; exit 1; }
grep -q '"ev":"mark","task":2,"msg":"worker hello"' "$prefix/prog.jsonl"
tail -1 "$prefix/prog.jsonl" | grep -q '"ev":"end"'
echo "install: ok"
