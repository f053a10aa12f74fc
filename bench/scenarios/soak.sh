#!/usr/bin/env bash
# Soak: the whole stack (the private MariaDB of scripts/lib.sh; intake, matching, reporting and the
# gateway on free loopback ports, each on fresh soak_<run>_* schemas,
# dropped at the end, so that runs may overlap, e.g. the suite's smoke run next to a long soak) under a mixed load through the
# gateway, as consulent of Rijswijk with a bearer token.
#
# --mode steady (the default, the figure of record): the working set stays the same size, so that
# RSS growth means memory the processes keep, not data they were given.
#   0. Population: --population statushouders (datagen rows, through the gateway with
#      bench/load_region) and 200 werkplekken (as WSP), then waits until matching has consumed
#      every registration. Nothing is added after this.
#   1. Peak: closed loop, all at once for --peak_s seconds: GetStatushouder and
#      RecommendWerkplekken on the population, ListStatushouders (first page of 50), and
#      versioned updates (bench/versioned_updates: RecordBredeIntake and UpdateStatushouder, each
#      with the version the previous answer returned). Their OK rates are the mix's peak.
# --mode growing: the first soak's mix, GetStatushouder reads of 2,000 preloaded records and
#   RegisterStatushouder writes (unique request_id and BSN): the population grows by every write,
#   and matching keeps every kandidaat in memory by design.
# (--rate R skips the peak and runs R calls/s in total, split as the mode's mix.)
# 2. Soak: every load open loop (--rate of bench/loadgen and versioned_updates) at 70 % of its
#    peak for --duration seconds; the RSS of every process (gateway, the three services, mariadbd)
#    is sampled every 10 s from t = 0, the start of the open-loop load (population and peak come
#    before it).
# 3. Prints the calls per status code and, per process, the RSS at t = --warmup (default a fifth
#    of the duration), halfway between that and the end, and at the end, with the growth from the
#    warm-up to the end (the target) and over the second half (a plateau shows as ~0 there).
#    Target: no errors, growth <= 5 % for the gateway and the services (mariadbd is shown too;
#    its buffer pool fills with the tables and the outbox keeps every event). Exit 0 when both
#    hold, 3 when not, 1 when the run could not be made.
#
#   bench/scenarios/soak.sh [--mode steady|growing] [--duration 600] [--rate CALLS_PER_S]
#                           [--peak_s 15] [--warmup S] [--population 5000]
#                           [--heaptrack gateway,intake]  (run those under heaptrack; its files
#                                                         stay in the work directory)
#                           [--malloc_stats]  (at the end, after the load: glibc's malloc_stats of
#                                             each service through gdb: heap in use vs held)
#                           [--smoke]   (6 s, builds nothing, RSS not judged: for the test suite)
#
# Next to a running dev stack, give this checkout's MariaDB its own port:
# INBURGERING_DB_PORT=3317 bench/scenarios/soak.sh --duration 60
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

DURATION=600
MODE=steady
POPULATION=5000
WERKPLEKKEN=200
HEAPTRACK=""
MALLOC_STATS=0
SMOKE=0
RATE=""
PEAK_S=15
WARMUP=""
while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --population) POPULATION=$2; shift 2 ;;
    --heaptrack) HEAPTRACK=,$2,; shift 2 ;;
    --malloc_stats) MALLOC_STATS=1; shift ;;
    --rate) RATE=$2; shift 2 ;;
    --peak_s) PEAK_S=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --smoke) SMOKE=1; DURATION=6; PEAK_S=2; WARMUP=2; POPULATION=200; WERKPLEKKEN=20; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
case "$MODE" in steady | growing) ;; *) die "--mode must be steady or growing" ;; esac
[ -n "$WARMUP" ] || WARMUP=$((DURATION / 5))
((WARMUP < DURATION)) || die "--warmup must be shorter than --duration"
SAMPLE_S=10
((SMOKE)) && SAMPLE_S=2
TOKEN=demo-consulent-rijswijk  # dev tokens (config/dev/gateway.json holds their hashes)
WSP_TOKEN=demo-wsp-haaglanden

LOADGEN="$BUILD/bench/loadgen"
DATAGEN="$BUILD/bench/datagen"
for b in intake-service/intake_server matching-service/matching_server \
  reporting-service/reporting_server gateway/gateway_server bench/loadgen bench/datagen \
  bench/load_region bench/versioned_updates tools/health_probe; do
  [ -x "$BUILD/$b" ] || die "$BUILD/$b is not built (cmake --build $BUILD)"
done

WORK=$(mktemp -d /tmp/inburgering-soak-XXXXXX)
declare -A PID=()
STARTED=()  # this shell's children that run a service (with heaptrack: heaptrack's script)
cleanup() {
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
  # Only these: a MariaDB that db_start started is a child too, and keeps running for the next use.
  ((${#STARTED[@]} == 0)) || wait "${STARTED[@]}" 2>/dev/null || true
  if [ -n "$HEAPTRACK" ]; then
    KEEP_WORK=1
    log "heaptrack files: $(ls "$WORK"/heaptrack.* 2>/dev/null | tr '\n' ' ')"
  fi
  if [ -n "${SCHEMA:-}" ]; then
    for s in intake matching reporting gateway; do
      mysql_admin -e "DROP DATABASE IF EXISTS ${SCHEMA}_$s" 2>/dev/null || true
    done
  fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

db_start
APP_PASSWORD=$(secret mysql_app_password)
SCHEMA="soak_$(basename "$WORK" | sed 's/.*-//')"  # this run's, from mktemp
for s in intake matching reporting gateway; do
  mysql_admin <<SQL
CREATE DATABASE ${SCHEMA}_$s CHARACTER SET utf8mb4;
GRANT ALL ON ${SCHEMA}_$s.* TO 'inburgering'@'127.0.0.1';
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
  local wrap=()
  [[ "$HEAPTRACK" == *,$name,* ]] && wrap=(heaptrack -o "$WORK/heaptrack.$name")
  INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "${wrap[@]}" "$@" --listen="${ADDR[$name]}" \
    --mysql_host=127.0.0.1 --mysql_port="$DB_PORT" --mysql_user=inburgering \
    --mysql_schema="${SCHEMA}_$name" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  STARTED+=("$!")
  if ((${#wrap[@]})); then
    # heaptrack's script runs the program as its child: sample and signal the program itself.
    local child=""
    for _ in $(seq 1 100); do
      child=$(ps --ppid "${PID[$name]}" -o pid=,comm= | awk -v b="$(basename "$1")" \
        'substr(b, 1, 15) == $2 { print $1 }')
      [ -n "$child" ] && break
      sleep 0.1
    done
    [ -n "$child" ] || die "$name did not start under heaptrack"
    PID[$name]=$child
  fi
  for _ in $(seq 1 600); do
    "$BUILD/tools/health_probe" --target="${ADDR[$name]}" >/dev/null 2>&1 && return 0
    alive "${PID[$name]}" || die "$name exited: $(tail -5 "$WORK/$name.log")"
    sleep 0.1
  done
  die "$name did not serve within 60 s: $(tail -5 "$WORK/$name.log")"
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

loadgen() {  # name method request-flag... : common flags for the gateway and the token
  local name=$1; shift
  "$LOADGEN" --target "${ADDR[gateway]}" --metadata "authorization=Bearer $TOKEN" \
    --deadline_ms 5000 --json "$@" >"$WORK/$name.json" 2>"$WORK/$name.txt"
}
updates() {  # name flags...: versioned updates of the population through the gateway
  local name=$1; shift
  "$BUILD/bench/versioned_updates" --target "${ADDR[gateway]}" --bearer "$TOKEN" \
    --deadline_ms 5000 --json "$@" >"$WORK/$name.json" 2>"$WORK/$name.txt"
}
READ=(--method /inburgering.v1.IntakeService/GetStatushouder --request_json '{"id": "{{id}}"}'
  --ids_file "$WORK/ids.txt")
bsns() {  # file first count
  "$DATAGEN" --seed 7 --format bsn --first "$2" --statushouders "$3" >"$1"
}
pct() { awk -v r="$1" -v p="$2" 'BEGIN { printf "%.0f", r * p / 100 }'; }
growth() {  # from to: the change in %, signed, or n/a
  awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%+.1f", 100 * (b - a) / a; else print "n/a" }'
}

# Each load: its name, the loadgen (or versioned_updates) flags, its in-flight calls for the
# peak, and its share of a given --rate.
declare -A PEAK_INFLIGHT=() SHARE=()
if [ "$MODE" = steady ]; then
  KINDS=(get list recommend update)
  log "population: $POPULATION statushouders and $WERKPLEKKEN werkplekken through the gateway"
  "$DATAGEN" --seed 7 --gemeenten 1 --statushouders "$POPULATION" >"$WORK/population.jsonl"
  "$BUILD/bench/load_region" --target "${ADDR[gateway]}" --bearer "$TOKEN" \
    --input "$WORK/population.jsonl" --inflight 16 --channels 2 --ids_out "$WORK/gemeente_ids.txt" \
    >"$WORK/population.txt" 2>&1 || die "population failed: $(tail -5 "$WORK/population.txt")"
  awk '{ print $2 }' "$WORK/gemeente_ids.txt" >"$WORK/ids.txt"
  awk '{ print $2, 1 }' "$WORK/gemeente_ids.txt" >"$WORK/versions.txt"  # fresh: version 1
  [ "$(wc -l <"$WORK/ids.txt")" = "$POPULATION" ] || die "population: $(wc -l <"$WORK/ids.txt") created"
  # Werkplekken: datagen's first row as the template, the occupation of each row in turn.
  "$DATAGEN" --seed 7 --kind werkplekken --gemeenten 1 --werkplekken "$WERKPLEKKEN" \
    >"$WORK/werkplekken.jsonl"
  sed -n 's/.*"occupationIsco":"\([0-9]*\)".*/\1/p' "$WORK/werkplekken.jsonl" >"$WORK/isco.txt"
  head -1 "$WORK/werkplekken.jsonl" |
    sed 's/"requestId":"[^"]*"/"requestId":"soak-wp-{{run}}-{{i}}"/; s/"occupationIsco":"[0-9]*"/"occupationIsco":"{{id}}"/' \
      >"$WORK/werkplek.json"
  "$LOADGEN" --target "${ADDR[gateway]}" --metadata "authorization=Bearer $WSP_TOKEN" --json \
    --method /inburgering.v1.MatchingService/RegisterWerkplek --request_file "$WORK/werkplek.json" \
    --ids_file "$WORK/isco.txt" --requests "$WERKPLEKKEN" --warmup 0 --channels 1 --inflight 4 \
    >"$WORK/werkplekken.json" 2>"$WORK/werkplekken.txt" ||
    die "werkplekken failed: $(cat "$WORK/werkplekken.txt")"
  # RecommendWerkplekken needs matching to know the kandidaat: wait for its consumer.
  for _ in $(seq 1 600); do
    # Sequences are gap-free from 1: the consumer has everything once its cursor reaches the
    # number of rows (the sequencer may not have numbered the last ones yet).
    read -r head cursor < <(mysql_admin -N -B -e "SELECT (SELECT COUNT(*) FROM ${SCHEMA}_intake.outbox),
      COALESCE((SELECT last_sequence FROM ${SCHEMA}_matching.consumer_cursors WHERE stream = 'intake'),
      0)")
    ((head > 0 && cursor >= head)) && break
    sleep 0.2
  done
  ((cursor >= head)) || die "matching did not catch up with intake (cursor $cursor of $head)"
  ARGS_get=("${READ[@]}")
  ARGS_list=(--method /inburgering.v1.IntakeService/ListStatushouders --request_json '{"pageSize": 50}')
  ARGS_recommend=(--method /inburgering.v1.MatchingService/RecommendWerkplekken
    --request_json '{"statushouderId": "{{id}}", "limit": 10}' --ids_file "$WORK/ids.txt")
  PEAK_INFLIGHT=([get]=8 [list]=2 [recommend]=4 [update]=8)
  SHARE=([get]=60 [list]=5 [recommend]=15 [update]=20)
else
  KINDS=(reads writes)
  # A datagen row as the registration template, its BSN from a slice of a list of valid,
  # distinct BSNs ({{id}}), its request_id unique per call; reads rotate over preloaded ids.
  "$DATAGEN" --seed 7 --gemeenten 1 --statushouders 1 |
    sed 's/"requestId":"[^"]*"/"requestId":"soak-{{run}}-{{i}}"/; s/"bsn":"[0-9]*"/"bsn":"{{id}}"/' \
      >"$WORK/register.json"
  WRITE=(--method /inburgering.v1.IntakeService/RegisterStatushouder
    --request_file "$WORK/register.json")
  PRELOAD=2000
  log "preloading $PRELOAD statushouders through the gateway"
  bsns "$WORK/bsns.preload" 0 "$PRELOAD"
  loadgen preload "${WRITE[@]}" --ids_file "$WORK/bsns.preload" --requests "$PRELOAD" --warmup 0 \
    --channels 2 --inflight 8 || die "preload failed: $(cat "$WORK/preload.txt")"
  mysql_admin -N -B -e "SELECT id FROM ${SCHEMA}_intake.statushouders" >"$WORK/ids.txt"
  [ "$(wc -l <"$WORK/ids.txt")" = "$PRELOAD" ] || die "preload stored $(wc -l <"$WORK/ids.txt") rows"
  ARGS_reads=("${READ[@]}")
  ARGS_writes=("${WRITE[@]}" --ids_file "$WORK/bsns.writes")
  PEAK_INFLIGHT=([reads]=16 [writes]=8)
  SHARE=([reads]=80 [writes]=20)
fi

run_kind() {  # kind phase(peak|soak) flags...: one load, in the background of the caller
  local kind=$1 phase=$2; shift 2
  if [ "$kind" = update ]; then
    updates "${phase}_$kind" --ids_file "$WORK/versions.txt" \
      --versions_out "$WORK/versions.$phase" "$@"
  else
    local -n args="ARGS_$kind"  # the kind's loadgen flags (ARGS_get, ARGS_reads, ...)
    loadgen "${phase}_$kind" "${args[@]}" --channels 2 "$@"
  fi
}

launch() {  # phase flags...: every load of the mix at once, in the background; JOB[kind] = pid
  local phase=$1 k
  shift
  JOB=()
  for k in "${KINDS[@]}"; do
    local own=()
    if [ "$phase" = peak ]; then
      own=(--inflight "${PEAK_INFLIGHT[$k]}")
    else
      own=(--rate "${RATE_OF[$k]}")
      # loadgen's open loop needs slots for calls that pile up; versioned_updates has none.
      [ "$k" = update ] || own+=(--inflight 64)
    fi
    run_kind "$k" "$phase" "${own[@]}" "$@" &
    JOB[$k]=$!
  done
}

declare -A RATE_OF=() JOB=()
if [ -z "$RATE" ]; then
  log "peak: ${KINDS[*]} closed loop together for ${PEAK_S}s"
  [ "$MODE" = growing ] && bsns "$WORK/bsns.writes" "$PRELOAD" 200000
  launch peak --duration "$PEAK_S" --warmup 2
  for k in "${KINDS[@]}"; do
    wait "${JOB[$k]}" || die "peak $k failed: $(cat "$WORK/peak_$k.txt")"
  done
  PEAK_LINE="peak of the mix (closed loop, ${PEAK_S}s):"
  for k in "${KINDS[@]}"; do
    p=$(json_num "$WORK/peak_$k.json" ok_per_s)
    RATE_OF[$k]=$(pct "$p" 70)
    PEAK_LINE+=" $k $p/s"
  done
  [ "$MODE" = steady ] && cp "$WORK/versions.peak" "$WORK/versions.txt"  # where the peak left them
else
  for k in "${KINDS[@]}"; do RATE_OF[$k]=$(pct "$RATE" "${SHARE[$k]}"); done
  PEAK_LINE="rate given: $RATE calls/s"
fi
SOAK_LINE=""
for k in "${KINDS[@]}"; do
  ((RATE_OF[$k] > 0)) || die "rate of $k too low: ${RATE_OF[$k]}/s"
  SOAK_LINE+=" $k ${RATE_OF[$k]}/s"
done
if [ "$MODE" = growing ]; then
  first_bsn=$PRELOAD
  [ -z "$RATE" ] && first_bsn=$((PRELOAD + 200000))  # after the peak's writes
  bsns "$WORK/bsns.writes" "$first_bsn" $((RATE_OF[writes] * DURATION * 12 / 10 + 1000))
fi

log "soak:$SOAK_LINE open loop for ${DURATION}s; RSS every ${SAMPLE_S}s"
launch soak --duration "$DURATION" --warmup 0
any_alive() {
  for k in "${KINDS[@]}"; do alive "${JOB[$k]}" && return 0; done
  return 1
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pid_of() { if [ "$1" = mariadbd ]; then echo "$MARIADBD_PID"; else echo "${PID[$1]}"; fi; }
NAMES=(gateway intake matching reporting mariadbd)
START=$(date +%s)
: >"$WORK/rss.tsv"
sample() {
  local line
  line="$(($(date +%s) - START))"
  for n in "${NAMES[@]}"; do line+=$'\t'"$(rss "$(pid_of "$n")")"; done
  echo "$line" >>"$WORK/rss.tsv"
}
while any_alive; do
  sample
  sleep "$SAMPLE_S"  # the last sample may come up to this late; its time is what is recorded
done
sample
for k in "${KINDS[@]}"; do wait "${JOB[$k]}" || true; done

crashed=()
for n in "${NAMES[@]}"; do alive "$(pid_of "$n")" || crashed+=("$n"); done

# RSS cannot tell memory the program holds from memory glibc keeps for reuse after free (in its
# arenas, one per thread up to 8 per core). malloc_stats() can: it prints, to the process's stderr,
# the bytes each arena got from the system and the bytes in use. Only after the load: gdb stops the
# process while it runs.
declare -A HEAP=()
if ((MALLOC_STATS)); then
  for n in gateway intake matching reporting; do
    log=$WORK/$n.log
    before=$(wc -l <"$log")
    timeout 120 gdb -p "${PID[$n]}" -batch -ex 'call (void) malloc_stats()' >/dev/null 2>&1 || true
    HEAP[$n]=$(tail -n +"$((before + 1))" "$log" | awk '
      /^Arena/ { arenas++ } /^Total/ { total = 1 }
      total && /system bytes/ { sys = $4 } total && /in use bytes/ { use = $5 }
      END { if (sys) printf "heap in use %.1f MB, held by malloc %.1f MB in %d arenas", use / 1e6, sys / 1e6, arenas }')
  done
fi

echo
echo "soak ($MODE), $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$MODE" = steady ] && echo "population: $POPULATION statushouders, $WERKPLEKKEN werkplekken (fixed)"
echo "$PEAK_LINE"
echo "soak: ${DURATION}s open loop at$SOAK_LINE through the gateway"
errors=0
for k in "${KINDS[@]}"; do
  f="$WORK/soak_$k.json"
  [ -s "$f" ] || { echo "  $k: printed nothing: $(tail -3 "$WORK/soak_$k.txt")"; errors=1; continue; }
  status=$(sed -n 's/.*"status":{\([^}]*\)}.*/\1/p' "$f" | tr -d '"')
  failed=$(json_num "$f" failed)
  extra=""
  [ "$k" = update ] && extra=", skipped (record busy) $(json_num "$f" skipped_busy), resyncs $(json_num "$f" resyncs)"
  echo "  $k: $(json_num "$f" ok_per_s) OK/s, p50 $(json_num "$f" p50) us, p99 $(json_num "$f" p99) us, late sends $(json_num "$f" late_sends)$extra; by status: $status"
  [ "${failed:-1}" = 0 ] || errors=1
done
MID=$(((WARMUP + DURATION) / 2))
echo "RSS (kB) at t = ${WARMUP}s (end of the warm-up), t = ${MID}s and the end (t = 0: the open-loop load starts; sampled every ${SAMPLE_S}s):"
growth_bad=0
for i in "${!NAMES[@]}"; do
  col=$((i + 2))
  read -r T_WARM at_warmup at_mid last peak < <(awk -F'\t' -v c="$col" -v w="$WARMUP" -v m="$MID" '
    $1 >= w && base == "" { base = $c; tw = $1 } $1 >= m && mid == "" { mid = $c }
    { last = $c; if ($c > peak) peak = $c }
    END { print tw, base, mid, last, peak }' "$WORK/rss.tsv")
  total=$(growth "$at_warmup" "$last")
  half=$(growth "$at_mid" "$last")
  note=""
  # mariadbd's buffer pool caches the tables (and the outbox keeps every event): shown, not judged.
  [ "${NAMES[$i]}" = mariadbd ] && note="  (buffer pool; not judged)"
  printf '  %-10s %9s -> %9s -> %9s (peak %9s)  %s %% (second half %s %%)%s\n' "${NAMES[$i]}" \
    "$at_warmup" "$at_mid" "$last" "$peak" "$total" "$half" "$note"
  [ -n "${HEAP[${NAMES[$i]}]:-}" ] && printf '             at the end: %s\n' "${HEAP[${NAMES[$i]}]}"
  if [ -z "$note" ] && awk -v p="$total" 'BEGIN { exit !(p == "n/a" || p > 5) }'; then
    growth_bad=1
  fi
done
echo "  (the warm-up's sample was taken at t = ${T_WARM:-?}s)"
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
