#!/bin/sh
# `coscope export --perfetto` decoded by protoc (Debian's protobuf-compiler)
# with the documented subset docs/perfetto.proto, against the Chrome JSON
# export of the same trace: the same number of tracks, slices (a begin and
# an end each), instants and flows (a start and an end each), exactly; every
# event on a declared track, every name and category interned before use.
# Usage: test_perfetto.sh COSCOPE PROTOC PROTO_DIR TRACE.jsonl
set -eu
coscope=$1 protoc=$2 protodir=$3 trace=$4
name=$(basename "$trace" .jsonl)
tmp=$(mktemp -d /tmp/coscope-pftrace-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "$name: $*" >&2; exit 1; }
command -v "$protoc" >/dev/null 2>&1 || fail "no protoc: run scripts/deps.sh as root"

"$coscope" export "$trace" --perfetto -o "$tmp/t.pftrace"
"$coscope" export "$trace" --chrome -o "$tmp/t.json"
"$protoc" --proto_path="$protodir" --decode=perfetto.protos.Trace perfetto.proto \
    < "$tmp/t.pftrace" > "$tmp/t.txt" || fail "protoc could not decode the trace"

count() { grep -c -- "$1" "$2" || true; }
tracks=$(count '^  track_descriptor {' "$tmp/t.txt")
begins=$(count 'type: TYPE_SLICE_BEGIN' "$tmp/t.txt")
ends=$(count 'type: TYPE_SLICE_END' "$tmp/t.txt")
instants=$(count 'type: TYPE_INSTANT' "$tmp/t.txt")
flows=$(count '^    flow_ids:' "$tmp/t.txt")
flow_ends=$(count '^    terminating_flow_ids:' "$tmp/t.txt")
# the JSON: one event per line; tracks are thread names plus the process
j_tracks=$(( $(count '"name":"thread_name"' "$tmp/t.json") + 1 ))
j_slices=$(count '"ph":"X"' "$tmp/t.json")
j_instants=$(count '"ph":"I"' "$tmp/t.json")
j_flows=$(count '"ph":"s"' "$tmp/t.json")
j_flow_ends=$(count '"ph":"f"' "$tmp/t.json")
echo "$name: tracks $tracks/$j_tracks, slices $begins+$ends/$j_slices," \
     "instants $instants/$j_instants, flows $flows+$flow_ends/$j_flows," \
     "$(wc -c < "$tmp/t.pftrace") vs $(wc -c < "$tmp/t.json") bytes"
[ "$tracks" = "$j_tracks" ] || fail "tracks differ"
[ "$begins" = "$j_slices" ] && [ "$ends" = "$j_slices" ] || fail "slices differ"
[ "$instants" = "$j_instants" ] || fail "instants differ"
[ "$flows" = "$j_flows" ] && [ "$flow_ends" = "$j_flow_ends" ] || fail "flows differ"
[ "$j_slices" -gt 0 ] || fail "no slices: nothing was checked"

# Structure: events only on declared tracks; interned ids declared before use.
awk '
  # a packet may declare the strings it uses itself (protoc prints its
  # interned_data after its track_event): check uses at the packet end
  /^packet {/ { np = 0 }
  /^  track_descriptor {/ { intd = 1 }
  intd && /^    uuid:/ { track[$2] = 1; intd = 0 }
  /^    event_names {/ { st = "n" }
  /^    event_categories {/ { st = "c" }
  st != "" && /^      iid:/ { seen[st $2] = 1; st = "" }
  /^    track_uuid:/ { use[++np] = "t" $2 }
  /^    name_iid:/ { use[++np] = "n" $2 }
  /^    category_iids:/ { use[++np] = "c" $2 }
  /^}/ {
    for (k = 1; k <= np; k++) {
      u = use[k]; kind = substr(u, 1, 1); id = substr(u, 2)
      ok = kind == "t" ? (id in track) : (u in seen)
      if (!ok) { bad++; if (bad < 5) print "undeclared " u }
    }
  }
  END { exit bad > 0 }
' "$tmp/t.txt" || fail "bad structure"
