#!/usr/bin/env bash
# Scenario "intake point reads": GetStatushouder direct to intake-service at 16 concurrent
# callers, side by side with mariadb-slap issuing the service's own point SELECT at 16 clients
# on the same rows, and the ratio (target >= 0.5): in rounds, each run of loadgen's lean HTTP/2
# client between two slap runs, and once with grpc++; then the same calls through the gateway (grpc++, bearer token) and its ratio to direct
# with grpc++ (gateway target: >= 0.7, <= 0.5 ms added to p50).
# Brings up the private MariaDB, scratch schemas, intake-service and the gateway on free ports;
# loads a gemeente of datagen rows through RegisterStatushouder (load_region), then reads them
# back in turn by id; prints one block.
#
#   bench/scripts/intake_point_reads.sh [--rows N] [--rounds N] [--duration S] [--warmup S]
#                                       [--no_gateway] [--smoke]
#
# --duration: of each h2 round (default 4 s; the grpc++ and gateway runs take three times it).
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
ROUNDS=5
DURATION=4
WARMUP=1
SMOKE=0
CALLERS=16
GATEWAY=1
while (($#)); do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --no_gateway) GATEWAY=0; shift ;;
    --smoke) SMOKE=1; ROWS=200; ROUNDS=2; DURATION=1; WARMUP=0.2; shift ;;
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
# About as many seconds of statements as an RPC round (at ~1,500/s per client), at least 5,000.
SLAP_PER_CLIENT=$(awk -v d="$DURATION" -v c="$CALLERS" \
  'BEGIN { n = 1500 * d; if (n < 5000 / c) n = 5000 / c; printf "%d", n }')
((SMOKE)) && SLAP_PER_CLIENT=20
slap() {  # output-prefix
  cpu_snapshot
  slap_rate Com_select "$CALLERS" "$SLAP_PER_CLIENT" "$WORK/select.sql" >"$WORK/$1.slap"
  cpu_since >"$WORK/$1.cpu"
}

# Every loadgen run has the same shape: with the lean HTTP/2 client (the figure of record: as
# cheap per call as h2load, the way mariadb-slap's C client is cheap, so that the client takes as
# little of the two cores from the service as slap's takes from MariaDB), with grpc++ (the
# suite's own client), and with grpc++ through the gateway.
reads() {  # output-prefix client target duration metadata...
  local name=$1 client=$2 target=$3 duration=$4 m
  shift 4
  local metadata=()
  for m in "$@"; do metadata+=(--metadata "$m"); done
  cpu_snapshot
  "$LOADGEN" --client "$client" --target "$target" --method "$METHOD" "${metadata[@]}" \
    --request_json '{"id": "{{id}}"}' --ids_file "$WORK/ids.txt" --channels 4 \
    --inflight $((CALLERS / 4)) --duration "$duration" --warmup "$WARMUP" --json \
    >"$WORK/$name.json" 2>"$WORK/$name.txt" || die "loadgen ($name) failed: $(cat "$WORK/$name.txt")"
  cpu_since >"$WORK/$name.cpu"
}
DIRECT=("x-inburgering-gemeente=$GEMEENTE" x-inburgering-role=consulent x-inburgering-subject=bench)

# The ratio of record comes from rounds: slap, h2, slap, h2, ..., slap. Each h2 round is compared
# with the mean of the slap runs on either side of it, so that a machine whose speed drifts
# (this one's baseline moves by a third within minutes) moves both sides of a ratio alike; the
# median over the rounds is the figure, and the lowest round and the ratio against the faster
# neighbour (never flattering) are printed beside it.
log "$ROUNDS rounds of GetStatushouder (loadgen --client h2, 4 channels x $((CALLERS / 4)) in" \
  "flight, ${WARMUP}s warm-up + ${DURATION}s) between mariadb-slap runs ($CALLERS clients x" \
  "$SLAP_PER_CLIENT point SELECTs)"
slap slap0
for ((round = 1; round <= ROUNDS; round++)); do
  reads "h2_$round" h2 "127.0.0.1:$INTAKE_PORT" "$DURATION" "${DIRECT[@]}"
  slap "slap$round"
  read -r rate _ <"$WORK/slap$((round - 1)).slap"
  read -r next _ <"$WORK/slap$round.slap"
  echo "$round $(json_num "$WORK/h2_$round.json" ok_per_s) $rate $next" \
    "$(json_num "$WORK/h2_$round.json" p50) $(json_num "$WORK/h2_$round.json" p99)" >>"$WORK/rounds"
done
# Each round's ratio to the mean of its two slap runs, and to the faster of them.
awk '{ printf "%f %f\n", $2 / (($3 + $4) / 2), $2 / ($3 > $4 ? $3 : $4) }' "$WORK/rounds" >"$WORK/ratios"
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
RATIO=$(cut -d' ' -f1 "$WORK/ratios" | median)
LOWEST=$(cut -d' ' -f1 "$WORK/ratios" | sort -g | head -1)
HIGHEST=$(cut -d' ' -f1 "$WORK/ratios" | sort -g | tail -1)
FASTER=$(cut -d' ' -f2 "$WORK/ratios" | median)
SLAP_RATE=$(cat "$WORK"/slap*.slap | cut -d' ' -f1 | median)

log "loadgen --client grpc: GetStatushouder direct, $((3 * DURATION))s"
reads grpcpp grpc "127.0.0.1:$INTAKE_PORT" $((3 * DURATION)) "${DIRECT[@]}"
GRPCPP_CPU=$(cat "$WORK/grpcpp.cpu")
GRPCPP_RATE=$(json_num "$WORK/grpcpp.json" ok_per_s)
GRPCPP_P50=$(json_num "$WORK/grpcpp.json" p50)

if ((GATEWAY)); then
  GW_CPU0=$(cpu_seconds "$GATEWAY_PID")
  log "loadgen --client grpc: GetStatushouder through the gateway, $((3 * DURATION))s"
  reads gateway grpc "127.0.0.1:$GATEWAY_PORT" $((3 * DURATION)) "authorization=Bearer $GATEWAY_TOKEN"
  GW_CPU=$(awk -v t0="$SNAP_T" -v t1="$(now)" -v c0="$GW_CPU0" -v c1="$(cpu_seconds "$GATEWAY_PID")" \
    'BEGIN { printf "gateway %.2f cores, ", (c1 - c0) / (t1 - t0) }')$(cat "$WORK/gateway.cpu")
  GW_RATE=$(json_num "$WORK/gateway.json" ok_per_s)
  GW_P50=$(json_num "$WORK/gateway.json" p50)
fi

echo "== intake point reads: $(machine_line)"
echo "   $ROWS statushouders of $GEMEENTE loaded through RegisterStatushouder: $(sed 's/^load_region: //' "$WORK/load.txt" | head -1)"
echo "-- GetStatushouder direct to intake-service, $CALLERS callers (4 connections x $((CALLERS / 4))), lean HTTP/2 client, ${DURATION}s rounds, each between two mariadb-slap runs of the same point SELECT at $CALLERS clients"
echo "   slap 0   $(awk '{ printf "%d point SELECTs/s", $1 }' "$WORK/slap0.slap") ($(cat "$WORK/slap0.cpu"))"
while read -r round rate before after p50 p99; do
  awk -v n="$round" -v r="$rate" -v b="$before" -v a="$after" -v p="$p50" -v q="$p99" \
    -v cpu="$(cat "$WORK/h2_$round.cpu")" 'BEGIN { printf "   round %d  %d ok/s, p50 %.2f ms, p99 %.2f ms (%s); ratio %.2f to the mean of slap %d and %d\n", n, r, p / 1000, q / 1000, cpu, r / ((b + a) / 2), n - 1, n }'
  echo "   slap $round   $(awk '{ printf "%d point SELECTs/s", $1 }' "$WORK/slap$round.slap") ($(cat "$WORK/slap$round.cpu"))"
done <"$WORK/rounds"
echo "-- the same with the grpc++ client, one $((3 * DURATION))s run"
sed 's/^/   /' "$WORK/grpcpp.txt"
echo "   server    $GRPCPP_CPU"
awk -v m="$RATIO" -v lo="$LOWEST" -v hi="$HIGHEST" -v f="$FASTER" -v n="$ROUNDS" -v g="$GRPCPP_RATE" -v s="$SLAP_RATE" \
  'BEGIN { printf "-- result   GetStatushouder ratio %.2f, the median of %d rounds (lowest %.2f, highest %.2f; against the faster neighbour %.2f), target >= 0.5; with grpc++ %.0f ok/s = %.2f x the median slap run (%.0f/s)\n", m, n, lo, hi, f, g, g / s, s }'
if ((GATEWAY)); then
  echo "-- GetStatushouder through the gateway (gRPC, bearer token, audit log on), same shape"
  sed 's/^/   /' "$WORK/gateway.txt"
  echo "   server    $GW_CPU"
  awk -v g="$GW_RATE" -v d="$GRPCPP_RATE" -v gp="$GW_P50" -v dp="$GRPCPP_P50" \
    'BEGIN { printf "-- result   via gateway %.0f ok/s = %.2f x direct with grpc++ (target >= 0.7), p50 +%.2f ms (target <= 0.5)\n", g, g / d, (gp - dp) / 1000 }'
fi
