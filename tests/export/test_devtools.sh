#!/bin/sh
# One sample trace through `coscope export --chrome` and Chrome DevTools'
# trace engine (devtools_check.mjs): fails unless every slice, instant and
# flow of the export is kept. The engine is installed by scripts/deps.sh.
# Usage: test_devtools.sh COSCOPE NODE ENGINE_DIR TRACE.jsonl
set -eu
coscope=$1 node=$2 engine=$3 trace=$4
name=$(basename "$trace" .jsonl)
out=$(mktemp /tmp/coscope-devtools-XXXXXX.json)
trap 'rm -f "$out"' EXIT
if ! command -v "$node" >/dev/null 2>&1; then
    echo "no node ($node): run scripts/deps.sh as root" >&2
    exit 1
fi
"$coscope" export "$trace" --chrome -o "$out"
exec "$node" "$(dirname "$0")/devtools_check.mjs" "$engine" "$out" "$name"
