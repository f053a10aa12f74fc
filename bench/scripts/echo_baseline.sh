#!/usr/bin/env bash
# Scenario "echo baseline": the most this machine does for a unary gRPC call, the figure every
# other scenario in bench/RESULTS.md is a ratio to. Builds echo_server and loadgen if needed,
# starts echo_server on a free port, loads it with loadgen and then with h2load at the same shape
# (8 connections x 16 calls in flight, closed loop), and prints one result block with both.
#
#   bench/scripts/echo_baseline.sh [--duration S] [--warmup S] [--channels N] [--inflight M]
#                                  [--smoke]
#
# --smoke: a one-second run that neither builds nor installs anything (for the test suite, so the
# scenario cannot rot); h2load is skipped when it is not installed.
#
# h2load checks HTTP status only: a failed RPC is HTTP 200 with a non-zero grpc-status in the
# trailers, so its "succeeded" is not a gRPC success. loadgen's status counts are the check that
# the calls really worked; the h2load figure is the cross-check of loadgen's client overhead.
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

DURATION=10
WARMUP=2
CHANNELS=8
INFLIGHT=16
SMOKE=0
while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --channels) CHANNELS=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --smoke) SMOKE=1; DURATION=1; WARMUP=0.2; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done

METHOD=/inburgering.bench.EchoService/Echo
REQUEST='{"message":"hallo"}'
ECHO_SERVER="$BUILD/bench/echo_server"
LOADGEN="$BUILD/bench/loadgen"

if ((!SMOKE)); then
  if ! command -v h2load >/dev/null; then
    log "installing h2load (Debian package nghttp2-client)"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      nghttp2-client >/dev/null
  fi
  [ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
  log "building echo_server and loadgen in $BUILD"
  cmake --build "$BUILD" --target echo_server loadgen >/dev/null
fi
if [ ! -x "$ECHO_SERVER" ] || [ ! -x "$LOADGEN" ]; then die "echo_server or loadgen not built in $BUILD"; fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ECHO_SERVER" --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  # The server's shell opens server.out after this loop may first look: not there yet is not
  # an error (it failed the smoke test once, under set -e).
  PORT=$(sed -n 's/^port=//p' "$WORK/server.out" 2>/dev/null || true)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "echo_server exited: $(cat "$WORK/server.log")"
  sleep 0.1
done
[ -n "$PORT" ] || die "echo_server printed no port within 10 s"

# CPU seconds the server used so far (utime + stime from /proc, in clock ticks): with client and
# server on the same few cores, who used the CPU explains a figure as much as the figure itself.
TICKS=$(getconf CLK_TCK)
server_cpu() { awk -v t="$TICKS" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$SERVER_PID/stat"; }
cores() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { printf "%.2f", (b - a) / s }'; }

log "loadgen: $CHANNELS channels x $INFLIGHT in flight, ${WARMUP}s warm-up + ${DURATION}s"
cpu0=$(server_cpu)
start=$(date +%s.%N)
"$LOADGEN" --target "127.0.0.1:$PORT" --method "$METHOD" --request_json "$REQUEST" \
  --channels "$CHANNELS" --inflight "$INFLIGHT" --duration "$DURATION" --warmup "$WARMUP" \
  --json >"$WORK/loadgen.json" 2>"$WORK/loadgen.txt" || die "loadgen failed: $(cat "$WORK/loadgen.txt")"
end=$(date +%s.%N)
LOADGEN_SERVER_CORES=$(cores "$cpu0" "$(server_cpu)" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
json_field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$WORK/loadgen.json"; }
LOADGEN_RATE=$(json_field ok_per_s)

H2LOAD_LINE="not run (h2load is not installed)"
H2LOAD_RATE=""
if command -v h2load >/dev/null; then
  # The body of one gRPC call, built by loadgen from the same request, so both tools send the
  # same bytes.
  "$LOADGEN" --method "$METHOD" --request_json "$REQUEST" --dump_request "$WORK/body.bin"
  log "h2load: $CHANNELS connections x $INFLIGHT streams, 1 thread"
  ms() { awk -v s="$1" 'BEGIN { printf "%dms", s * 1000 }'; }
  cpu0=$(server_cpu)
  start=$(date +%s.%N)
  TIMEFORMAT='%U %S %R'  # bash's `time`: the client CPU h2load used, to set against loadgen's
  { time h2load -c "$CHANNELS" -m "$INFLIGHT" -t 1 -D "$(ms "$DURATION")" \
    --warm-up-time "$(ms "$WARMUP")" -d "$WORK/body.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$PORT$METHOD" >"$WORK/h2load.txt" 2>&1; } 2>"$WORK/h2load.time" ||
    die "h2load failed: $(cat "$WORK/h2load.txt")"
  end=$(date +%s.%N)
  H2LOAD_CLIENT_CORES=$(awk '{ printf "%.2f", ($1 + $2) / $3 }' "$WORK/h2load.time")
  H2LOAD_SERVER_CORES=$(cores "$cpu0" "$(server_cpu)" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
  H2LOAD_RATE=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$WORK/h2load.txt")
  requests=$(grep '^requests:' "$WORK/h2load.txt" | sed 's/^requests: //')
  codes=$(grep '^status codes:' "$WORK/h2load.txt" | sed 's/^status codes: //')
  latency=$(awk '/^time for request:/ { printf "mean %s  max %s", $6, $5 }' "$WORK/h2load.txt")
  H2LOAD_LINE=$(printf '%.0f req/s  %s  (%s; HTTP %s)\n   client %s CPU cores, server %s cores' \
    "$H2LOAD_RATE" "$latency" "$requests" "$codes" "$H2LOAD_CLIENT_CORES" "$H2LOAD_SERVER_CORES")
fi

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "== echo baseline: $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores ($CPU_MODEL), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $METHOD $REQUEST, $CHANNELS connections x $INFLIGHT in flight, closed loop, ${WARMUP}s warm-up + ${DURATION}s"
echo "-- loadgen (server $LOADGEN_SERVER_CORES cores)"
sed 's/^/   /' "$WORK/loadgen.txt"
echo "-- h2load   $H2LOAD_LINE"
if [ -n "$H2LOAD_RATE" ]; then
  awk -v l="$LOADGEN_RATE" -v h="$H2LOAD_RATE" \
    'BEGIN { printf "-- result   loadgen %.0f ok/s, h2load %.0f req/s, loadgen/h2load = %.2f\n", l, h, l / h }'
else
  printf -- '-- result   loadgen %.0f ok/s\n' "$LOADGEN_RATE"
fi
