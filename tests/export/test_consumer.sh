#!/bin/sh
# One sample trace through `coscope export --chrome` and a real consumer of
# it: Chrome DevTools' trace engine (devtools) or speedscope in headless
# Chromium (speedscope). The check fails unless the consumer keeps the whole
# export. The consumers are installed by scripts/deps.sh.
# Usage: test_consumer.sh devtools COSCOPE NODE TRACE_ENGINE_DIR TRACE.jsonl
#        test_consumer.sh speedscope COSCOPE NODE SPEEDSCOPE_DIR TRACE.jsonl CHROMIUM
set -eu
what=$1 coscope=$2 node=$3 dir=$4 trace=$5
name=$(basename "$trace" .jsonl)
out=$(mktemp /tmp/coscope-export-XXXXXX.json)
trap 'rm -f "$out"' EXIT
if ! command -v "$node" >/dev/null 2>&1; then
    echo "no node ($node): run scripts/deps.sh as root" >&2
    exit 1
fi
"$coscope" export "$trace" --chrome -o "$out"
here=$(dirname "$0")
case $what in
devtools) "$node" "$here/devtools_check.mjs" "$dir" "$out" "$name" ;;
speedscope) "$node" "$here/speedscope_check.mjs" "$dir" "$6" "$out" "$name" ;;
*) echo "unknown consumer $what" >&2; exit 2 ;;
esac
