# shellcheck shell=bash
# Shared by the intake scenarios (intake_point_reads.sh, intake_registrations.sh): builds what
# they need, starts the private MariaDB (scripts/lib.sh db_start), a fresh scratch schema and an
# intake-service on a free port, and reads figures back. Source it after scripts/lib.sh.
#
# The scratch schema ($SCHEMA, set by the scenario: one per scenario, so that the smoke tests can
# run in parallel) is dropped and created on every run so that BSNs and request ids never collide
# with an earlier run; the service creates its tables there by its migrations.

: "${SCHEMA:?set SCHEMA before sourcing intake_common.sh}"
INTAKE_SERVER="${INTAKE_SERVER:-$BUILD/intake-service/intake_server}"  # another binary for an A/B
LOADGEN="${LOADGEN:-$BUILD/bench/loadgen}"  # another binary for an A/B
DATAGEN="$BUILD/bench/datagen"
LOAD_REGION="$BUILD/bench/load_region"
WORK=$(mktemp -d)
INTAKE_PID=""
INTAKE_PORT=""
GATEWAY_SERVER="$BUILD/gateway/gateway_server"
GATEWAY_PID=""
GATEWAY_PORT=""
GATEWAY_HTTP_PORT=""
REPORTING_SERVER="$BUILD/reporting-service/reporting_server"
REPORTING_PID=""
REPORTING_PORT=""
MATCHING_SERVER="$BUILD/matching-service/matching_server"
MATCHING_PID=""
MATCHING_PORT=""
# Other processes whose CPU cpu_since reports (before intake-service): name pid name pid ...
CPU_ALSO=()

# SIGTERM to a server this file started (if it still runs), then wait for it to drain.
stop_started() {  # pid
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1"
    wait "$1" 2>/dev/null || true
  fi
}

intake_cleanup() {
  stop_started "$MATCHING_PID"
  stop_started "$REPORTING_PID"
  stop_started "$GATEWAY_PID"
  stop_started "$INTAKE_PID"
  rm -rf "$WORK"
}
trap intake_cleanup EXIT

# Builds the binaries unless --smoke (the test suite has built them already).
intake_build() {  # smoke [extra targets...]
  local smoke=$1
  shift
  if ((!smoke)); then
    # scripts/lib.sh's build, so that a first configure here sets it up as the test command does.
    INBURGERING_BUILD_TARGETS="intake_server loadgen datagen load_region $*" build >/dev/null
  fi
  local b
  for b in "$INTAKE_SERVER" "$LOADGEN" "$DATAGEN" "$LOAD_REGION"; do
    [ -x "$b" ] || die "$b is not built in $BUILD"
  done
  command -v mariadb-slap >/dev/null || die "mariadb-slap is not installed (Debian mariadb-client)"
}

# A fresh (dropped and created) schema the app user owns.
scratch_schema() {  # name
  mysql_admin <<SQL
DROP DATABASE IF EXISTS $1;
CREATE DATABASE $1 CHARACTER SET utf8mb4;
GRANT ALL ON $1.* TO 'inburgering'@'127.0.0.1';
SQL
}

# The private MariaDB and a fresh scratch schema the app user owns.
intake_database() {
  db_start
  APP_PASSWORD=$(secret mysql_app_password)
  scratch_schema "$SCHEMA"
}

# intake-service on 127.0.0.1:<free port>, against the scratch schema.
intake_start() {
  INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "$INTAKE_SERVER" --listen 127.0.0.1:0 \
    --config "$ROOT/config/dev/intake.json" --mysql_host 127.0.0.1 --mysql_port "$DB_PORT" \
    --mysql_user inburgering --mysql_schema "$SCHEMA" --mysql_pool_size 64 \
    >"$WORK/intake.out" 2>"$WORK/intake.log" &
  INTAKE_PID=$!
  INTAKE_PORT=$(logged_port intake "$INTAKE_PID" server_started)
}

# The port a server started by this file logged (event server_started or http_started) in
# $WORK/NAME.log or .out; waits up to 20 s, dies when the process exits first.
logged_port() {  # name pid event
  local port
  for _ in $(seq 1 200); do
    port=$(sed -n "s/.*\"$3\".*\"port\":\([0-9]*\).*/\1/p" "$WORK/$1.log" "$WORK/$1.out" | head -1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$2" 2>/dev/null || die "$1 exited: $(tail -5 "$WORK/$1.log")"
    sleep 0.1
  done
  die "$1 logged no port within 20 s: $(tail -5 "$WORK/$1.log")"
}

# The gateway on 127.0.0.1:<free port> in front of that intake-service, with one bench token
# (GEMEENTE's consulent, $GATEWAY_TOKEN) and no rate limit (the dev config's 200/s per principal
# would measure the limiter); its audit log goes to a scratch schema like the service's.
gateway_start() {
  [ -x "$GATEWAY_SERVER" ] || die "$GATEWAY_SERVER is not built in $BUILD"
  scratch_schema "${SCHEMA}_gateway"
  GATEWAY_TOKEN="bench-$(openssl rand -hex 12)"
  local hash
  hash=$(printf '%s' "$GATEWAY_TOKEN" | sha256sum | cut -d' ' -f1)
  # python3 is on every machine the suite runs on (scripts/lib.sh installs python3-yaml); jq is not.
  python3 - "$ROOT/config/dev/gateway.json" "$hash" "$GEMEENTE" >"$WORK/gateway.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["tokens"] = [{"tokenSha256": sys.argv[2], "gemeente": sys.argv[3], "role": "consulent",
                     "subject": "bench"}]
config.pop("rateLimit", None)
json.dump(config, sys.stdout)
PY
  INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "$GATEWAY_SERVER" --listen 127.0.0.1:0 \
    --http_listen 127.0.0.1:0 --config "$WORK/gateway.json" \
    --intake_target "127.0.0.1:$INTAKE_PORT" --mysql_host 127.0.0.1 --mysql_port "$DB_PORT" \
    --mysql_user inburgering --mysql_schema "${SCHEMA}_gateway" \
    >"$WORK/gateway.out" 2>"$WORK/gateway.log" &
  GATEWAY_PID=$!
  GATEWAY_PORT=$(logged_port gateway "$GATEWAY_PID" server_started)
  GATEWAY_HTTP_PORT=$(logged_port gateway "$GATEWAY_PID" http_started)
}

# reporting-service on 127.0.0.1:<free port>, on its own scratch schema ${SCHEMA}_reporting,
# consuming the intake-service above (matching's stream points at a closed port: the scenarios
# that use this measure intake's events only, and the consumer just keeps retrying it).
reporting_start() {
  [ -x "$REPORTING_SERVER" ] || die "$REPORTING_SERVER is not built in $BUILD"
  scratch_schema "${SCHEMA}_reporting"
  INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "$REPORTING_SERVER" --listen 127.0.0.1:0 \
    --config "$ROOT/config/dev/reporting.json" --intake_target "127.0.0.1:$INTAKE_PORT" \
    --matching_target 127.0.0.1:9 --mysql_host 127.0.0.1 --mysql_port "$DB_PORT" \
    --mysql_user inburgering --mysql_schema "${SCHEMA}_reporting" \
    >"$WORK/reporting.out" 2>"$WORK/reporting.log" &
  REPORTING_PID=$!
  REPORTING_PORT=$(logged_port reporting "$REPORTING_PID" server_started)
}

# matching-service on 127.0.0.1:<free port>, on its own scratch schema ${SCHEMA}_matching, with
# the config file given (default the dev one: Haaglanden only). Its intake stream points at
# $INTAKE_PORT when an intake-service runs, else at a closed port (it keeps retrying).
matching_start() {  # [config]
  [ -x "$MATCHING_SERVER" ] || die "$MATCHING_SERVER is not built in $BUILD"
  scratch_schema "${SCHEMA}_matching"
  INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "$MATCHING_SERVER" --listen 127.0.0.1:0 \
    --config "${1:-$ROOT/config/dev/matching.json}" --intake_target "127.0.0.1:${INTAKE_PORT:-9}" \
    --mysql_host 127.0.0.1 --mysql_port "$DB_PORT" --mysql_user inburgering \
    --mysql_schema "${SCHEMA}_matching" >"$WORK/matching.out" 2>"$WORK/matching.log" &
  MATCHING_PID=$!
  MATCHING_PORT=$(logged_port matching "$MATCHING_PID" server_started)
}

# ROWS datagen statushouders (seed 1, one gemeente) through RegisterStatushouder (load_region,
# 64 in flight); their ids, one a line, in $WORK/ids.txt, load_region's summary in $WORK/load.txt.
load_rows() {  # rows
  "$DATAGEN" --seed 1 --gemeenten 1 --statushouders "$1" >"$WORK/rows.jsonl"
  "$LOAD_REGION" --target "127.0.0.1:$INTAKE_PORT" --input "$WORK/rows.jsonl" --inflight 64 \
    --ids_out "$WORK/loaded.txt" 2>"$WORK/load.txt" || die "loading failed: $(cat "$WORK/load.txt")"
  awk '{ print $2 }' "$WORK/loaded.txt" >"$WORK/ids.txt"
  [ "$(wc -l <"$WORK/ids.txt")" -eq "$1" ] || die "loaded $(wc -l <"$WORK/ids.txt") of $1 rows"
}

# How far reporting (reporting_start) has applied intake's events.
cursors() {  # prints "<intake outbox head> <reporting cursor>"
  mysql_admin -N -B -e "SELECT (SELECT last_sequence FROM $SCHEMA.outbox_head WHERE id = 1),
    COALESCE((SELECT last_sequence FROM ${SCHEMA}_reporting.consumer_cursors WHERE stream = 'intake'), 0)"
}
drain() {  # [timeout_s, default 600] waits until reporting has applied every numbered event; sets DRAIN
  local t0 t1 head cursor cursor0 limit=${1:-600}
  t0=$(now)
  read -r head cursor0 < <(cursors)
  cursor=$cursor0
  while ((cursor < head)) && awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN { exit !(b - a < l) }'; do
    sleep 0.5
    read -r head cursor < <(cursors)
  done
  t1=$(now)
  DRAINED=$((cursor - cursor0))
  DRAIN_LEFT=$((head - cursor))
  DRAIN_RATE=$(awk -v a="$t0" -v b="$t1" -v n="$DRAINED" 'BEGIN { printf "%d", n / (b - a) }')
  DRAIN=$(awk -v a="$t0" -v b="$t1" -v n="$DRAINED" -v left="$DRAIN_LEFT" \
    'BEGIN { printf "%d events applied in %.1f s (%.0f/s), %d left", n, b - a, n / (b - a), left }')
}

# A global status counter of the server (e.g. Com_select), as the app user sees it.
db_counter() {
  mariadb --no-defaults -h 127.0.0.1 -P "$DB_PORT" -u inburgering -p"$APP_PASSWORD" -N -B \
    -e "SHOW GLOBAL STATUS LIKE '$1'" | awk '{ print $2 }'
}

# Runs mariadb-slap against the scratch schema over TCP as the app user (like the service) and
# prints "<statements>/s <seconds>": the rate is taken from the server's own counter of the
# statement kind (Com_select, Com_insert), so it does not depend on how slap counts queries.
slap_rate() {  # counter concurrency queries_per_client query_file_or_text [extra args]
  local counter=$1 concurrency=$2 per_client=$3 query=$4
  shift 4
  local before after start end
  before=$(db_counter "$counter")
  start=$(date +%s.%N)
  mariadb-slap --no-defaults -h 127.0.0.1 -P "$DB_PORT" -u inburgering -p"$APP_PASSWORD" \
    --create-schema="$SCHEMA" --concurrency="$concurrency" --iterations=1 \
    --number-of-queries=$((concurrency * per_client)) --query="$query" --delimiter=';' "$@" \
    >"$WORK/slap.txt" 2>&1 || die "mariadb-slap failed: $(cat "$WORK/slap.txt")"
  end=$(date +%s.%N)
  after=$(db_counter "$counter")
  # slap's own "seconds to run all queries" excludes its connection set-up.
  local seconds
  seconds=$(sed -n 's/.*Average number of seconds to run all queries: \([0-9.]*\).*/\1/p' "$WORK/slap.txt")
  [ -n "$seconds" ] || seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  awk -v n=$((after - before)) -v s="$seconds" 'BEGIN { printf "%.0f %s %d\n", n / s, s, n }'
}

# CPU seconds a process used so far (utime + stime from /proc): with client, service and database
# on the same few cores, who used the CPU explains a figure as much as the figure itself.
TICKS=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$TICKS" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
now() { date +%s.%N; }
# "<service cores> <mariadbd cores>" used between two snapshots: cpu_snapshot; ...; cpu_since.
cpu_snapshot() {
  SNAP_T=$(now)
  SNAP_SERVICE=$(cpu_seconds "$INTAKE_PID")
  SNAP_DB=$(cpu_seconds "$(cat "$DB_DIR/mariadbd.pid")")
  SNAP_ALSO=()
  local i
  for ((i = 1; i < ${#CPU_ALSO[@]}; i += 2)); do SNAP_ALSO+=("$(cpu_seconds "${CPU_ALSO[i]}")"); done
}
cpu_since() {
  local i t1
  t1=$(now)
  for ((i = 1; i < ${#CPU_ALSO[@]}; i += 2)); do
    awk -v n="${CPU_ALSO[i - 1]}" -v t0="$SNAP_T" -v t1="$t1" -v c0="${SNAP_ALSO[i / 2]}" \
      -v c1="$(cpu_seconds "${CPU_ALSO[i]}")" 'BEGIN { printf "%s %.2f cores, ", n, (c1 - c0) / (t1 - t0) }'
  done
  awk -v t0="$SNAP_T" -v t1="$(now)" -v s0="$SNAP_SERVICE" -v s1="$(cpu_seconds "$INTAKE_PID")" \
    -v d0="$SNAP_DB" -v d1="$(cpu_seconds "$(cat "$DB_DIR/mariadbd.pid")")" \
    'BEGIN { printf "intake-service %.2f cores, mariadbd %.2f cores", (s1 - s0) / (t1 - t0), (d1 - d0) / (t1 - t0) }'
}

machine_line() {
  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  echo "$(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores ($cpu), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
