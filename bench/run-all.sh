#!/usr/bin/env bash
# bench/run-all.sh: every coscope benchmark in one run on this machine — the
# runtime's switch costs, the recorder, http_hello vs Node.js and Python
# asyncio under wrk, the echo tracing tax, tracing at line rate (start-up,
# spawn beyond the stack pool, sustained traced yield), the stacks' cost per
# wait, trace loading, the Chrome export and the viewer — and
# one markdown table of medians, printed and written into docs/benchmarks.md
# between the run-all markers (the prose around them is kept).
#
# Usage: bench/run-all.sh [BUILD_DIR]     (default: build-bench, Release)
# Knobs (environment): RUNS=5 (repeats of the short benches, the http rounds
# and the echo pairs), READ_RUNS=3, HTTP_SECS=10, WARM_SECS=1,
# ECHO_BYTES=4G, ECHO_CONNS=4, EVENTS=10000000, EXPORT_RUNS=1, PORT_BASE=18080,
# OUT=docs/benchmarks.md (OUT=- prints only), LOG_DIR=BUILD_DIR/bench-logs.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
RUNS=${RUNS:-5}
READ_RUNS=${READ_RUNS:-3}
HTTP_SECS=${HTTP_SECS:-10}
WARM_SECS=${WARM_SECS:-1}
ECHO_BYTES=${ECHO_BYTES:-4G}
ECHO_CONNS=${ECHO_CONNS:-4}
EVENTS=${EVENTS:-10000000}
PORT_BASE=${PORT_BASE:-18080}
OUT=${OUT:-$ROOT/docs/benchmarks.md}
LOG_DIR=${LOG_DIR:-$BUILD/bench-logs}
TMP_PREFIX=/tmp/coscope-bench-$$
START=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# CPU ticks, all and stolen by the hypervisor (the 8th value of `cpu`)
cpu_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9}' /proc/stat; }
TICKS_BEFORE=$(cpu_ticks)

die() { echo "run-all: $*" >&2; exit 1; }
say() { echo "[$(($(date +%s) - START))s] $*" >&2; }

# ---- servers and files are cleaned up whatever happens ----
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -f "$TMP_PREFIX"-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools ----
need_apt() { # need_apt COMMAND PACKAGE
    command -v "$1" >/dev/null && return 0
    [ "$(id -u)" = 0 ] || die "$1 is missing (apt-get install $2 as root)"
    say "installing $2"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q "$2"; } >"$LOG_DIR/apt.log" 2>&1 ||
        die "apt-get install $2 failed (see $LOG_DIR/apt.log)"
}
mkdir -p "$LOG_DIR" || die "cannot create $LOG_DIR"
need_apt wrk wrk
need_apt curl curl
need_apt node nodejs
need_apt python3 python3
need_apt cmake cmake
NODE_VERSION=$(node --version)
PY_VERSION=$(python3 --version 2>&1)

# ---- build (incremental; configures a Release tree if there is none) ----
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    say "configuring $BUILD (Release)"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
        >"$LOG_DIR/cmake.log" 2>&1 || die "cmake failed (see $LOG_DIR/cmake.log)"
fi
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
[ "$BUILD_TYPE" = Release ] ||
    say "warning: $BUILD is a '$BUILD_TYPE' build, the figures want Release"
say "building benchmarks in $BUILD"
cmake --build "$BUILD" -j2 --target bench_runtime bench_record gen_trace \
    bench_load bench_herd coscope_cli bench_view bench_echo http_hello echo_server sleepy \
    bench_linerate bench_export bench_stacks \
    >"$LOG_DIR/build.log" 2>&1 || die "build failed (see $LOG_DIR/build.log)"

B_RUNTIME=$BUILD/bench/runtime/bench_runtime
B_RECORD=$BUILD/bench/record/bench_record
B_GEN=$BUILD/bench/read/gen_trace
B_LOAD=$BUILD/bench/read/bench_load
B_LINERATE=$BUILD/bench/runtime/bench_linerate
B_EXPORT=$BUILD/bench/read/bench_export
B_STACKS=$BUILD/bench/record/bench_stacks
B_VIEW=$BUILD/bench/viewer/bench_view
B_ECHO=$BUILD/bench/echo/bench_echo
HTTP_HELLO=$BUILD/examples/http_hello
ECHO_SERVER=$BUILD/examples/echo_server

# ---- small helpers ----
# val NAME FILE: the number of the `NAME: value unit` line.
val() { sed -n "s|^$1: *\([-0-9.e+naif]*\).*|\1|p" "$2" | head -n1; }
# median V...: the middle value (mean of the two middle ones if even).
median() {
    printf '%s\n' "$@" | grep -E '^-?[0-9.]+(e[-+]?[0-9]+)?$' | sort -g |
        awk '{v[NR]=$1} END {if (!NR) print "nan"; else if (NR%2) print v[(NR+1)/2];
             else print (v[NR/2]+v[NR/2+1])/2}'
}
# calc EXPR: floating-point arithmetic through awk.
calc() { awk "BEGIN {print ($*)}"; }
fmt() { LC_ALL=C printf "%.${1}f" "$2"; }
# status OK?: a hit/miss word for the table.
status() { [ "$1" = 1 ] && echo "hit" || echo "**miss**"; }
le() { calc "($1) <= ($2) ? 1 : 0"; }
ge() { calc "($1) >= ($2) ? 1 : 0"; }
list() { local IFS=' '; echo "$*"; }

# cpu_s PID: user + system CPU seconds of a live process, all its threads.
CLK_TCK=$(getconf CLK_TCK)
cpu_s() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
    awk -v hz="$CLK_TCK" '{print ($12 + $13) / hz}'; }
# writer_cpu_s PID: CPU seconds of PID's trace writer thread ("coscope-writer"), 0 if none
writer_cpu_s() {
    local t s=0
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = coscope-writer ] || continue
        s=$(sed 's/.*) //' "$t/stat" | awk -v hz="$CLK_TCK" -v s="$s" '{print s + ($12 + $13) / hz}')
    done
    echo "$s"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# wait_port PORT PID: until something accepts on PORT (10 s at most).
wait_port() {
    for _ in $(seq 100); do
        kill -0 "$2" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# stop PID [GRACE]: waits GRACE seconds for a clean exit, then TERM, KILL.
stop() {
    local pid=$1 grace=${2:-0}
    for _ in $(seq $((grace * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local keep=()
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

for p in 0 1 2 3 4; do
    port_free $((PORT_BASE + p)) ||
        die "port $((PORT_BASE + p)) is in use on 127.0.0.1 (set PORT_BASE)"
done

# =====================================================================
# 1. runtime and recorder: RUNS interleaved runs of each
# =====================================================================
REC_EVENTS=5000000
for r in $(seq "$RUNS"); do
    say "runtime + recorder, run $r/$RUNS"
    "$B_RUNTIME" 100000 >"$LOG_DIR/runtime.$r.log" 2>&1 ||
        die "bench_runtime failed (see $LOG_DIR/runtime.$r.log)"
    "$B_RECORD" $REC_EVENTS "$TMP_PREFIX-rec.jsonl" >"$LOG_DIR/record.$r.log" 2>&1 ||
        die "bench_record failed (see $LOG_DIR/record.$r.log)"
    rec_bytes=$(stat -c %s "$TMP_PREFIX-rec.jsonl")
    rec_lines=$(wc -l <"$TMP_PREFIX-rec.jsonl")
    echo "trace_bytes_per_line: $(calc "$rec_bytes / $rec_lines") B" \
        >>"$LOG_DIR/record.$r.log"
    rm -f "$TMP_PREFIX-rec.jsonl"
done
collect() { # collect NAME PREFIX: the NAME values of every PREFIX.*.log
    local f v=()
    for f in "$LOG_DIR/$2".*.log; do v+=("$(val "$1" "$f")"); done
    median "${v[@]}"
}
# runs LOG "WHAT" CMD...: CMD READ_RUNS times, each run's output in
# $LOG_DIR/LOG.N.log (what `collect NAME LOG` reads back).
runs() {
    local log=$1 what=$2 r
    shift 2
    for r in $(seq "$READ_RUNS"); do
        say "$what, run $r/$READ_RUNS"
        "$@" >"$LOG_DIR/$log.$r.log" 2>&1 || die "$log failed (see $LOG_DIR/$log.$r.log)"
    done
}
SWITCH=$(collect raw_switch runtime)
SWAPCTX=$(collect glibc_swapcontext runtime)
YIELD=$(collect co_yield_round_trip runtime)
SPAWN=$(collect spawn_join runtime)
LIVE_RSS=$(collect live_tasks_rss runtime)
LIVE_B=$(collect live_task_bytes runtime)
EMIT_BURST=$(collect trace_on_burst_ns_per_event record)
EMIT_SUST=$(collect trace_on_sustained_ns_per_event record)
EMIT_OFF=$(collect trace_off_ns_per_event record)
FMT_MBS=$(collect format_throughput record)
LINE_B=$(collect trace_bytes_per_line record)
REC_DROPS=$(collect events_dropped record)
CLOCK=$(sed -n 's/^clock: //p' "$LOG_DIR/record.1.log")
WRITER_MBS=$(calc "$LINE_B / $EMIT_SUST * 1000")

# Tracing in a program that keeps running (issue 13): start-up, spawn beyond
# the stack pool, sustained traced co_yield (each run pairs inside itself).
runs linerate "line rate (start-up, spawn beyond the pool, sustained yield)" \
    "$B_LINERATE" 1000000 40 "$TMP_PREFIX-linerate.jsonl"
START_TAX=$(collect startup_tax linerate)
START_TAX_OW=$(collect startup_tax_overwrite linerate)
START_OFF=$(collect startup_untraced linerate)
BEYOND=$(collect spawn_exit_beyond_pool linerate)
BEYOND_COLD=$(collect spawn_exit_beyond_pool_cold linerate)
Y_OFF=$(collect yield_untraced linerate)
Y_ON=$(collect yield_traced_sustained linerate)
Y_FLOOR=$(collect yield_traced_floor linerate)
CLOCK_NS=$(collect clock_read_ns linerate)

# Caller chains (issue 11): what recording a wait's stack adds to it, on the
# loop thread's CPU clock (each run pairs stacks on / off inside itself).
runs stacks "stacks on / off per wait" "$B_STACKS"
ST_ADDED=$(collect stacks_added_per_wait stacks)
ST_ON=$(collect traced_yield_stacks_on stacks)
ST_OFF=$(collect traced_yield_stacks_off stacks)
ST_PROC=$(collect stacks_added_per_wait_process_cpu stacks)
ST_WALK=$(collect stack_walk_8_frames_interned stacks)
ST_SPREAD=$(for f in "$LOG_DIR"/stacks.*.log; do sed -n 's/^stacks_added_per_wait_spread: *//p' "$f"; done | paste -sd ';' | sed 's/;/, /g')

# =====================================================================
# 2. http_hello (tracing off / on) vs Node.js and Python asyncio, wrk
# =====================================================================
HTTP_NAMES=(hello_off hello_on node py)
declare -A HTTP_PORT=([hello_off]=$PORT_BASE [hello_on]=$((PORT_BASE + 1))
    [node]=$((PORT_BASE + 2)) [py]=$((PORT_BASE + 3)))
declare -A RPS CPU_REQ
HTTP_TRACE=$TMP_PREFIX-http.jsonl
HTTP_TRACE_BYTES=() HTTP_TRACE_PER_REQ=()
# Same bytes from every server: checked once with curl -i.
http_start() { # http_start NAME: starts it in the background, sets SRV_PID
    local name=$1 port=${HTTP_PORT[$1]}
    local dur=$((WARM_SECS + HTTP_SECS + 2))
    [ "$name" = hello_on ] && rm -f "$HTTP_TRACE"
    # exec, so that $! is the server itself
    (case $name in
    hello_off) exec "$HTTP_HELLO" --port "$port" --duration "$dur" ;;
    hello_on) export COSCOPE_TRACE=$HTTP_TRACE
        exec "$HTTP_HELLO" --port "$port" --duration "$dur" ;;
    node) exec node "$ROOT/bench/peers/node_hello.js" "$port" ;;
    py) exec python3 "$ROOT/bench/peers/py_hello.py" "$port" ;;
    esac) >>"$LOG_DIR/server-$name.log" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    wait_port "$port" "$SRV_PID" || die "$name did not start (see $LOG_DIR/server-$name.log)"
}
# http_hello exits by itself after --duration, which flushes the trace;
# the peers are stopped with SIGTERM.
http_stop() { # http_stop NAME PID
    case $1 in
    hello_*) stop "$2" $((WARM_SECS + HTTP_SECS + 5)) ;;
    *) stop "$2" ;;
    esac
}

HEADERS_OK=1
: >"$LOG_DIR/http-responses.txt"
for name in "${HTTP_NAMES[@]}"; do
    http_start "$name"
    resp=$(curl -si "http://127.0.0.1:${HTTP_PORT[$name]}/")
    printf '== %s\n%s\n' "$name" "$resp" >>"$LOG_DIR/http-responses.txt"
    shape="$(printf '%s' "$resp" | tr -d '\r' | awk 'NR>1 && /^$/ {exit} NR>1 {n++} END {print n+0}') headers, body $(printf '%s' "$resp" | tr -d '\r' | awk 'b {print} /^$/ {b=1}' | head -c 100)"
    [ -z "${REF_SHAPE:-}" ] && REF_SHAPE=$shape REF_RESP=$resp
    if [ "$shape" != "$REF_SHAPE" ] || [ "$resp" != "$REF_RESP" ]; then
        HEADERS_OK=0
        say "warning: $name answers differently: $shape (http_hello: $REF_SHAPE)"
    fi
    stop "$SRV_PID" # no need to wait for --duration here
done
RESP_BYTES=$(printf '%s' "$REF_RESP" | wc -c)

for r in $(seq "$RUNS"); do
    # rotate the order each round so drift does not favour one server
    for k in 0 1 2 3; do
        name=${HTTP_NAMES[$(((k + r - 1) % 4))]}
        say "http round $r/$RUNS: $name"
        http_start "$name"
        url="http://127.0.0.1:${HTTP_PORT[$name]}/"
        wrk -t2 -c100 -d"${WARM_SECS}s" "$url" >"$LOG_DIR/wrk-$name.$r.warm.log" 2>&1
        wrk -t2 -c100 -d"${HTTP_SECS}s" "$url" >"$LOG_DIR/wrk-$name.$r.log" 2>&1 ||
            die "wrk failed against $name (see $LOG_DIR/wrk-$name.$r.log)"
        cpu=$(cpu_s "$SRV_PID") # before http_hello's clean exit at --duration
        http_stop "$name" "$SRV_PID"
        reqs=$(cat "$LOG_DIR/wrk-$name.$r.warm.log" "$LOG_DIR/wrk-$name.$r.log" |
            awk '/requests in/ {n += $1} END {print n}')
        RPS[$name]="${RPS[$name]:-} $(sed -n 's/^Requests\/sec: *//p' "$LOG_DIR/wrk-$name.$r.log")"
        CPU_REQ[$name]="${CPU_REQ[$name]:-} $(calc "$cpu / $reqs * 1e6")"
        if grep -qE 'Socket errors|Non-2xx' "$LOG_DIR/wrk-$name.$r.log"; then
            say "warning: wrk saw errors against $name (see $LOG_DIR/wrk-$name.$r.log)"
        fi
        if [ "$name" = hello_on ]; then
            bytes=$(stat -c %s "$HTTP_TRACE")
            HTTP_TRACE_BYTES+=("$bytes")
            HTTP_TRACE_PER_REQ+=("$(calc "$bytes / $reqs")")
            HTTP_TRACE_LINES=$(wc -l <"$HTTP_TRACE")
            HTTP_TRACE_REQS=$reqs
        fi
    done
done
med_rps() { median ${RPS[$1]}; }
H_OFF=$(med_rps hello_off) H_ON=$(med_rps hello_on)
H_NODE=$(med_rps node) H_PY=$(med_rps py)
med_cpu() { median ${CPU_REQ[$1]}; }
C_OFF=$(med_cpu hello_off) C_ON=$(med_cpu hello_on)
C_NODE=$(med_cpu node) C_PY=$(med_cpu py)
# on/off per round (paired, as for echo below), then the median ratio
read -r -a RPS_OFF <<<"${RPS[hello_off]}"
read -r -a RPS_ON <<<"${RPS[hello_on]}"
read -r -a CPU_OFF <<<"${CPU_REQ[hello_off]}"
read -r -a CPU_ON <<<"${CPU_REQ[hello_on]}"
H_RATIO=() HC_RATIO=()
for i in "${!RPS_ON[@]}"; do
    H_RATIO+=("$(calc "${RPS_ON[$i]} / ${RPS_OFF[$i]}")")
    HC_RATIO+=("$(calc "${CPU_ON[$i]} / ${CPU_OFF[$i]}")")
done
C_TAX=$(calc "($(median "${HC_RATIO[@]}") - 1) * 100")
TRACE_MB=$(calc "$(median "${HTTP_TRACE_BYTES[@]}") / 1e6")
TRACE_B_REQ=$(median "${HTTP_TRACE_PER_REQ[@]}")
TRACE_EV_REQ=$(calc "$HTTP_TRACE_LINES / $HTTP_TRACE_REQS")

# The last tracing-on trace is a real 10 s recording: load it once too.
say "loading the real http_hello trace ($(fmt 0 "$(calc "$(stat -c %s "$HTTP_TRACE") / 1e6")") MB)"
"$B_LOAD" "$HTTP_TRACE" >"$LOG_DIR/load-http.log" 2>&1 || say "warning: loading the http trace failed"
rm -f "$HTTP_TRACE"

# =====================================================================
# 3. echo throughput, tracing off / on, alternating
# =====================================================================
ECHO_PORT=$((PORT_BASE + 4))
ECHO_TRACE=$TMP_PREFIX-echo.jsonl
# Chunk sizes the server reads and echoes at a time: libuv's suggested read
# size, and a small one where the per-I/O cost of tracing shows most.
ECHO_CHUNKS=${ECHO_CHUNKS:-"65536 8192"}
declare -A E_OFF_C E_ON_C E_TAX_C EC_OFF_C EC_ON_C EC_TAX_C E_TRACE_MB_C EW_C
for chunk in $ECHO_CHUNKS; do
ECHO_OFF=() ECHO_ON=() ECHO_TRACE_BYTES=() ECHO_CPU_OFF=() ECHO_CPU_ON=() ECHO_WCPU=()
for r in $(seq "$RUNS"); do
    if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
    for mode in $order; do
        say "echo ($chunk B chunks) pair $r/$RUNS: tracing $mode"
        log=$LOG_DIR/echo-$chunk-$mode.$r.log
        rm -f "$ECHO_TRACE"
        (if [ $mode = on ]; then
            export COSCOPE_TRACE=$ECHO_TRACE
        fi
        exec "$ECHO_SERVER" --port "$ECHO_PORT" --chunk "$chunk") >>"$LOG_DIR/server-echo.log" 2>&1 &
        SRV_PID=$!
        PIDS+=("$SRV_PID")
        wait_port "$ECHO_PORT" "$SRV_PID" || die "echo_server did not start"
        "$B_ECHO" --port "$ECHO_PORT" --conns "$ECHO_CONNS" --bytes "$ECHO_BYTES" \
            >"$log" 2>&1 ||
            die "bench_echo failed (see $log)"
        sleep 0.3 # let the writer drain before the kill
        cpu=$(cpu_s "$SRV_PID")
        wcpu=$(writer_cpu_s "$SRV_PID")
        stop "$SRV_PID"
        v=$(val echo_mb_s "$log")
        gib=$(calc "$(val echo_bytes "$log") / 2^30")
        echo "server_cpu_s: $cpu s" >>"$log"
        if [ $mode = on ]; then
            ECHO_CPU_ON+=("$(calc "$cpu / $gib")")
            ECHO_WCPU+=("$(calc "$wcpu / $gib")")
            echo "writer_cpu_s: $wcpu s" >>"$log"
            ECHO_ON+=("$v")
            ECHO_TRACE_BYTES+=("$(stat -c %s "$ECHO_TRACE")")
        else
            ECHO_CPU_OFF+=("$(calc "$cpu / $gib")")
            ECHO_OFF+=("$v")
        fi
    done
done
rm -f "$ECHO_TRACE"
E_OFF_C[$chunk]=$(median "${ECHO_OFF[@]}")
E_ON_C[$chunk]=$(median "${ECHO_ON[@]}")
# The tax is the median over pairs of each pair's own ratio: the two runs
# of a pair are back to back, so they share whatever mood the VM is in
# (its speed has been seen to switch by 1.8x between runs of one session).
E_RATIO=() EC_RATIO=()
for i in "${!ECHO_ON[@]}"; do
    E_RATIO+=("$(calc "${ECHO_ON[$i]} / ${ECHO_OFF[$i]}")")
    EC_RATIO+=("$(calc "${ECHO_CPU_ON[$i]} / ${ECHO_CPU_OFF[$i]}")")
done
E_TAX_C[$chunk]=$(calc "(1 - $(median "${E_RATIO[@]}")) * 100")
# echo_server's CPU seconds (both threads) per GiB echoed, off and on
EC_OFF_C[$chunk]=$(median "${ECHO_CPU_OFF[@]}")
EC_ON_C[$chunk]=$(median "${ECHO_CPU_ON[@]}")
EC_TAX_C[$chunk]=$(calc "($(median "${EC_RATIO[@]}") - 1) * 100")
EW_C[$chunk]=$(median "${ECHO_WCPU[@]}")
E_TRACE_MB_C[$chunk]=$(calc "$(median "${ECHO_TRACE_BYTES[@]}") / 1e6")
done

# =====================================================================
# 3b. replay: --replayable's recording cost, a replay's speed
# =====================================================================
say "replay: --replayable on echo and http_hello, sleepy's replay ($RUNS pairs)"
RUNS=$RUNS "$ROOT/bench/replay/replay.sh" "$BUILD" >"$LOG_DIR/replay.log" 2>&1 ||
    die "bench/replay/replay.sh failed (see $LOG_DIR/replay.log)"
RP_ECHO=$(val replay_echo_throughput_ratio "$LOG_DIR/replay.log")
RP_ECHO_LOG=$(val replay_echo_log_rate "$LOG_DIR/replay.log")
RP_HTTP=$(val replay_http_throughput_ratio "$LOG_DIR/replay.log")
RP_HTTP_LOG=$(val replay_http_log_rate "$LOG_DIR/replay.log")
RP_SPEED=$(val replay_sleepy_speedup "$LOG_DIR/replay.log")

# =====================================================================
# 4. reading: a generated EVENTS-event trace, bench_load and bench_view
# =====================================================================
GEN=$TMP_PREFIX-gen.jsonl
say "generating a $EVENTS-event trace"
"$B_GEN" "$EVENTS" "$GEN" >"$LOG_DIR/gen.log" 2>&1 || die "gen_trace failed"
GEN_MB=$(calc "$(stat -c %s "$GEN") / 1e6")
for r in $(seq "$READ_RUNS"); do
    say "load + viewer, run $r/$READ_RUNS"
    "$B_LOAD" "$GEN" >"$LOG_DIR/load.$r.log" 2>&1 || die "bench_load failed"
    SDL_VIDEODRIVER=offscreen "$B_VIEW" "$GEN" >"$LOG_DIR/view.$r.log" 2>&1 ||
        die "bench_view failed (see $LOG_DIR/view.$r.log)"
done
EXPORT_RUNS=${EXPORT_RUNS:-1}
for r in $(seq "$EXPORT_RUNS"); do
    say "coscope export --chrome on the $EVENTS-event trace, run $r/$EXPORT_RUNS"
    "$B_EXPORT" "$GEN" "$TMP_PREFIX-chrome.json" >"$LOG_DIR/export.$r.log" 2>&1 ||
        die "bench_export failed (see $LOG_DIR/export.$r.log)"
    rm -f "$TMP_PREFIX-chrome.json"
done
EXP_CMD=$(collect export_chrome_command_time export)
EXP_FILE=$(collect export_chrome_time export)
EXP_NULL=$(collect export_chrome_null_time export)
EXP_PB_FILE=$(collect export_perfetto_time export)
EXP_PB_NULL=$(collect export_perfetto_null_time export)
rm -f "$GEN"
# 100 000 tasks parked, then released at once (issue: stalls was quadratic
# in tasks): the whole CLI's stalls against stats on the same trace.
runs herd "100 k-task herd" "$BUILD/bench/read/bench_herd" 100000 "$BUILD/bin/coscope"
HERD_STALLS_S=$(collect herd_coscope_stalls herd)
HERD_STATS_S=$(collect herd_coscope_stats herd)
HERD_N=$(collect herd_stalls herd)
NEV=$(collect events load)
MEV=$(calc "$NEV / 1e6")
LOAD_S=$(collect load_time load)
LOAD_RSS=$(collect peak_rss load)
LOAD_X=$(collect peak_rss_vs_file load)
ANALYSIS_S=$(collect analysis_time load)
F_WHOLE=$(collect frame_whole_median view)
F_100=$(collect frame_1/100_median view)
F_10K=$(collect frame_1/10000_median view)
F_WORST=$(for f in "$LOG_DIR"/view.*.log; do sed -n 's/^frame_.*_max: *\([0-9.]*\).*/\1/p' "$f"; done | sort -g | tail -n1)
H_LOAD_S=$(val load_time "$LOG_DIR/load-http.log")
H_LOAD_EV=$(val events "$LOG_DIR/load-http.log")
H_LOAD_MB=$(val file_size "$LOG_DIR/load-http.log")
H_LOAD_X=$(val peak_rss_vs_file "$LOG_DIR/load-http.log")
H_ANALYSIS=$(val analysis_time "$LOG_DIR/load-http.log")

ELAPSED=$(($(date +%s) - START))

# =====================================================================
# 5. the table
# =====================================================================
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "+local changes")
r_node() { fmt 2 "$(calc "$1 / $H_NODE")"; }
H_LOSS=$(calc "(1 - $(median "${H_RATIO[@]}")) * 100")
loss_words() { # a loss in % as "X % below" or "X % above"
    if [ "$(le "$1" 0)" = 1 ]; then echo "$(fmt 1 "$(calc "-($1)")") % above"
    else echo "$(fmt 1 "$1") % below"; fi
}

ECHO_ROWS=""
for chunk in $ECHO_CHUNKS; do
    ECHO_ROWS+="| echo, ${chunk} B chunks, tracing off | $(fmt 0 "${E_OFF_C[$chunk]}") MB/s; server $(fmt 3 "${EC_OFF_C[$chunk]}") CPU s/GiB | | | bench_echo → examples/echo_server --chunk $chunk: $ECHO_BYTES over $ECHO_CONNS connections, 256 KiB in flight each, every byte checked; $RUNS runs |
| echo, ${chunk} B chunks, tracing on | $(fmt 0 "${E_ON_C[$chunk]}") MB/s, $(loss_words "${E_TAX_C[$chunk]}") off; server $(fmt 3 "${EC_ON_C[$chunk]}") CPU s/GiB ($(fmt 1 "${EC_TAX_C[$chunk]}") % more; the trace writer thread: $(fmt 3 "${EW_C[$chunk]}") CPU s/GiB) | tax ≤ 3 % | $(status "$(le "${E_TAX_C[$chunk]}" 3)") | same, COSCOPE_TRACE to /tmp ($(fmt 0 "${E_TRACE_MB_C[$chunk]}") MB per run), off/on runs back to back; the % are medians of each pair's ratio |
"
done
ECHO_ROWS=${ECHO_ROWS%$'\n'}

TABLE=$(cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores of "$CPU" (a VM), $(uname -r),
commit $COMMIT${DIRTY:+ $DIRTY}, $BUILD_TYPE build; $NODE_VERSION, $PY_VERSION.
Every figure is the median of the runs noted; the whole run took ${ELAPSED} s.
Load average before / after the run: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)
(anything above ~0 means other work shared the 2 cores with the benchmarks);
CPU time stolen by the hypervisor during the run: $(echo "$TICKS_BEFORE $(cpu_ticks)" | awk '{printf "%.1f", ($3 - $1 > 0) ? 100 * ($4 - $2) / ($3 - $1) : 0}') %
(above a few % the network figures are not to be trusted).

| what | median | target / anchor | | how it was measured |
| --- | ---: | --- | --- | --- |
| raw context switch (asm) | $(fmt 2 "$SWITCH") ns | ≤ 15 ns; minicoro ~13 ns, Boost.Context fcontext ~9 ns (*published*, not measured here) | $(status "$(le "$SWITCH" 15)") | bench_runtime: 20 M one-way switches between two stacks, median of 5 inside each of $RUNS runs |
| glibc \`swapcontext\` (measured here) | $(fmt 1 "$SWAPCTX") ns | raw switch is $(fmt 0 "$(calc "$SWAPCTX / $SWITCH")")× faster | | same loop over \`swapcontext\` (it makes a sigprocmask syscall), $RUNS runs |
| \`co_yield\` round trip | $(fmt 2 "$YIELD") ns | ≤ 30 ns | $(status "$(le "$YIELD" 30)") | bench_runtime: two tasks yielding to each other through the scheduler, per yield-and-back, $RUNS runs |
| spawn + join | $(fmt 1 "$SPAWN") ns | ≤ 300 ns | $(status "$(le "$SPAWN" 300)") | bench_runtime: \`co_spawn\` + \`co_join\` of an empty task, pooled stacks, $RUNS runs |
| 100 k live tasks, RSS | $(fmt 0 "$LIVE_RSS") MiB ($(fmt 0 "$LIVE_B") B/task) | ≤ 1 GiB | $(status "$(le "$LIVE_RSS" 1024)") | bench_runtime: RSS growth with 100 000 tasks parked in \`co_sleep\`, $RUNS runs |
| trace emit, tracing off | $(fmt 2 "$EMIT_OFF") ns/event | | | bench_record: the \`TR_ON()\` branch alone, $RUNS runs |
| trace emit, hot path | $(fmt 1 "$EMIT_BURST") ns/event | ≤ 10 ns | $(status "$(le "$EMIT_BURST" 10)") | bench_record: bursts of half a ring ($CLOCK timestamps), flushed untimed between bursts, $RUNS runs |
| traced start-up, empty program | $(fmt 2 "$START_TAX") ms over untraced ($(fmt 2 "$START_OFF") ms); $(fmt 2 "$START_TAX_OW") ms when overwriting the last trace | ≤ 3 ms over untraced | $(status "$(le "$START_TAX" 3)") | bench_linerate: 40 pairs of runs traced / untraced, alternating, median of the pairs' differences; $READ_RUNS runs |
| spawn + exit beyond 4096 live tasks | $(fmt 1 "$BEYOND") ns (first round, every stack new: $(fmt 0 "$BEYOND_COLD") ns) | ≤ 500 ns | $(status "$(le "$BEYOND" 500)") | bench_linerate: rounds of 10 000 tasks spawned, then all joined; rounds 2–6 of 5 runs; $READ_RUNS runs |
| traced \`co_yield\` ping-pong, sustained | $(fmt 1 "$Y_ON") ns per yield (untraced $(fmt 1 "$Y_OFF") ns; a clock read $(fmt 1 "$CLOCK_NS") ns, so untraced + one read $(fmt 1 "$Y_FLOOR") ns) | ≤ 40 ns | $(status "$(le "$Y_ON" 40)") | bench_linerate: 2 tasks × 1 M yields, traced / untraced rounds paired in one process, timed up to the writer's flush (its formatting and \`write(2)\` count); $READ_RUNS runs |
| caller-chain stacks, added per wait | $(fmt 1 "$ST_ADDED") ns on the loop thread's CPU (traced \`co_yield\` $(fmt 1 "$ST_ON") ns with stacks, $(fmt 1 "$ST_OFF") ns with COSCOPE_STACKS=0); $(fmt 1 "$ST_PROC") ns of process CPU (the writer too); an 8-frame walk alone $(fmt 1 "$ST_WALK") ns | | | bench_stacks: 31 pairs of 50 000 traced yields, stacks on / off back to back in alternating order, median of the pairs' own differences (middle halves per run: $ST_SPREAD); $READ_RUNS runs |
| trace emit, sustained | $(fmt 1 "$EMIT_SUST") ns/event | | | bench_record: $(calc "$REC_EVENTS / 1e6") M events back to back, the loop waits for the writer thread, file in /tmp; $REC_DROPS dropped |
| trace formatter | $(fmt 0 "$FMT_MBS") MB/s | writer ≥ 1 GB/s | $(status "$(ge "$FMT_MBS" 1000)") | bench_record: records → JSON lines into memory, one thread, $RUNS runs |
| trace writer, end to end | $(fmt 0 "$WRITER_MBS") MB/s | writer ≥ 1 GB/s | $(status "$(ge "$WRITER_MBS" 1000)") | $(fmt 1 "$LINE_B") B/line ÷ sustained ns/event: format + \`write(2)\` to a /tmp file (page cache), 2 cores shared with the emitting thread |
| http_hello, tracing off | $(fmt 0 "$H_OFF") req/s ($(r_node "$H_OFF")× Node); $(fmt 2 "$C_OFF") µs CPU/req | ≥ 2× Node | $(status "$(ge "$H_OFF" "2 * $H_NODE")") | \`wrk -t2 -c100 -d${HTTP_SECS}s\` on 127.0.0.1 after a ${WARM_SECS} s warm-up, $RUNS rounds in rotating order; wrk shares the 2 cores with the server. CPU/req: the server's user+sys time (all threads) ÷ requests |
| http_hello, tracing on | $(fmt 0 "$H_ON") req/s ($(r_node "$H_ON")× Node), $(loss_words "$H_LOSS") off; $(fmt 2 "$C_ON") µs CPU/req ($(fmt 1 "$C_TAX") % more) | loses ≤ 3 %; CPU/req ≤ 10 % more | $(status "$(le "$H_LOSS" 3)"); $(status "$(le "$C_TAX" 10)") | same, COSCOPE_TRACE to /tmp: $(fmt 0 "$TRACE_MB") MB per run, $(fmt 1 "$TRACE_B_REQ") B and $(fmt 1 "$TRACE_EV_REQ") events per request; the % are medians of each round's on/off ratio |
| http_hello trace bytes per request | $(fmt 1 "$TRACE_B_REQ") B ($(fmt 1 "$TRACE_EV_REQ") lines; $(fmt 1 "$(calc "(1 - $TRACE_B_REQ / 392) * 100")") % fewer than 5.6 lines × 70 B) | ≥ 30 % fewer than 392 B | $(status "$(le "$TRACE_B_REQ" 274.4)") | the tracing-on rounds above: trace file size ÷ requests |
| Node.js \`http\` hello | $(fmt 0 "$H_NODE") req/s (1.00); $(fmt 2 "$C_NODE") µs CPU/req | peer | | bench/peers/node_hello.js, same wrk rounds |
| Python asyncio \`Protocol\` hello | $(fmt 0 "$H_PY") req/s ($(r_node "$H_PY")× Node); $(fmt 2 "$C_PY") µs CPU/req | peer | | bench/peers/py_hello.py, same wrk rounds |
$ECHO_ROWS
| \`record --replayable\`, echo_server in-process clients | $(fmt 2 "$RP_ECHO")× the throughput of tracing alone; log $(fmt 0 "$RP_ECHO_LOG") MB/s | ≥ 0.8× | $(status "$(ge "$RP_ECHO" 0.8)") | bench/replay/replay.sh: 4 clients × 16 MiB echoed (the log keeps every byte read), traced vs traced + COSCOPE_REPLAY_LOG, paired, $RUNS pairs |
| \`record --replayable\`, http_hello in-process clients | $(fmt 2 "$RP_HTTP")× the throughput of tracing alone; log $(fmt 1 "$RP_HTTP_LOG") MB/s | ≥ 0.8× (rr: 1.4–8× slower) | $(status "$(ge "$RP_HTTP" 0.8)") | same script: http_hello --clients 50 --requests 2000, paired, $RUNS pairs |
| \`coscope replay\` of a sleep-dominated run | $(fmt 1 "$RP_SPEED")× faster than it was recorded | ≥ 10× | $(status "$(ge "$RP_SPEED" 10)") | same script: bench/replay/sleepy (50 tasks × 40 sleeps of 50–52 ms), recorded wall time ÷ \`coscope replay\` wall time (the check included), $RUNS pairs |
| trace load, $(fmt 0 "$MEV") M events | $(fmt 2 "$LOAD_S") s ($(fmt 3 "$(calc "$LOAD_S / $MEV")") s per M events) | ≤ 3 s | $(status "$(le "$LOAD_S" 3)") | bench_load on a gen_trace file of $(fmt 0 "$GEN_MB") MB in /tmp (page cache warm), $READ_RUNS runs |
| \`coscope export --chrome\`, $(fmt 0 "$MEV") M events | $(fmt 2 "$EXP_CMD") s (the export alone: $(fmt 2 "$EXP_FILE") s to a /tmp file, $(fmt 2 "$EXP_NULL") s to /dev/null) | ≤ 7 s | $(status "$(le "$EXP_CMD" 7)") | bench_export: load + analysis + the Chrome JSON export of the gen_trace file, as the command does; $EXPORT_RUNS run(s) |
| \`coscope export --perfetto\`, $(fmt 0 "$MEV") M events | the export alone: $(fmt 2 "$EXP_PB_FILE") s to a /tmp file, $(fmt 2 "$EXP_PB_NULL") s to /dev/null ($(fmt 2 "$(calc "$EXP_PB_FILE / $EXP_FILE")")× and $(fmt 2 "$(calc "$EXP_PB_NULL / $EXP_NULL")")× the JSON's) | — | measured | bench_export, the same runs: the protobuf export of the same loaded trace |
| \`coscope stalls\`, 100 000 tasks parked then released ($(fmt 0 "$HERD_N") stalls) | $(fmt 2 "$HERD_STALLS_S") s (\`stats\` on the same trace: $(fmt 2 "$HERD_STATS_S") s) | ≤ 3× \`stats\` (was 238 s against ~1 s) | $(status "$(le "$HERD_STALLS_S" "3 * $HERD_STATS_S")") | bench_herd: gen_herd's trace, then the whole CLI, \`stalls\` and \`stats\`; $READ_RUNS runs |
| trace load, peak RSS | $(fmt 0 "$LOAD_RSS") MB ($(fmt 1 "$(calc "$LOAD_RSS / $MEV")") MB per M events, $(fmt 2 "$LOAD_X")× file) | ≤ file size | $(status "$(le "$LOAD_X" 1)") | same runs, \`ru_maxrss\` after load + analysis |
| analysis | $(fmt 3 "$ANALYSIS_S") s | ≤ 2 s more | $(status "$(le "$ANALYSIS_S" 2)") | same runs, \`tr_analyze\` (stalls, wakeup edges) |
| real trace load (http_hello, tracing on) | $(fmt 2 "$H_LOAD_S") s for $(fmt 1 "$(calc "$H_LOAD_EV / 1e6")") M events, $(fmt 2 "$H_LOAD_X")× file, analysis $(fmt 3 "$H_ANALYSIS") s | | | bench_load once on the last ${HTTP_SECS}+${WARM_SECS} s http_hello trace ($(fmt 0 "$H_LOAD_MB") MB) |
| viewer frame, whole trace | $(fmt 2 "$F_WHOLE") ms | ≤ 16 ms at 1600×900 | $(status "$(le "$F_WHOLE" 16)") | bench_view: software renderer, offscreen, 1600×900, median of 50 frames, moving playhead, $READ_RUNS runs |
| viewer frame, 1/100 and 1/10000 zoom | $(fmt 2 "$F_100") / $(fmt 2 "$F_10K") ms (worst frame $(fmt 2 "$F_WORST") ms) | ≤ 16 ms | $(status "$(le "$F_100 > $F_10K ? $F_100 : $F_10K" 16)") | same runs and file |

Responses: all four servers sent the same $RESP_BYTES bytes to \`curl -i\` ($REF_SHAPE)$([ "$HEADERS_OK" = 1 ] || echo " — **NOT the same: see bench-logs/http-responses.txt**").
EOF
)

echo
echo "$TABLE"
if [ "$OUT" != - ]; then
    BEGIN='<!-- run-all:begin (bench/run-all.sh writes this part) -->'
    END='<!-- run-all:end -->'
    if [ -f "$OUT" ] && grep -qF "$BEGIN" "$OUT" && grep -qF "$END" "$OUT"; then
        awk -v b="$BEGIN" -v e="$END" -v t="$TABLE" '
            $0 == b {print; print t; skip = 1; next}
            $0 == e {skip = 0}
            !skip {print}' "$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
    else
        printf '# coscope benchmarks\n\n%s\n%s\n%s\n' "$BEGIN" "$TABLE" "$END" >"$OUT"
    fi
    say "table written to $OUT (raw output in $LOG_DIR)"
fi
