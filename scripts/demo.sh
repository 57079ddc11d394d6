#!/bin/sh
# scripts/demo.sh BUILD_DIR (what `make demo` runs after the build): records
# the crawler example, lists its stalls, then opens the viewer, or on a
# machine with no display renders a screenshot of it to traces/demo.png.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
[ -d "$BUILD" ] || BUILD=$ROOT/$BUILD
if [ ! -d "$BUILD" ]; then
    echo "demo: no build directory $1: run make first" >&2
    exit 1
fi
BUILD=$(cd "$BUILD" && pwd)
CRAWLER=$BUILD/examples/crawler
COSCOPE=$BUILD/bin/coscope
TRACE=$ROOT/traces/demo.jsonl
PNG=$ROOT/traces/demo.png

if [ ! -x "$CRAWLER" ]; then
    echo "demo: $CRAWLER is not built" >&2
    exit 1
fi
mkdir -p "$ROOT/traces"
rm -f "$TRACE"

echo "== crawler: 8 tasks crawl a 200-page site served in the same process;"
echo "   the server sleeps 150 ms on one page that gates the rest of the site"
COSCOPE_TRACE=$TRACE "$CRAWLER" --crawlers 8
echo "   trace: $TRACE ($(wc -l <"$TRACE") lines, $(wc -c <"$TRACE") bytes)"

if [ ! -x "$COSCOPE" ]; then
    echo "== the coscope tool is not built yet; open the trace later with"
    echo "   coscope stalls $TRACE"
    exit 0
fi

echo
echo "== coscope stalls $TRACE"
"$COSCOPE" stalls "$TRACE" || echo "   (coscope stalls exited $?)"

echo
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    echo "== coscope view $TRACE   (press ? in the window for keys)"
    if ! "$COSCOPE" view "$TRACE"; then
        echo "   the viewer could not open; the trace is $TRACE"
    fi
else
    echo "== no display: coscope view $TRACE --screenshot $PNG"
    rm -f "$PNG"
    if "$COSCOPE" view "$TRACE" --screenshot "$PNG" && [ -s "$PNG" ]; then
        echo "   picture of the timeline: $PNG"
    else
        echo "   no viewer in this build; the trace is $TRACE"
    fi
fi
