#!/usr/bin/env bash
# Scenario "durable registrations": RegisterStatushouder direct to intake-service at 64 callers
# (a unique request_id and BSN per call), side by side with mariadb-slap committing durable
# single-row INSERTs at 64 clients, and the ratio (target >= 0.4). Both commit to the same
# private MariaDB, which runs with innodb_flush_log_at_trx_commit=1 and sync_binlog=1 (see
# scripts/lib.sh db_start), so every OK is on disk. Brings up what it needs; prints one block.
#
#   bench/scripts/intake_registrations.sh [--duration S] [--warmup S] [--smoke]
#
# --smoke: tiny and short, builds nothing (for the test suite, so that the scenario cannot rot).
# From a second checkout next to a running dev stack, give its MariaDB its own port:
# INBURGERING_DB_PORT=3317 bench/scripts/intake_registrations.sh
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
SCHEMA=bench_registrations
# shellcheck source=intake_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/intake_common.sh"

DURATION=15
WARMUP=3
SMOKE=0
CALLERS=64
while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --smoke) SMOKE=1; DURATION=1; WARMUP=0.2; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
GEMEENTE=GM0603
METHOD=/inburgering.v1.IntakeService/RegisterStatushouder

intake_build "$SMOKE"
intake_database
intake_start

# One realistic datagen row as the template: its BSN comes from a list of valid, distinct BSNs
# ({{id}}, one per call) and its request_id is unique per call ({{run}}-{{i}}). The list is long
# enough for far more calls than the run can make: a reused BSN would show as ALREADY_EXISTS.
BSNS=300000
((SMOKE)) && BSNS=20000
"$DATAGEN" --seed 2 --format bsn --statushouders "$BSNS" >"$WORK/bsns.txt"
"$DATAGEN" --seed 2 --gemeenten 1 --statushouders 1 |
  sed 's/"requestId":"[^"]*"/"requestId":"bench-{{run}}-{{i}}"/; s/"bsn":"[0-9]*"/"bsn":"{{id}}"/' \
    >"$WORK/register.json"

log "loadgen: RegisterStatushouder, 4 channels x 16 in flight, ${WARMUP}s warm-up + ${DURATION}s"
cpu_snapshot
"$LOADGEN" --target "127.0.0.1:$INTAKE_PORT" --method "$METHOD" \
  --metadata "x-inburgering-gemeente=$GEMEENTE" --metadata x-inburgering-role=consulent \
  --metadata x-inburgering-subject=bench --request_file "$WORK/register.json" \
  --ids_file "$WORK/bsns.txt" --channels 4 --inflight $((CALLERS / 4)) \
  --duration "$DURATION" --warmup "$WARMUP" --json >"$WORK/loadgen.json" 2>"$WORK/loadgen.txt" ||
  die "loadgen failed: $(cat "$WORK/loadgen.txt")"
RPC_CPU=$(cpu_since)
RPC_RATE=$(json_num "$WORK/loadgen.json" ok_per_s)
ROWS=$(mariadb --no-defaults -h 127.0.0.1 -P "$DB_PORT" -u inburgering -p"$APP_PASSWORD" -N -B \
  "$SCHEMA" -e "SELECT COUNT(*) FROM statushouders")

# The baseline: a durable single-row INSERT of a row like the service's (CHAR keys and a blob of
# about a serialized Statushouder's size), autocommit, so one commit per statement.
RECORD_BYTES=$(wc -c <"$WORK/register.json")
RECORD_BYTES=$((RECORD_BYTES / 3))
mysql_admin "$SCHEMA" <<SQL
CREATE TABLE slap_inserts (
  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  gemeente CHAR(6) NOT NULL,
  bsn CHAR(9) NOT NULL,
  record MEDIUMBLOB NOT NULL
) ENGINE=InnoDB;
SQL
SLAP_PER_CLIENT=$(awk -v r="$RPC_RATE" -v d="$DURATION" -v c="$CALLERS" \
  'BEGIN { n = 2 * r * d / c; if (n < 20000 / c) n = 20000 / c; printf "%d", n }')
((SMOKE)) && SLAP_PER_CLIENT=5
log "mariadb-slap: durable single-row INSERT, $CALLERS clients x $SLAP_PER_CLIENT statements"
cpu_snapshot
read -r SLAP_RATE SLAP_SECONDS SLAP_COUNT < <(slap_rate Com_insert "$CALLERS" "$SLAP_PER_CLIENT" \
  "INSERT INTO slap_inserts (gemeente, bsn, record) VALUES ('$GEMEENTE', '123456782', REPEAT('x', $RECORD_BYTES))")
SLAP_CPU=$(cpu_since)

echo "== durable registrations: $(machine_line)"
echo "   MariaDB durable: $(mysql_admin -N -B -e "SELECT CONCAT('innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit, ', sync_binlog=', @@sync_binlog)")"
echo "-- RegisterStatushouder direct to intake-service, $CALLERS callers (4 connections x $((CALLERS / 4))), $ROWS rows stored"
sed 's/^/   /' "$WORK/loadgen.txt"
echo "   server    $RPC_CPU"
echo "-- mariadb-slap ($SLAP_CPU), $CALLERS clients: $SLAP_COUNT single-row INSERT commits (server Com_insert) in ${SLAP_SECONDS}s = $SLAP_RATE/s ($RECORD_BYTES-byte record)"
awk -v r="$RPC_RATE" -v s="$SLAP_RATE" \
  'BEGIN { printf "-- result   RegisterStatushouder %.0f ok/s, durable INSERT %.0f/s, ratio %.2f (target >= 0.4)\n", r, s, r / s }'
