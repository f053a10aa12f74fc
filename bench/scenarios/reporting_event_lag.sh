#!/usr/bin/env bash
# Scenario "event lag" (reporting issue): under intake writes at a rate (default 2,000/s), how
# long until a change is in reporting-service's figures. Target: p99 <= 1 s.
#
# Brings up the private MariaDB, scratch schemas bench_lag (intake) and bench_lag_reporting, and
# intake-service + reporting-service (consuming intake's StreamEvents) on free ports. Then:
#   1. peak: RegisterStatushouder closed loop (64 in flight) for a few seconds, so the run can
#      say whether the machine sustains the offered rate at all;
#   2. lag at the offered rate: bench/loadgen registers statushouders of GM0518 open loop
#      (fresh 11-proef BSNs and request_ids) while bench/event_lag measures
#      - end to end, for samples: a registration in GM0603 (one at a time, nothing else writes
#        there) from its OK until GetGemeenteReport, as that gemeente's analist, shows it
#        (polled every 10 ms, later every tenth of the time waited so far);
#      - every event of the window: from its occur_time (stamped in intake's writing
#        transaction) to the first poll (every 10 ms) of reporting's stored cursor at or past it;
#   3. when intake's peak or reporting's pace (events/s applied while it works off the peak's
#      backlog) is below the offered rate: the same at 80 % of the lower of the two (what the
#      pipeline sustains); after every run reporting works off its backlog (pace printed);
#   4. lighter writes: RecordLanguageLevel updates (one version each, open loop) on the records
#      step 2 registered, at the offered rate, written by event_lag itself.
# Each step prints its block; the last line sums up.
#
#   bench/scenarios/reporting_event_lag.sh [--rate 2000] [--duration 30] [--warmup 5]
#                                          [--no_updates] [--smoke]
#
# --smoke: tiny and short (rate 50, 3 s), builds nothing: for the test suite.
# From a second checkout next to a running dev stack, share its MariaDB:
# ln -s /path/to/main/.local .local; INBURGERING_DB_PORT=3307 bench/scenarios/reporting_event_lag.sh
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
SCHEMA=${INBURGERING_BENCH_SCHEMA:-bench_lag}  # override to run beside the smoke test of another checkout
# shellcheck source=../scripts/intake_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/intake_common.sh"

RATE=2000
DURATION=30
WARMUP=5
PEAK_S=10
UPDATES=1
SMOKE=0
while (($#)); do
  case "$1" in
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --no_updates) UPDATES=0; shift ;;
    --smoke) SMOKE=1; RATE=50; DURATION=3; WARMUP=1; PEAK_S=2; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
LOAD_GEMEENTE=GM0518  # the bulk writes
SAMPLE_GEMEENTEN=GM0603  # the end-to-end samples: nothing else writes there
EVENT_LAG="$BUILD/bench/event_lag"

intake_build "$SMOKE" reporting_server event_lag
[ -x "$EVENT_LAG" ] || die "$EVENT_LAG is not built in $BUILD"
intake_database
intake_start
reporting_start
CPU_ALSO=(reporting-service "$REPORTING_PID")

# Registration template: a datagen row, its BSN from a list of valid distinct ones ({{id}}), its
# request_id unique per call. Slices of one seed's BSNs: [0, 4M) for the load, above for samples.
"$DATAGEN" --seed 11 --gemeenten 1 --statushouders 1 >"$WORK/row.jsonl"
sed 's/"requestId":"[^"]*"/"requestId":"lag-{{run}}-{{i}}"/; s/"bsn":"[0-9]*"/"bsn":"{{id}}"/' \
  "$WORK/row.jsonl" >"$WORK/register.json"
BSN_NEXT=0
bsns() {  # file count: the next COUNT unused BSNs
  "$DATAGEN" --seed 11 --format bsn --first "$BSN_NEXT" --statushouders "$2" >"$1"
  BSN_NEXT=$((BSN_NEXT + $2))
}
register() {  # name loadgen-flags...: RegisterStatushouder as LOAD_GEMEENTE's consulent
  local name=$1
  shift
  "$LOADGEN" --target "127.0.0.1:$INTAKE_PORT" --method /inburgering.v1.IntakeService/RegisterStatushouder \
    --metadata "x-inburgering-gemeente=$LOAD_GEMEENTE" --metadata x-inburgering-role=consulent \
    --metadata x-inburgering-subject=bench-lag --request_file "$WORK/register.json" \
    --ids_file "$WORK/bsns.$name" --channels 4 --deadline_ms 10000 --json "$@" \
    >"$WORK/$name.json" 2>"$WORK/$name.txt"
}
event_lag() {  # name event_lag-flags... (the samples' BSNs: bsns.NAME.samples, made before)
  local name=$1
  shift
  INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "$EVENT_LAG" \
    --intake_target "127.0.0.1:$INTAKE_PORT" --reporting_target "127.0.0.1:$REPORTING_PORT" \
    --mysql_host 127.0.0.1 --mysql_port "$DB_PORT" --mysql_user inburgering \
    --mysql_schema "${SCHEMA}_reporting" --intake_schema "$SCHEMA" \
    --gemeenten "$SAMPLE_GEMEENTEN" --register_json "$WORK/row.jsonl" \
    --bsn_file "$WORK/bsns.$name.samples" --duration "$DURATION" --warmup "$WARMUP" \
    --drain_s 5 --json_out "$WORK/$name.lag.json" "$@" >"$WORK/$name.lag.txt" 2>"$WORK/$name.lag.err"
}

log "peak: RegisterStatushouder closed loop, 4 connections x 16, ${PEAK_S}s (reporting consuming)"
# Enough distinct BSNs for the warm-up second and the peak at up to 8,000 calls/s.
bsns "$WORK/bsns.peak" $(((PEAK_S + 2) * 8000))
register peak --inflight 16 --duration "$PEAK_S" --warmup 1 || die "peak run failed: $(cat "$WORK/peak.txt")"
PEAK=$(json_num "$WORK/peak.json" ok_per_s)
# Reporting works off the peak's events before anything is measured; how fast it does is the
# consumer's own throughput.
log "waiting for reporting to apply the peak's events"
drain
PEAK_DRAIN=$DRAIN_RATE
PEAK_DRAINED=$DRAINED

# One lag run: registrations open loop at $2/s (loadgen) beside event_lag; prints its block.
RESULTS=()
lag_run() {  # name rate label
  local name=$1 rate=$2 label=$3 lg lag cpu
  log "$label: RegisterStatushouder open loop at $rate/s, ${WARMUP}s warm-up + ${DURATION}s, event_lag beside it"
  bsns "$WORK/bsns.$name" "$(awk -v r="$rate" -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", r * (d + w + 5) * 1.1 + 100 }')"
  bsns "$WORK/bsns.$name.samples" 2000
  cpu_snapshot
  register "$name" --rate "$rate" --inflight 64 --duration "$DURATION" --warmup "$WARMUP" &
  lg=$!
  event_lag "$name" &
  lag=$!
  wait "$lg" || log "loadgen reported failed calls (see the block)"
  cpu=$(cpu_since)
  wait "$lag" || log "event_lag: some changes were not seen (see the block)"
  [ -s "$WORK/$name.lag.json" ] || die "event_lag failed: $(cat "$WORK/$name.lag.err")"
  echo "-- $label: RegisterStatushouder of $LOAD_GEMEENTE open loop at $rate/s offered (loadgen), $(cut -d' ' -f1-3 /proc/loadavg) load"
  sed 's/^/   /' "$WORK/$name.txt"
  echo "   server    $cpu (the write run, drain excluded)"
  sed 's/^/   /' "$WORK/$name.lag.txt"
  drain
  echo "   drain     reporting after the run: $DRAIN"
  RESULTS+=("$label: $(json_num "$WORK/$name.json" ok_per_s) ok/s of $rate offered, lag p99 $(lag_p99 "$WORK/$name.lag.json" applied) (cursor), $(lag_p99 "$WORK/$name.lag.json" report) (report)")
}
lag_p99() {  # file key: "<p99> ms", or "no sample" when none was seen
  sed -n "s/.*\"$2\":{\"n\":\([0-9]*\),[^}]*\"p99_ms\":\([0-9.]*\).*/\1 \2/p" "$1" |
    awk '{ if ($1 > 0) printf "%s ms", $2; else printf "no sample" }'
}

echo "== reporting event lag: $(machine_line)"
echo "   intake-service + reporting-service (consuming intake's StreamEvents), scratch schemas $SCHEMA, ${SCHEMA}_reporting; MariaDB durable"
echo "-- peak: RegisterStatushouder closed loop, 4 connections x 16 in flight, ${PEAK_S}s"
sed 's/^/   /' "$WORK/peak.txt"
echo "   drain     reporting after the peak: $DRAIN"
lag_run offered "$RATE" "at the offered rate"
# What the pipeline sustains: intake's peak or reporting's pace, whichever is lower. Reporting's
# pace limits only when the peak left it a backlog (more than a second of the peak's writes):
# a consumer that kept up drained a handful of events, and their rate says nothing.
SUSTAINED=$(awk -v p="$PEAK" -v d="$PEAK_DRAIN" -v n="$PEAK_DRAINED" \
  'BEGIN { if (n > p && d > 0 && d < p) p = d; printf "%d", 0.8 * p }')
if ((SUSTAINED < RATE)); then
  lag_run sustained "$SUSTAINED" "at 80 % of min(intake peak, reporting pace)"
fi
if ((UPDATES)); then
  log "lighter writes: RecordLanguageLevel at $RATE/s on the records registered above"
  mysql_admin -N -B -e "SELECT gemeente, id FROM $SCHEMA.statushouders WHERE gemeente = '$LOAD_GEMEENTE'" \
    >"$WORK/update_ids.txt"
  bsns "$WORK/bsns.updates.samples" 2000
  cpu_snapshot
  event_lag updates --update_rate "$RATE" --update_ids "$WORK/update_ids.txt" ||
    log "event_lag: some changes were not seen (see the block)"
  cpu=$(cpu_since)
  [ -s "$WORK/updates.lag.json" ] || die "event_lag failed: $(cat "$WORK/updates.lag.err")"
  echo "-- lighter writes: RecordLanguageLevel on $(wc -l <"$WORK/update_ids.txt") records of $LOAD_GEMEENTE at $RATE/s offered (event_lag is the writer), $(cut -d' ' -f1-3 /proc/loadavg) load"
  sed 's/^/   /' "$WORK/updates.lag.txt"
  echo "   server    $cpu (including event_lag's 5 s drain)"
  drain
  echo "   drain     reporting after the run: $DRAIN"
  RESULTS+=("updates: $(sed -n 's/.*"writer":{"ok_per_s":\([0-9.]*\).*/\1/p' "$WORK/updates.lag.json") ok/s of $RATE offered, lag p99 $(lag_p99 "$WORK/updates.lag.json" applied) (cursor), $(lag_p99 "$WORK/updates.lag.json" report) (report)")
fi
echo "-- result   intake peak $PEAK registrations/s closed loop, reporting pace $PEAK_DRAIN events/s; target: p99 <= 1000 ms at 2000 writes/s"
for r in "${RESULTS[@]}"; do echo "   $r"; done
