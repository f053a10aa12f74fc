#!/usr/bin/env bash
# Scenarios of the intake issue, each beside MariaDB doing the same work, in one run on the private
# MariaDB (scripts/lib.sh, durable: innodb_flush_log_at_trx_commit=1, sync_binlog=1):
#   1. bulk import: ImportStatushouders (intake_import_bench) vs LOAD DATA of the same rows into a
#      copy of the same table;
#   2. point reads: GetStatushouder (loadgen, ids rotating over the imported rows) vs mariadb-slap
#      point SELECTs of the same rows, at the same concurrency;
#   3. durable registrations: RegisterStatushouder at 64 callers (commit per call, outbox event
#      included) vs mariadb-slap single-row INSERT commits at 64 clients.
#
#   bench/scenarios/intake_vs_mariadb.sh [--rows N] [--duration S] [--read_concurrency C]
#
# Uses a scratch schema bench_intake (dropped and made again) and a fresh intake_server on a free
# port. Needs intake_server, loadgen and intake_import_bench built in $BUILD.
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

ROWS=50000
DURATION=10
READ_CONCURRENCY=16
while (($#)); do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --read_concurrency) READ_CONCURRENCY=$2; shift 2 ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done

SCHEMA=bench_intake
INTAKE="$BUILD/intake-service/intake_server"
LOADGEN="$BUILD/bench/loadgen"
IMPORT="$BUILD/bench/intake_import_bench"
for b in "$INTAKE" "$LOADGEN" "$IMPORT"; do [ -x "$b" ] || die "$b is not built"; done
db_running || die "the private MariaDB is not running (scripts/lib.sh db_start)"
APP_PW=$(secret mysql_app_password)

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

mysql_admin <<SQL
DROP DATABASE IF EXISTS $SCHEMA;
CREATE DATABASE $SCHEMA CHARACTER SET utf8mb4;
GRANT ALL ON $SCHEMA.* TO 'inburgering'@'127.0.0.1';
SQL

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
INBURGERING_MYSQL_PASSWORD="$APP_PW" "$INTAKE" --listen "127.0.0.1:$PORT" --mysql_port "$DB_PORT" \
  --mysql_user inburgering --mysql_schema "$SCHEMA" --workers 64 --mysql_pool_size 64 \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "intake_server exited: $(tail -3 "$WORK/server.log")"
  sleep 0.1
done
TARGET="127.0.0.1:$PORT"
AS_CONSULENT=(--metadata x-inburgering-gemeente=GM0603 --metadata x-inburgering-role=consulent
  --metadata x-inburgering-subject=bench)
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
sql() { mariadb --no-defaults -h127.0.0.1 -P"$DB_PORT" -uinburgering -p"$APP_PW" "$SCHEMA" "$@"; }

# 1. Bulk import vs LOAD DATA of the same rows into a copy of the same table.
log "import: $ROWS rows in batches of 5,000"
"$IMPORT" --target "$TARGET" --rows "$ROWS" --tsv "$WORK/rows.tsv" >"$WORK/import.json" ||
  die "import failed"
IMPORT_RATE=$(field rows_per_s "$WORK/import.json")
mysql_admin "$SCHEMA" -e "CREATE TABLE load_copy LIKE statushouders"
start=$(date +%s.%N)
mysql_admin --local-infile=1 "$SCHEMA" -e "LOAD DATA LOCAL INFILE '$WORK/rows.tsv' INTO TABLE load_copy
  (id, gemeente, bsn, version, @record, phase, type, leerroute, bijstand, pip_due_date, has_pip)
  SET record = UNHEX(@record)"
end=$(date +%s.%N)
LOADED=$(mysql_admin -N "$SCHEMA" -e "SELECT COUNT(*) FROM load_copy")
LOAD_RATE=$(awk -v n="$LOADED" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')

# 2. Point reads at the same concurrency.
mysql_admin -N "$SCHEMA" -e "SELECT id FROM statushouders ORDER BY RAND(42)" >"$WORK/ids.txt"
log "point reads: GetStatushouder, $READ_CONCURRENCY in flight, ${DURATION}s"
"$LOADGEN" --target "$TARGET" --method /inburgering.v1.IntakeService/GetStatushouder \
  "${AS_CONSULENT[@]}" --request_json '{"id": "{{id}}"}' --ids_file "$WORK/ids.txt" \
  --channels 4 --inflight $((READ_CONCURRENCY / 4)) --duration "$DURATION" --warmup 2 --json \
  >"$WORK/reads.json" 2>"$WORK/reads.txt" || die "reads failed: $(tail -5 "$WORK/reads.txt")"
READ_RATE=$(field ok_per_s "$WORK/reads.json")
head -2000 "$WORK/ids.txt" |
  awk '{ printf "SELECT record FROM statushouders WHERE id = '\''%s'\'' AND gemeente = '\''GM0603'\'';\n", $1 }' \
    >"$WORK/reads.sql"
SLAP_READS=$((READ_CONCURRENCY * 10000))
log "point reads: mariadb-slap, $READ_CONCURRENCY clients, $SLAP_READS queries"
mariadb-slap --no-defaults -h127.0.0.1 -P"$DB_PORT" -uinburgering -p"$APP_PW" \
  --create-schema="$SCHEMA" --concurrency="$READ_CONCURRENCY" --iterations=1 \
  --number-of-queries="$SLAP_READS" --query="$WORK/reads.sql" --delimiter=";" \
  >"$WORK/slap_reads.txt" 2>&1 || die "mariadb-slap failed: $(cat "$WORK/slap_reads.txt")"
secs=$(sed -n 's/.*Average number of seconds to run all queries: \([0-9.]*\).*/\1/p' "$WORK/slap_reads.txt")
SLAP_READ_RATE=$(awk -v n="$SLAP_READS" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')

# 3. Durable registrations at 64 callers: fresh BSNs after the imported ones.
/usr/bin/python3 - "$ROWS" >"$WORK/bsns.txt" <<'PY'
import sys
first = int(sys.argv[1]) + 1000
for n in range(first, first + 400000):
    base = 10000000 + n * 11
    while True:
        head = str(base)
        check = sum((9 - i) * int(head[i]) for i in range(8)) % 11
        if check < 10:
            print(head + str(check))
            break
        base += 1
PY
cat >"$WORK/register.json" <<'JSON'
{"requestId": "bench-{{run}}-{{i}}",
 "statushouder": {"bsn": "{{id}}", "givenNames": "Amal", "familyName": "Haddad",
  "birthDate": "1990-04-12", "gender": "GENDER_VROUW", "type": "STATUSHOUDER_TYPE_ASIELSTATUSHOUDER",
  "countryOfOrigin": "SY", "vestigingsdatum": "2026-09-01", "priorOccupationIsco": "2261"}}
JSON
log "registrations: RegisterStatushouder, 64 in flight, ${DURATION}s"
"$LOADGEN" --target "$TARGET" --method /inburgering.v1.IntakeService/RegisterStatushouder \
  "${AS_CONSULENT[@]}" --request_file "$WORK/register.json" --ids_file "$WORK/bsns.txt" \
  --channels 4 --inflight 16 --duration "$DURATION" --warmup 2 --json \
  >"$WORK/writes.json" 2>"$WORK/writes.txt" || die "registrations failed: $(tail -5 "$WORK/writes.txt")"
WRITE_RATE=$(field ok_per_s "$WORK/writes.json")
mysql_admin "$SCHEMA" -e "CREATE TABLE slap_insert (seq BIGINT AUTO_INCREMENT PRIMARY KEY,
  id CHAR(26) NOT NULL, payload VARBINARY(255) NOT NULL) ENGINE=InnoDB"
SLAP_WRITES=64000
log "registrations: mariadb-slap single-row INSERT, 64 clients, $SLAP_WRITES commits"
mariadb-slap --no-defaults -h127.0.0.1 -P"$DB_PORT" -uinburgering -p"$APP_PW" \
  --create-schema="$SCHEMA" --concurrency=64 --iterations=1 --number-of-queries="$SLAP_WRITES" \
  --query="INSERT INTO slap_insert (id, payload) VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', REPEAT('x', 120))" \
  >"$WORK/slap_writes.txt" 2>&1 || die "mariadb-slap failed: $(cat "$WORK/slap_writes.txt")"
secs=$(sed -n 's/.*Average number of seconds to run all queries: \([0-9.]*\).*/\1/p' "$WORK/slap_writes.txt")
SLAP_WRITE_RATE=$(awk -v n="$SLAP_WRITES" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cat <<EOF
== intake vs MariaDB: $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores ($CPU_MODEL), load average $(cut -d' ' -f1-3 /proc/loadavg)
-- import      $(printf '%.0f' "$IMPORT_RATE") rows/s ($ROWS rows: $(sed 's/[{}"]//g' "$WORK/import.json"))
   LOAD DATA   $LOAD_RATE rows/s ($LOADED rows)            ratio $(ratio "$IMPORT_RATE" "$LOAD_RATE")  (target >= 0.5)
-- reads       $(printf '%.0f' "$READ_RATE") GetStatushouder/s at $READ_CONCURRENCY in flight ($(grep -m1 latency "$WORK/reads.txt" | sed 's/^ *//'))
   slap        $SLAP_READ_RATE point SELECTs/s at $READ_CONCURRENCY clients       ratio $(ratio "$READ_RATE" "$SLAP_READ_RATE")  (target >= 0.5)
-- writes      $(printf '%.0f' "$WRITE_RATE") RegisterStatushouder/s at 64 in flight ($(grep -m1 latency "$WORK/writes.txt" | sed 's/^ *//'))
   slap        $SLAP_WRITE_RATE single-row INSERT commits/s at 64 clients  ratio $(ratio "$WRITE_RATE" "$SLAP_WRITE_RATE")  (target >= 0.4)
EOF
