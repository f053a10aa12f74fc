#!/usr/bin/env bash
# Scenario "JSON over HTTP vs gRPC through the gateway" (bench issue): GetStatushouder by id at the
# same concurrency (16 calls in flight), side by side in one run:
#   - direct to intake-service (gRPC, bench/loadgen, 4 connections x 4): the reference;
#   - gRPC through the gateway with a bearer token (loadgen, 4 connections x 4);
#   - JSON over HTTP/1.1 through the gateway: POST /inburgering.v1.IntakeService/GetStatushouder
#     with the same token (wrk, 16 connections, one request each; Lua script
#     gateway_json_get.lua rotating the same ids); a non-2xx answer counts as failed.
# Brings up the private MariaDB, scratch schemas bench_json (intake) and bench_json_gateway
# (the audit log), intake-service and the gateway (no rate limit) on free ports; loads a gemeente
# of datagen rows through RegisterStatushouder; prints one block with throughput, p50/p99, the CPU
# of gateway, intake-service and mariadbd per run, and the ratio JSON/gRPC.
# Gateway target (RESULTS.md): through the gateway a unary read keeps >= 0.7 x direct, <= 0.5 ms
# added to p50; this scenario shows how the HTTP front compares with the gRPC one.
#
#   bench/scenarios/gateway_json_vs_grpc.sh [--rows N] [--duration S] [--warmup S] [--smoke]
#
# --smoke: tiny and short, builds nothing (for the test suite). Needs wrk (Debian package wrk).
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
SCHEMA=${INBURGERING_BENCH_SCHEMA:-bench_json}  # override to run beside the smoke test of another checkout
# shellcheck source=../scripts/intake_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/intake_common.sh"

ROWS=20000
DURATION=15
WARMUP=3
SMOKE=0
CALLERS=16
while (($#)); do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --smoke) SMOKE=1; ROWS=200; DURATION=1; WARMUP=1; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
GEMEENTE=GM0603
METHOD=/inburgering.v1.IntakeService/GetStatushouder
command -v wrk >/dev/null || die "wrk is not installed (Debian package wrk; scripts/lib.sh install_deps)"

intake_build "$SMOKE" gateway_server
intake_database
intake_start
gateway_start
CPU_ALSO=(gateway "$GATEWAY_PID")

log "loading $ROWS statushouders of $GEMEENTE through RegisterStatushouder"
load_rows "$ROWS"

declare -A CPU=()  # per run: "gateway X cores, intake-service Y cores, mariadbd Z cores"
grpc_run() {  # name target metadata...: loadgen, CALLERS in flight; sets CPU[name]
  local name=$1 target=$2
  shift 2
  log "loadgen: GetStatushouder $name, 4 connections x $((CALLERS / 4)), ${WARMUP}s warm-up + ${DURATION}s"
  cpu_snapshot
  "$LOADGEN" --target "$target" --method "$METHOD" "$@" --request_json '{"id": "{{id}}"}' \
    --ids_file "$WORK/ids.txt" --channels 4 --inflight $((CALLERS / 4)) \
    --duration "$DURATION" --warmup "$WARMUP" --json >"$WORK/$name.json" 2>"$WORK/$name.txt" ||
    die "loadgen $name failed: $(cat "$WORK/$name.txt")"
  CPU[$name]=$(cpu_since)
}
grpc_run direct "127.0.0.1:$INTAKE_PORT" --metadata "x-inburgering-gemeente=$GEMEENTE" \
  --metadata x-inburgering-role=consulent --metadata x-inburgering-subject=bench
grpc_run gateway "127.0.0.1:$GATEWAY_PORT" --metadata "authorization=Bearer $GATEWAY_TOKEN"

# wrk has no warm-up of its own: a first run of WARMUP seconds is thrown away.
wrk_run() {  # seconds output
  WRK_IDS="$WORK/ids.txt" WRK_TOKEN="$GATEWAY_TOKEN" wrk -t 2 -c "$CALLERS" -d "${1}s" \
    --timeout 5s -s "$ROOT/bench/scenarios/gateway_json_get.lua" \
    "http://127.0.0.1:$GATEWAY_HTTP_PORT$METHOD" >"$2" 2>&1 || die "wrk failed: $(cat "$2")"
}
log "wrk: JSON GetStatushouder over HTTP/1.1, $CALLERS connections, ${WARMUP}s warm-up + ${DURATION}s"
wrk_run "$WARMUP" "$WORK/wrk_warmup.txt"
cpu_snapshot
TIMEFORMAT='%U %S'
{ time wrk_run "$DURATION" "$WORK/wrk.txt"; } 2>"$WORK/wrk_time.txt"
CPU[json]=$(cpu_since)
WRK_CPU=$(awk -v d="$DURATION" '{ printf "%.2f", ($1 + $2) / d }' "$WORK/wrk_time.txt")
wrk_field() { sed -n "s/^wrk_result.* $1=\([0-9.]*\).*/\1/p" "$WORK/wrk.txt"; }
JSON_N=$(wrk_field requests)
JSON_S=$(wrk_field seconds)
JSON_BAD=$(($(wrk_field non2xx) + $(wrk_field socket_errors)))
JSON_RATE=$(awk -v n="$JSON_N" -v b="$JSON_BAD" -v s="$JSON_S" 'BEGIN { printf "%.0f", (n - b) / s }')
ms() { awk -v u="$1" 'BEGIN { printf "%.2fms", u / 1000 }'; }

echo "== gateway JSON over HTTP vs gRPC: $(machine_line)"
echo "   $ROWS statushouders of $GEMEENTE loaded through RegisterStatushouder: $(sed 's/^load_region: //' "$WORK/load.txt" | head -1)"
echo "   GetStatushouder by id, ids rotating, $CALLERS calls in flight in every run; gateway audit log on, no rate limit"
echo "-- gRPC direct to intake-service (4 connections x $((CALLERS / 4)))"
sed 's/^/   /' "$WORK/direct.txt"
echo "   server    ${CPU[direct]}"
echo "-- gRPC through the gateway, bearer token (4 connections x $((CALLERS / 4)))"
sed 's/^/   /' "$WORK/gateway.txt"
echo "   server    ${CPU[gateway]}"
echo "-- JSON over HTTP/1.1 through the gateway, bearer token (wrk, $CALLERS connections)"
echo "   calls     $((JSON_N - JSON_BAD)) ok, $JSON_BAD failed (non-2xx or socket errors) in ${JSON_S} s"
echo "   rate      $JSON_RATE ok/s"
echo "   latency   p50 $(ms "$(wrk_field p50_us)")  p90 $(ms "$(wrk_field p90_us)")  p99 $(ms "$(wrk_field p99_us)")  max $(ms "$(wrk_field max_us)")  (all calls)"
echo "   client    $WRK_CPU CPU cores"
echo "   server    ${CPU[json]}"
awk -v d="$(json_num "$WORK/direct.json" ok_per_s)" -v g="$(json_num "$WORK/gateway.json" ok_per_s)" \
  -v j="$JSON_RATE" -v dp="$(json_num "$WORK/direct.json" p50)" \
  -v gp="$(json_num "$WORK/gateway.json" p50)" -v jp="$(wrk_field p50_us)" \
  -v gq="$(json_num "$WORK/gateway.json" p99)" -v jq="$(wrk_field p99_us)" 'BEGIN {
    printf "-- result   JSON/gRPC through the gateway: throughput %.2f x (%.0f vs %.0f ok/s), p50 %+.2f ms, p99 %+.2f ms\n", j / g, j, g, (jp - gp) / 1000, (jq - gq) / 1000
    printf "            vs direct (%.0f ok/s): gRPC via gateway %.2f x, p50 %+.2f ms; JSON via gateway %.2f x, p50 %+.2f ms (gateway target >= 0.7 x, <= +0.5 ms)\n", d, g / d, (gp - dp) / 1000, j / d, (jp - dp) / 1000
  }'
((JSON_BAD == 0)) || { log "JSON run had $JSON_BAD failed calls"; exit 3; }
