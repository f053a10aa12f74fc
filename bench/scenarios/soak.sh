#!/usr/bin/env bash
# Soak: the whole stack (the private MariaDB of scripts/lib.sh; intake, matching, reporting and the
# gateway on free loopback ports, each on a fresh soak_* schema) under a mixed load through the
# gateway: GetStatushouder reads and RegisterStatushouder writes (unique request_id and BSN per
# call), both as consulent of Rijswijk with a bearer token.
#
# 1. Peak: both closed loop at once for --peak_s seconds; their OK rates are the mix's peak.
#    (--rate R skips this and runs R calls/s, 80 % reads and 20 % writes.)
# 2. Soak: both open loop (bench/loadgen --rate) at 70 % of the peak for --duration seconds,
#    sampling the RSS of every process (gateway, the three services, mariadbd) every 10 s.
# 3. Prints the calls per status code and the RSS growth of each process from the end of the
#    warm-up (--warmup, default a fifth of the duration) to the end. Target: no errors, growth
#    <= 5 % for the gateway and the services (mariadbd is shown too; its buffer pool grows with
#    the tables). Exit 0 when both hold, 3 when not, 1 when the run could not be made.
#
#   bench/scenarios/soak.sh [--duration 600] [--rate CALLS_PER_S] [--peak_s 15] [--warmup S]
#                           [--smoke]   (6 s, builds nothing, RSS not judged: for the test suite)
#
# Next to a running dev stack, give this checkout's MariaDB its own port:
# INBURGERING_DB_PORT=3317 bench/scenarios/soak.sh --duration 60
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

DURATION=600
SMOKE=0
RATE=""
PEAK_S=15
WARMUP=""
while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --peak_s) PEAK_S=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --smoke) SMOKE=1; DURATION=6; PEAK_S=2; WARMUP=2; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
[ -n "$WARMUP" ] || WARMUP=$((DURATION / 5))
((WARMUP < DURATION)) || die "--warmup must be shorter than --duration"
SAMPLE_S=10
((SMOKE)) && SAMPLE_S=2
TOKEN=demo-consulent-rijswijk  # a dev token (config/dev/gateway.json holds its hash)

LOADGEN="$BUILD/bench/loadgen"
DATAGEN="$BUILD/bench/datagen"
for b in intake-service/intake_server matching-service/matching_server \
  reporting-service/reporting_server gateway/gateway_server bench/loadgen bench/datagen \
  tools/health_probe; do
  [ -x "$BUILD/$b" ] || die "$BUILD/$b is not built (cmake --build $BUILD)"
done

WORK=$(mktemp -d /tmp/inburgering-soak-XXXXXX)
declare -A PID=()
cleanup() {
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

db_start
APP_PASSWORD=$(secret mysql_app_password)
for s in intake matching reporting gateway; do
  mysql_admin <<SQL
DROP DATABASE IF EXISTS soak_$s;
CREATE DATABASE soak_$s CHARACTER SET utf8mb4;
GRANT ALL ON soak_$s.* TO 'inburgering'@'127.0.0.1';
SQL
done
python3 - "$ROOT/config/dev/gateway.json" >"$WORK/gateway.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config.pop("rateLimit", None)  # the soak measures the stack, not the per-principal limiter
json.dump(config, sys.stdout)
PY

declare -A ADDR=()
for s in intake matching reporting gateway; do ADDR[$s]=127.0.0.1:$(free_port); done
start() {  # name binary args...
  local name=$1; shift
  INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "$@" --listen="${ADDR[$name]}" \
    --mysql_host=127.0.0.1 --mysql_port="$DB_PORT" --mysql_user=inburgering \
    --mysql_schema="soak_$name" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 1 200); do
    "$BUILD/tools/health_probe" --target="${ADDR[$name]}" >/dev/null 2>&1 && return 0
    alive "${PID[$name]}" || die "$name exited: $(tail -5 "$WORK/$name.log")"
    sleep 0.1
  done
  die "$name did not serve within 20 s: $(tail -5 "$WORK/$name.log")"
}
log "starting the stack (logs in $WORK)"
start intake "$BUILD/intake-service/intake_server" --config="$ROOT/config/dev/intake.json"
start matching "$BUILD/matching-service/matching_server" --config="$ROOT/config/dev/matching.json" \
  --intake_target="${ADDR[intake]}"
start reporting "$BUILD/reporting-service/reporting_server" \
  --config="$ROOT/config/dev/reporting.json" --intake_target="${ADDR[intake]}" \
  --matching_target="${ADDR[matching]}"
start gateway "$BUILD/gateway/gateway_server" --config="$WORK/gateway.json" \
  --http_listen="127.0.0.1:$(free_port)" --intake_target="${ADDR[intake]}" \
  --matching_target="${ADDR[matching]}" --reporting_target="${ADDR[reporting]}"
MARIADBD_PID=$(cat "$DB_DIR/mariadbd.pid")  # sampled, not stopped: scripts/lib.sh reuses it

# Requests: a datagen row as the registration template, its BSN from a slice of a list of valid,
# distinct BSNs ({{id}}), its request_id unique per call; reads rotate over preloaded ids.
"$DATAGEN" --seed 7 --gemeenten 1 --statushouders 1 |
  sed 's/"requestId":"[^"]*"/"requestId":"soak-{{run}}-{{i}}"/; s/"bsn":"[0-9]*"/"bsn":"{{id}}"/' \
    >"$WORK/register.json"
bsns() {  # file first count
  "$DATAGEN" --seed 7 --format bsn --first "$2" --statushouders "$3" >"$1"
}
loadgen() {  # name method request-flag... : common flags for the gateway and the token
  local name=$1; shift
  "$LOADGEN" --target "${ADDR[gateway]}" --metadata "authorization=Bearer $TOKEN" \
    --deadline_ms 5000 --json "$@" >"$WORK/$name.json" 2>"$WORK/$name.txt"
}
READ=(--method /inburgering.v1.IntakeService/GetStatushouder --request_json '{"id": "{{id}}"}'
  --ids_file "$WORK/ids.txt")
WRITE=(--method /inburgering.v1.IntakeService/RegisterStatushouder
  --request_file "$WORK/register.json")

PRELOAD=2000
log "preloading $PRELOAD statushouders through the gateway"
bsns "$WORK/bsns.preload" 0 "$PRELOAD"
loadgen preload "${WRITE[@]}" --ids_file "$WORK/bsns.preload" --requests "$PRELOAD" --warmup 0 \
  --channels 2 --inflight 8 || die "preload failed: $(cat "$WORK/preload.txt")"
mysql_admin -N -B -e "SELECT id FROM soak_intake.statushouders" >"$WORK/ids.txt"
[ "$(wc -l <"$WORK/ids.txt")" = "$PRELOAD" ] || die "preload stored $(wc -l <"$WORK/ids.txt") rows"

num() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -1; }
if [ -z "$RATE" ]; then
  log "peak: reads and writes closed loop together for ${PEAK_S}s"
  bsns "$WORK/bsns.peak" "$PRELOAD" 200000
  loadgen peak_reads "${READ[@]}" --channels 2 --inflight 16 --duration "$PEAK_S" --warmup 2 &
  r=$!
  loadgen peak_writes "${WRITE[@]}" --ids_file "$WORK/bsns.peak" --channels 2 --inflight 8 \
    --duration "$PEAK_S" --warmup 2 &
  w=$!
  wait $r || die "peak reads failed: $(cat "$WORK/peak_reads.txt")"
  wait $w || die "peak writes failed: $(cat "$WORK/peak_writes.txt")"
  PEAK_READS=$(num "$WORK/peak_reads.json" ok_per_s)
  PEAK_WRITES=$(num "$WORK/peak_writes.json" ok_per_s)
  READ_RATE=$(awk -v r="$PEAK_READS" 'BEGIN { printf "%.0f", 0.7 * r }')
  WRITE_RATE=$(awk -v w="$PEAK_WRITES" 'BEGIN { printf "%.0f", 0.7 * w }')
  PEAK_LINE="peak of the mix: $PEAK_READS reads/s + $PEAK_WRITES writes/s (closed loop, ${PEAK_S}s)"
  FIRST_SOAK_BSN=$((PRELOAD + 200000))
else
  READ_RATE=$(awk -v r="$RATE" 'BEGIN { printf "%.0f", 0.8 * r }')
  WRITE_RATE=$(awk -v r="$RATE" 'BEGIN { printf "%.0f", 0.2 * r }')
  PEAK_LINE="rate given: $RATE calls/s"
  FIRST_SOAK_BSN=$PRELOAD
fi
((READ_RATE > 0 && WRITE_RATE > 0)) || die "rates too low: $READ_RATE reads/s, $WRITE_RATE writes/s"
bsns "$WORK/bsns.soak" "$FIRST_SOAK_BSN" $((WRITE_RATE * DURATION * 12 / 10 + 1000))

log "soak: $READ_RATE reads/s + $WRITE_RATE writes/s open loop for ${DURATION}s; RSS every ${SAMPLE_S}s"
loadgen soak_reads "${READ[@]}" --rate "$READ_RATE" --channels 2 --inflight 64 \
  --duration "$DURATION" --warmup 0 &
r=$!
loadgen soak_writes "${WRITE[@]}" --ids_file "$WORK/bsns.soak" --rate "$WRITE_RATE" --channels 2 \
  --inflight 64 --duration "$DURATION" --warmup 0 &
w=$!
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pid_of() { if [ "$1" = mariadbd ]; then echo "$MARIADBD_PID"; else echo "${PID[$1]}"; fi; }
NAMES=(gateway intake matching reporting mariadbd)
START=$(date +%s)
: >"$WORK/rss.tsv"
while alive $r || alive $w; do
  line="$(($(date +%s) - START))"
  for n in "${NAMES[@]}"; do line+=$'\t'"$(rss "$(pid_of "$n")")"; done
  echo "$line" >>"$WORK/rss.tsv"
  for _ in $(seq 1 $((SAMPLE_S * 10))); do
    alive $r || alive $w || break
    sleep 0.1
  done
done
line="$(($(date +%s) - START))"
for n in "${NAMES[@]}"; do line+=$'\t'"$(rss "$(pid_of "$n")")"; done
echo "$line" >>"$WORK/rss.tsv"
wait $r || true
wait $w || true

crashed=()
for n in "${NAMES[@]}"; do alive "$(pid_of "$n")" || crashed+=("$n"); done

echo
echo "soak, $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$PEAK_LINE"
echo "soak: ${DURATION}s open loop at $READ_RATE reads/s + $WRITE_RATE writes/s through the gateway"
errors=0
for kind in reads writes; do
  f="$WORK/soak_$kind.json"
  [ -s "$f" ] || { echo "  $kind: loadgen printed nothing: $(tail -3 "$WORK/soak_$kind.txt")"; errors=1; continue; }
  status=$(sed -n 's/.*"status":{\([^}]*\)}.*/\1/p' "$f" | tr -d '"')
  failed=$(num "$f" failed)
  echo "  $kind: $(num "$f" ok_per_s) OK/s, p50 $(num "$f" p50) us, p99 $(num "$f" p99) us, late sends $(num "$f" late_sends); by status: $status"
  [ "${failed:-1}" = 0 ] || errors=1
done
echo "RSS (kB) from the end of the ${WARMUP}s warm-up to the end (sampled every ${SAMPLE_S}s):"
growth_bad=0
for i in "${!NAMES[@]}"; do
  col=$((i + 2))
  read -r at_warmup last peak < <(awk -F'\t' -v c="$col" -v w="$WARMUP" '
    $1 >= w && base == "" { base = $c } { last = $c; if ($c > peak) peak = $c }
    END { print base, last, peak }' "$WORK/rss.tsv")
  pct=$(awk -v a="$at_warmup" -v b="$last" 'BEGIN { if (a > 0) printf "%+.1f", 100 * (b - a) / a; else print "n/a" }')
  note=""
  # mariadbd's buffer pool caches the tables the writes keep growing: it is shown, not judged.
  [ "${NAMES[$i]}" = mariadbd ] && note="  (buffer pool follows the data; not judged)"
  printf '  %-10s %9s -> %9s (peak %9s)  %s %%%s\n' "${NAMES[$i]}" "$at_warmup" "$last" "$peak" \
    "$pct" "$note"
  if [ -z "$note" ] && awk -v p="$pct" 'BEGIN { exit !(p == "n/a" || p > 5) }'; then
    growth_bad=1
  fi
done
((${#crashed[@]} == 0)) || echo "processes that died: ${crashed[*]}"
# Seconds say nothing about growth: the smoke run only checks that the soak runs without errors.
((SMOKE)) && growth_bad=0
if ((errors == 0 && growth_bad == 0 && ${#crashed[@]} == 0)); then
  echo "result: no errors, RSS growth <= 5 % for every process"
  exit 0
fi
echo "result: target missed (errors: $errors, growth over 5 %: $growth_bad, died: ${#crashed[@]}); logs and rss.tsv kept in $WORK"
KEEP_WORK=1
exit 3
