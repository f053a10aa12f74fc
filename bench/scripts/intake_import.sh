#!/usr/bin/env bash
# Scenario "intake bulk import": ImportStatushouders of N generated rows (bench/intake_import_bench,
# batches of 5,000: validation, per-row results, all-or-nothing per batch, an outbox event per row)
# side by side with MariaDB's own LOAD DATA of the same rows, as stored, into a copy of the same
# table (same indexes), and the ratio (target >= 0.5). Brings up the private MariaDB, a scratch
# schema and intake-service on a free port; prints one block.
#
#   bench/scripts/intake_import.sh [--rows N] [--smoke]
#
# --smoke: tiny, builds nothing (for the test suite, so that the scenario cannot rot).
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
SCHEMA=bench_import
# shellcheck source=intake_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/intake_common.sh"

ROWS=50000
SMOKE=0
while (($#)); do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --smoke) SMOKE=1; ROWS=500; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
IMPORT="$BUILD/bench/intake_import_bench"

intake_build "$SMOKE" intake_import_bench
[ -x "$IMPORT" ] || die "$IMPORT is not built in $BUILD"
intake_database
intake_start

log "import: $ROWS rows in batches of 5,000"
cpu_snapshot
"$IMPORT" --target "127.0.0.1:$INTAKE_PORT" --rows "$ROWS" --tsv "$WORK/rows.tsv" \
  >"$WORK/import.json" 2>"$WORK/import.txt" || die "import failed: $(tail -3 "$WORK/import.txt")"
IMPORT_CPU=$(cpu_since)
IMPORT_RATE=$(json_num "$WORK/import.json" rows_per_s)
[ "$(json_num "$WORK/import.json" created)" = "$ROWS" ] || die "import created fewer rows than $ROWS"

log "LOAD DATA of the same rows into a copy of the table"
mysql_admin "$SCHEMA" -e "CREATE TABLE load_copy LIKE statushouders"
cpu_snapshot
start=$(now)
mysql_admin --local-infile=1 "$SCHEMA" -e "LOAD DATA LOCAL INFILE '$WORK/rows.tsv' INTO TABLE load_copy
  (id, gemeente, bsn, version, @record, phase, type, leerroute, bijstand, pip_due_date, has_pip)
  SET record = UNHEX(@record)"
end=$(now)
LOAD_CPU=$(cpu_since)
LOADED=$(mysql_admin -N "$SCHEMA" -e "SELECT COUNT(*) FROM load_copy")
[ "$LOADED" = "$ROWS" ] || die "LOAD DATA loaded $LOADED of $ROWS rows"
LOAD_RATE=$(awk -v n="$LOADED" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')

echo "== intake bulk import: $(machine_line)"
echo "   MariaDB durable: innodb_flush_log_at_trx_commit=1, sync_binlog=1"
echo "-- ImportStatushouders $ROWS rows: $IMPORT_RATE rows/s ($IMPORT_CPU)"
echo "   $(cat "$WORK/import.json")"
echo "-- LOAD DATA LOCAL INFILE, same rows into a copy of the table: $LOAD_RATE rows/s ($LOAD_CPU)"
awk -v i="$IMPORT_RATE" -v l="$LOAD_RATE" \
  'BEGIN { printf "-- result   import %.0f rows/s, LOAD DATA %.0f rows/s, ratio %.2f (target >= 0.5)\n", i, l, i / l }'
