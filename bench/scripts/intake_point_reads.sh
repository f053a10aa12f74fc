#!/usr/bin/env bash
# Scenario "intake point reads": GetStatushouder direct to intake-service at 16 concurrent
# callers, side by side with mariadb-slap issuing the service's own point SELECT at 16 clients
# on the same rows, and the ratio (target >= 0.5), with loadgen's lean HTTP/2 client and with
# grpc++; then the same calls through the gateway (grpc++, bearer token) and its ratio to direct
# with grpc++ (gateway target: >= 0.7, <= 0.5 ms added to p50).
# Brings up the private MariaDB, scratch schemas, intake-service and the gateway on free ports;
# loads a gemeente of datagen rows through RegisterStatushouder (load_region), then reads them
# back in turn by id; prints one block.
#
#   bench/scripts/intake_point_reads.sh [--rows N] [--duration S] [--warmup S] [--no_gateway]
#                                       [--smoke]
#
# --smoke: tiny and short, builds nothing (for the test suite, so that the scenario cannot rot);
# the gateway half runs when gateway_server is built.
# From a second checkout next to a running dev stack, give its MariaDB its own port:
# INBURGERING_DB_PORT=3317 bench/scripts/intake_point_reads.sh
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
SCHEMA=bench_point_reads
# shellcheck source=intake_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/intake_common.sh"

ROWS=20000
DURATION=15
WARMUP=3
SMOKE=0
CALLERS=16
GATEWAY=1
while (($#)); do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --no_gateway) GATEWAY=0; shift ;;
    --smoke) SMOKE=1; ROWS=200; DURATION=1; WARMUP=0.2; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
GEMEENTE=GM0603
METHOD=/inburgering.v1.IntakeService/GetStatushouder

((SMOKE)) && [ ! -x "$BUILD/gateway/gateway_server" ] && GATEWAY=0
if ((GATEWAY)); then intake_build "$SMOKE" gateway_server; else intake_build "$SMOKE"; fi
intake_database
intake_start
((GATEWAY)) && gateway_start

log "loading $ROWS statushouders of $GEMEENTE through RegisterStatushouder"
load_rows "$ROWS"

# The statement the service runs for GetStatushouder (mysql_statushouder_store.cc): the unique
# id, scoped to the gemeente. One per loaded id, shuffled so that clients do not walk in step.
awk -v g="$GEMEENTE" '{ printf "SELECT record FROM statushouders WHERE id = '\''%s'\'' AND gemeente = '\''%s'\'';\n", $1, g }' \
  "$WORK/ids.txt" | shuf --random-source=<(yes) >"$WORK/select.sql"
# About as many seconds of statements as an RPC run (at ~1,500/s per client), at least 20,000.
SLAP_PER_CLIENT=$(awk -v d="$DURATION" -v c="$CALLERS" \
  'BEGIN { n = 1500 * d; if (n < 20000 / c) n = 20000 / c; printf "%d", n }')
((SMOKE)) && SLAP_PER_CLIENT=20
# mariadb-slap runs right before and right after the run of record (--client h2), and the ratio
# is taken against the faster of the two: this machine's speed drifts within minutes, and a
# slower baseline must not flatter it.
slap() {  # prefix
  log "mariadb-slap ($1): the same point SELECT, $CALLERS clients x $SLAP_PER_CLIENT statements"
  cpu_snapshot
  slap_rate Com_select "$CALLERS" "$SLAP_PER_CLIENT" "$WORK/select.sql" >"$WORK/$1.slap"
  cpu_since >"$WORK/$1.slapcpu"
}
slap before

# Every run has the same shape. Twice direct: with the lean HTTP/2 client (the figure of record:
# as cheap per call as h2load, the way mariadb-slap's C client is cheap, so that the client takes
# as little of the two cores from the service as slap's takes from MariaDB), then with grpc++ (the
# suite's own client); then with grpc++ through the gateway.
reads() {  # output-prefix client target metadata...
  local name=$1 client=$2 target=$3 m
  shift 3
  local metadata=()
  for m in "$@"; do metadata+=(--metadata "$m"); done
  log "loadgen --client $client: GetStatushouder at $target, 4 channels x $((CALLERS / 4))" \
    "in flight, ${WARMUP}s warm-up + ${DURATION}s"
  cpu_snapshot
  "$LOADGEN" --client "$client" --target "$target" --method "$METHOD" "${metadata[@]}" \
    --request_json '{"id": "{{id}}"}' --ids_file "$WORK/ids.txt" --channels 4 \
    --inflight $((CALLERS / 4)) --duration "$DURATION" --warmup "$WARMUP" --json \
    >"$WORK/$name.json" 2>"$WORK/$name.txt" || die "loadgen ($name) failed: $(cat "$WORK/$name.txt")"
  cpu_since >"$WORK/$name.cpu"
}
DIRECT=("x-inburgering-gemeente=$GEMEENTE" x-inburgering-role=consulent x-inburgering-subject=bench)
reads loadgen h2 "127.0.0.1:$INTAKE_PORT" "${DIRECT[@]}"
RPC_CPU=$(cat "$WORK/loadgen.cpu")
RPC_RATE=$(json_num "$WORK/loadgen.json" ok_per_s)
slap after
reads grpcpp grpc "127.0.0.1:$INTAKE_PORT" "${DIRECT[@]}"
GRPCPP_CPU=$(cat "$WORK/grpcpp.cpu")
GRPCPP_RATE=$(json_num "$WORK/grpcpp.json" ok_per_s)
GRPCPP_P50=$(json_num "$WORK/grpcpp.json" p50)

if ((GATEWAY)); then
  GW_CPU0=$(cpu_seconds "$GATEWAY_PID")
  reads gateway grpc "127.0.0.1:$GATEWAY_PORT" "authorization=Bearer $GATEWAY_TOKEN"
  GW_CPU=$(awk -v t0="$SNAP_T" -v t1="$(now)" -v c0="$GW_CPU0" -v c1="$(cpu_seconds "$GATEWAY_PID")" \
    'BEGIN { printf "gateway %.2f cores, ", (c1 - c0) / (t1 - t0) }')$(cat "$WORK/gateway.cpu")
  GW_RATE=$(json_num "$WORK/gateway.json" ok_per_s)
  GW_P50=$(json_num "$WORK/gateway.json" p50)
fi

read -r SLAP1_RATE SLAP1_SECONDS SLAP1_COUNT <"$WORK/before.slap"
read -r SLAP2_RATE SLAP2_SECONDS SLAP2_COUNT <"$WORK/after.slap"
SLAP_RATE=$((SLAP1_RATE > SLAP2_RATE ? SLAP1_RATE : SLAP2_RATE))

echo "== intake point reads: $(machine_line)"
echo "   $ROWS statushouders of $GEMEENTE loaded through RegisterStatushouder: $(sed 's/^load_region: //' "$WORK/load.txt" | head -1)"
echo "-- GetStatushouder direct to intake-service, $CALLERS callers (4 connections x $((CALLERS / 4))), lean HTTP/2 client"
sed 's/^/   /' "$WORK/loadgen.txt"
echo "   server    $RPC_CPU"
echo "-- the same with the grpc++ client"
sed 's/^/   /' "$WORK/grpcpp.txt"
echo "   server    $GRPCPP_CPU"
echo "-- mariadb-slap just before the h2 run ($(cat "$WORK/before.slapcpu")), $CALLERS clients: $SLAP1_COUNT point SELECTs (server Com_select) in ${SLAP1_SECONDS}s = $SLAP1_RATE/s"
echo "-- mariadb-slap just after it ($(cat "$WORK/after.slapcpu")): $SLAP2_COUNT in ${SLAP2_SECONDS}s = $SLAP2_RATE/s; the baseline is the faster, $SLAP_RATE/s"
awk -v r="$RPC_RATE" -v g="$GRPCPP_RATE" -v s="$SLAP_RATE" \
  'BEGIN { printf "-- result   GetStatushouder %.0f ok/s, point SELECT %.0f/s, ratio %.2f (target >= 0.5); with grpc++ %.0f ok/s, ratio %.2f\n", r, s, r / s, g, g / s }'
if ((GATEWAY)); then
  echo "-- GetStatushouder through the gateway (gRPC, bearer token, audit log on), same shape"
  sed 's/^/   /' "$WORK/gateway.txt"
  echo "   server    $GW_CPU"
  awk -v g="$GW_RATE" -v d="$GRPCPP_RATE" -v gp="$GW_P50" -v dp="$GRPCPP_P50" \
    'BEGIN { printf "-- result   via gateway %.0f ok/s = %.2f x direct with grpc++ (target >= 0.7), p50 +%.2f ms (target <= 0.5)\n", g, g / d, (gp - dp) / 1000 }'
fi
